"""USB log files and pull mode: the same store-and-apply path, keyed the same way as pushes."""
from __future__ import annotations

import datetime as dt

from zk.attendance import Attendance

from ingest.terminals import pull, registry
from tests.support.terminals import DAYS, WIB, at, check_ins, cli, logs, q, sn, staff


def _dat_line(pin: str, moment: dt.datetime, state: int) -> str:
    # the USB export pads the PIN and writes six tab-separated fields
    return f"{pin:>9}\t{moment:%Y-%m-%d %H:%M:%S}\t{state}\t1\t0\t0"


def test_usb_attlog_import_reports_counts_and_reimport_changes_nothing(runtime, demo_clock, tmp_path):
    terminal = sn()
    registry.approve(runtime, terminal, "DINKES-1", actor="test")
    (a, pin_a), (b, pin_b) = staff(runtime, 2)
    lines = [_dat_line(pin_a, at(DAYS[0], 7, 12), 0), _dat_line(pin_b, at(DAYS[0], 8, 5), 0),
             _dat_line(pin_a, at(DAYS[0], 16, 30), 1), _dat_line("55555", at(DAYS[0], 7, 0), 0),
             "  12\t2026-12-01 25:00:00\t0\t1\t0\t0"]
    path = tmp_path / f"{terminal}_attlog.dat"
    path.write_text("\r\n".join(lines) + "\r\n")
    first = cli(runtime, demo_clock, "terminals", "import", str(path))
    assert first.returncode == 0, first.stderr
    assert "5 line(s): 4 new, 0 duplicate, 3 applied, 1 unmatched, 0 pending, 1 rejected" in first.stdout
    assert "line 5: rejected: time '2026-12-01 25:00:00'" in first.stdout
    cis = check_ins(runtime, terminal)
    assert [(c["employee_id"], c["session"], c["minutes_late"]) for c in cis] == [
        (a["id"], "in", 0), (b["id"], "in", 35), (a["id"], "out", None)]
    before = (logs(runtime, terminal), q(runtime, "SELECT * FROM work_days WHERE employee_id = ANY(:i) ORDER BY 1, 2",
                                         i=[a["id"], b["id"]]))
    again = cli(runtime, demo_clock, "terminals", "import", str(path))
    assert again.returncode == 0, again.stderr
    assert "5 line(s): 0 new, 4 duplicate, 0 applied, 0 unmatched, 0 pending, 1 rejected" in again.stdout
    after = (logs(runtime, terminal), q(runtime, "SELECT * FROM work_days WHERE employee_id = ANY(:i) ORDER BY 1, 2",
                                        i=[a["id"], b["id"]]))
    assert after == before and len(check_ins(runtime, terminal)) == 3


def test_csv_import_with_date_and_time_columns_and_sn_column(runtime, demo_clock, tmp_path):
    terminal = sn()
    registry.approve(runtime, terminal, "DINKES-1", actor="test")
    [(emp, pin)] = staff(runtime, 1)
    path = tmp_path / "rekap.csv"
    path.write_text("SN;User ID;Tanggal;Jam;Status\n"
                    f"{terminal};{pin};2026-12-02;07:31:00;0\n"
                    f"{terminal};{pin};2026-12-02;16:02:00;1\n"
                    f"{terminal};{pin};02-12-2026;16:03:00;1\n")
    done = cli(runtime, demo_clock, "terminals", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "3 line(s): 2 new, 0 duplicate, 2 applied" in done.stdout and "line 4: rejected" in done.stdout
    assert [c["session"] for c in check_ins(runtime, terminal)] == ["in", "out"]
    assert check_ins(runtime, terminal)[0]["minutes_late"] == 1


def test_import_errors_name_the_file_and_the_problem(runtime, demo_clock, tmp_path):
    nameless = tmp_path / "export.dat"
    nameless.write_text("1\t2026-12-01 07:00:00\t0\t1\n")
    done = cli(runtime, demo_clock, "terminals", "import", str(nameless))
    assert done.returncode == 2 and "export.dat" in done.stderr and "--sn" in done.stderr
    bad_csv = tmp_path / "x.csv"
    bad_csv.write_text("pin,nama\n1,Budi\n")
    done = cli(runtime, demo_clock, "terminals", "import", str(bad_csv), "--sn", "ABC")
    assert done.returncode == 2 and "x.csv" in done.stderr
    missing = cli(runtime, demo_clock, "terminals", "import", str(tmp_path / "none.dat"), "--sn", "ABC")
    assert missing.returncode == 2 and "cannot read" in missing.stderr


class FakeDevice:
    """Stands in for a pyzk connection (no fake terminal speaking the binary protocol exists):
    same method names, and pyzk's own Attendance objects."""

    def __init__(self, serial: str, records: list[Attendance], clock_at: dt.datetime):
        self.serial, self.records, self.clock_at = serial, records, clock_at
        self.calls: list[str] = []

    def disable_device(self):
        self.calls.append("disable")

    def enable_device(self):
        self.calls.append("enable")

    def disconnect(self):
        self.calls.append("disconnect")

    def get_serialnumber(self):
        return self.serial

    def get_firmware_version(self):
        return "Ver 6.60 Sep 27 2019"

    def get_time(self):
        return self.clock_at

    def get_attendance(self):
        return list(self.records)


def test_pull_imports_new_records_and_remembers_where_it_stopped(runtime, demo_clock):
    from foundation import clock

    terminal = sn()
    registry.approve(runtime, terminal, "DINKES-1", actor="test")
    [(emp, pin)] = staff(runtime, 1)
    slow_clock = clock.now().astimezone(WIB).replace(tzinfo=None) - dt.timedelta(minutes=7)
    device = FakeDevice(terminal, [Attendance(pin, at(DAYS[3], 7, 29), 1, 0),
                                   Attendance(pin, at(DAYS[3], 16, 31), 1, 1)], slow_clock)
    first = pull.pull(runtime, "127.0.0.1", 4370, connect=lambda *a: device)
    assert first.sn == terminal and first.read == 2 and first.outcome.applied == 2
    assert device.calls == ["disable", "enable", "disconnect"]
    assert -480 < first.drift_s < -400
    device.records.append(Attendance(pin, at(DAYS[4], 7, 40), 1, 0))
    second = pull.pull(runtime, "127.0.0.1", 4370, connect=lambda *a: device)
    assert second.read == 3 and second.outcome.new == 1 and second.outcome.duplicate == 2
    assert [c["work_date"] for c in check_ins(runtime, terminal)] == [DAYS[3], DAYS[3], DAYS[4]]
    [source] = q(runtime, "SELECT * FROM terminal_pull_sources WHERE sn = :sn", sn=terminal)
    assert source["last_local_time"] == at(DAYS[4], 7, 40) and source["last_count"] == 3
    assert {x["via"] for x in logs(runtime, terminal)} == {"pull"}
    def only_this_one(host, port, *_):     # other tests' sources (simulators now stopped) fail
        if port != 4370:
            raise pull.PullError(f"cannot connect to terminal {host}:{port}")
        return device

    known = pull.pull_known(runtime, connect=only_this_one)
    assert [r.sn for r in known if not isinstance(r, pull.PullError)].count(terminal) == 1


def test_pull_reports_an_unreachable_terminal(runtime, demo_clock):
    done = cli(runtime, demo_clock, "terminals", "pull", "--host", "127.0.0.1", "--port", "9", "--timeout", "1")
    assert done.returncode == 2 and "cannot connect to terminal 127.0.0.1:9" in done.stderr
