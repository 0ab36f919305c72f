"""Every line a terminal is told OK about is kept: the usable ones in terminal_logs, the
others in terminal_bad_lines with their reason code, bounded to 1 KB; a USB file counts a
line it repeats once."""
from __future__ import annotations

from ingest.terminals import registry
from tests.support.terminal_sim import Record, Terminal
from tests.support.terminals import DAYS, at, catch_up, check_ins, cli, logs, q, sn, staff

HUGE_PIN = "9" * 100_000


def _bad_lines(runtime, serial: str) -> list[dict]:
    return q(runtime, """SELECT line_hash, occurrence, raw, raw_length, code, reason, via, line_no
                         FROM terminal_bad_lines WHERE sn = :sn ORDER BY line_no""", sn=serial)


def test_every_acknowledged_line_is_stored_once_even_garbled_or_huge(client, runtime):
    term = Terminal(client, sn())
    term.handshake()
    registry.approve(runtime, term.sn, "DINKES-1", actor="test")
    [(_, pin)] = staff(runtime, 1)
    good = [term.line(Record(pin, at(DAYS[0], 7, 25))), term.line(Record(pin, at(DAYS[0], 16, 10), 1))]
    garbled = ["\ufffd\ufffd~~"] * 5                                    # the same garbled line five times
    distinct = ["???", "abc\tdef", f"\t{at(DAYS[0], 7, 0):%Y-%m-%d %H:%M:%S}", "\x00\x01bin\tx"]
    huge = f"{HUGE_PIN}\t{at(DAYS[0], 7, 0):%Y-%m-%d %H:%M:%S}\t0\t1"
    upload = [good[0], *garbled, *distinct, huge, good[1]]
    r = term.post_lines(upload)
    assert r.status_code == 200 and r.text == f"OK:{len(upload)}"      # 12 lines acknowledged
    catch_up(runtime)                                                   # the worker applies the backlog

    [kept_rows] = q(runtime, "SELECT count(*) AS n FROM terminal_bad_lines WHERE sn = :sn", sn=term.sn)
    stored = len(logs(runtime, term.sn)) + kept_rows["n"]
    assert stored == len(upload) == 12 and len(check_ins(runtime, term.sn)) == 2
    kept = _bad_lines(runtime, term.sn)
    assert [k["occurrence"] for k in kept if k["raw"] == garbled[0]] == [1, 2, 3, 4, 5]
    assert [k["code"] for k in kept] == ["fields"] * 6 + ["time_invalid", "pin_empty", "binary", "pin_invalid"]
    [big] = [k for k in kept if k["code"] == "pin_invalid"]
    assert len(big["raw"]) == 1024 and big["raw"] == huge[:1024] and big["raw_length"] == len(huge)
    assert "is not 1-24 letters or digits" in big["reason"] and big["via"] == "push"

    again = term.post_lines(upload)                                     # the reply was lost: resent
    assert again.text == f"OK:{len(upload)}"
    assert len(_bad_lines(runtime, term.sn)) == 10 and len(logs(runtime, term.sn)) == 2
    assert len(check_ins(runtime, term.sn)) == 2


def test_a_usb_file_counts_a_line_it_repeats_once(runtime, demo_clock, tmp_path):
    terminal = sn()
    registry.approve(runtime, terminal, "DINKES-1", actor="test")
    [(_, pin)] = staff(runtime, 1)
    arrive = f"{pin}\t{at(DAYS[1], 7, 12):%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0"
    leave = f"{pin}\t{at(DAYS[1], 16, 2):%Y-%m-%d %H:%M:%S}\t1\t1\t0\t0"
    garbled = "#### kertas macet ####"
    path = tmp_path / f"{terminal}_attlog.dat"
    path.write_text("\n".join([arrive, arrive, garbled, leave, arrive, garbled]) + "\n")
    done = cli(runtime, demo_clock, "terminals", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert ("3 line(s) (and 3 repeat(s) of a line in the same file, counted once): 2 new, 0 duplicate, "
            "2 applied, 0 unmatched, 0 pending, 1 rejected") in done.stdout, done.stdout
    assert len(logs(runtime, terminal)) == 2 and len(check_ins(runtime, terminal)) == 2
    assert [(k["code"], k["occurrence"], k["via"]) for k in _bad_lines(runtime, terminal)] == [("fields", 1, "file")]
    again = cli(runtime, demo_clock, "terminals", "import", str(path))
    assert "3 line(s) (and 3 repeat(s) of a line in the same file, counted once): 0 new, 2 duplicate" in again.stdout
    assert len(_bad_lines(runtime, terminal)) == 1 and len(check_ins(runtime, terminal)) == 2
