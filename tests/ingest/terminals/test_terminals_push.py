"""The push receiver over HTTP (a real gunicorn/uvicorn server), driven by the test simulator.

The server and this process run on the demo clock fixed at a Tuesday morning, so work
dates, lateness and "today" on the wall are the same on every run.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import uuid

import pytest

from ingest import live
from ingest.terminals import registry
from queries import db
from tests.support import factories
from tests.support.terminal_sim import Record, Terminal
from tests.support.terminals import (DAY, DAYS, START, WIB, at, catch_up, check_ins, cli, cli_process, logs,
                                     pin_of, q, queued, sn, staff, stored)


def _terminal(client, runtime, office: str | None = "DINKES-1", **kw) -> Terminal:
    term = Terminal(client, sn(), **kw)
    term.handshake()
    if office:
        registry.approve(runtime, term.sn, office, actor="test")
    return term


# --- handshake and heartbeat -------------------------------------------------------------------

def test_handshake_registers_unknown_terminal_and_answers_options(client, runtime):
    term = Terminal(client, sn())
    r = term.handshake()
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain"
    assert r.content.startswith(f"GET OPTION FROM: {term.sn}".encode())
    for key in ("ATTLOGStamp", "OPERLOGStamp", "ATTPHOTOStamp", "ErrorDelay", "Delay", "TransTimes",
                "TransInterval", "TransFlag", "TimeZone", "Realtime", "Encrypt"):
        assert key in term.options, key
    assert term.options["TimeZone"] == "7" and term.options["Realtime"] == "1"
    date = email.utils.parsedate_to_datetime(r.headers["date"])
    assert abs((date - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120
    row = q(runtime, "SELECT status, info, last_heartbeat_at FROM terminals WHERE sn = :sn", sn=term.sn)[0]
    assert row["status"] == "pending" and row["info"]["pushver"] == "2.4.1" and row["last_heartbeat_at"]


def test_missing_serial_number_is_a_plain_error(client):
    r = client.get("/iclock/cdata", params={"options": "all"})
    assert r.status_code == 400 and r.text.startswith("ERROR") and "SN" in r.text
    assert client.get("/iclock/cdata", params={"SN": "A B/C"}).status_code == 400


def test_odd_parameters_are_not_a_server_error(client, runtime):
    term = sn()
    r = client.get("/iclock/getrequest", params={"SN": term, "INFO": "Ver\x00 1,2\x00"})
    assert r.status_code == 200 and r.text == "OK"
    info = q(runtime, "SELECT info FROM terminals WHERE sn = :sn", sn=term)[0]["info"]
    assert info["device"]["firmware"] == "Ver 1"


def test_heartbeat_hands_out_queued_commands_and_records_results(client, runtime, demo_clock):
    term = _terminal(client, runtime)
    assert term.heartbeat() == []
    sync = registry.queue_time_sync(runtime, term.sn, actor="bkpp1")
    reboot = registry.queue_command(runtime, term.sn, "reboot", actor="bkpp1")
    users = registry.queue_command(runtime, term.sn, "query_users", actor="bkpp1")
    commands = dict(term.heartbeat())
    assert set(commands) == {sync, reboot, users}
    assert commands[reboot] == "REBOOT" and commands[users] == "DATA QUERY USERINFO"
    assert commands[sync].startswith("SET OPTIONS DateTime=")
    packed = int(commands[sync].split("=", 1)[1])
    # ZKTeco's packed time: seconds of ((yy*12 + month-1)*31 + day-1) days + time of day
    days, secs = divmod(packed, 86400)
    yy, rest = divmod(days, 12 * 31)
    month, day = divmod(rest, 31)
    sent = dt.datetime(2000 + yy, month + 1, day + 1) + dt.timedelta(seconds=secs)
    from foundation import clock

    assert abs((sent - clock.now().astimezone(WIB).replace(tzinfo=None)).total_seconds()) < 120
    term.report([(sync, 0, "SET OPTIONS"), (reboot, 0, "REBOOT"), (users, -1002, "DATA")])
    rows = {r["id"]: r for r in q(runtime, "SELECT * FROM terminal_commands WHERE sn = :sn", sn=term.sn)}
    assert rows[sync]["result"] == 0 and rows[sync]["result_at"] is not None
    assert rows[users]["result"] == -1002 and rows[reboot]["attempts"] == 1
    assert term.heartbeat() == []        # answered commands are not sent again
    firmware = q(runtime, "SELECT firmware FROM terminals WHERE sn = :sn", sn=term.sn)[0]["firmware"]
    assert firmware == term.firmware
    audit = q(runtime, "SELECT action FROM audit_log WHERE target = :sn ORDER BY id", sn=term.sn)
    assert [a["action"] for a in audit] == ["terminal.approve", "terminal.command.time_sync",
                                            "terminal.command.reboot", "terminal.command.query_users"]


def test_pending_terminal_gets_no_commands(client, runtime):
    term = Terminal(client, sn())
    term.handshake()
    registry.queue_command(runtime, term.sn, "reboot", actor="bkpp1")
    assert term.heartbeat() == []


# --- punches ------------------------------------------------------------------------------------

def test_realtime_punch_becomes_a_terminal_check_in_and_moves_the_wall(client, runtime):
    term = _terminal(client, runtime)
    emp = factories.employee(runtime, "DINKES", terminal_pin=f"9{uuid.uuid4().int % 10**6:06d}")
    r = term.punch(pin_of(runtime, emp), at(DAY, 7, 41))
    assert r.status_code == 200 and r.text == "OK:1"
    [ci] = check_ins(runtime, term.sn)
    assert ci["source"] == "terminal" and ci["employee_id"] == emp["id"] and ci["office_code"] == "DINKES-1"
    assert ci["session"] == "in" and ci["verdict"] == "accepted" and ci["minutes_late"] == 11
    assert ci["captured_at"] == dt.datetime(2026, 12, 8, 7, 41, tzinfo=WIB)
    [line] = logs(runtime, term.sn)
    assert line["state"] == "applied" and line["employee_id"] == emp["id"] and line["via"] == "push"
    wd = q(runtime, "SELECT status, late_band, sources FROM work_days WHERE employee_id = :e AND work_date = :d",
            e=emp["id"], d=DAY)[0]
    assert wd == {"status": "hadir", "late_band": "TL1", "sources": ["terminal"]}
    assert runtime.redis.hget(live.day_keys(runtime, DAY)["emp"], str(emp["id"])) == "DINKES|late"


def _week(term: Terminal, people, days: list[dt.date]) -> None:
    for day in days:
        for i, (_, pin) in enumerate(people):
            term.punch(pin, at(day, 7, 20 + i), 0, realtime=False)
            term.punch(pin, at(day, 16, 5 + i), 1, realtime=False)


def test_catch_up_batches_after_an_outage_are_all_stored_once(client, runtime):
    term = _terminal(client, runtime)
    people = staff(runtime, 3)
    _week(term, people, DAYS)
    r = term.upload(chunk=7)
    assert r.status_code == 200 and r.text.startswith("OK:")
    assert term.sent == len(term.log) == 30
    ids = [e["id"] for e, _ in people]
    # yesterday's lines are applied with the upload (check-ins, work days); older ones stored
    assert len(check_ins(runtime, term.sn)) == 6 and stored(runtime, term.sn) == 24
    assert len(q(runtime, "SELECT 1 FROM work_days WHERE employee_id = ANY(:ids)", ids=ids)) == 3
    catch_up(runtime)
    cis = check_ins(runtime, term.sn)
    assert len(cis) == 30 and len({c["event_key"] for c in cis}) == 30
    assert {c["session"] for c in cis} == {"in", "out"} and all(c["verdict"] == "accepted" for c in cis)
    assert queued(runtime, ids) == [] and stored(runtime, term.sn) == 0
    days = q(runtime, """SELECT employee_id, work_date, status, first_in, last_out FROM work_days
                          WHERE employee_id = ANY(:ids) ORDER BY 1, 2""", ids=[e["id"] for e, _ in people])
    assert len(days) == 15 and {d["status"] for d in days} == {"hadir"}
    assert all(d["first_in"] and d["last_out"] for d in days)
    stamp = q(runtime, "SELECT attlog_stamp, last_log_at FROM terminals WHERE sn = :sn", sn=term.sn)[0]
    assert stamp["attlog_stamp"] == "30" and stamp["last_log_at"] is not None   # the last batch's Stamp


def test_resend_after_a_lost_reply_counts_once(client, runtime):
    term = _terminal(client, runtime)
    people = staff(runtime, 2)
    _week(term, people, DAYS[:2])
    lost = term.upload(lose_reply=True)
    assert lost.text == "OK:8" and term.sent == 0
    again = term.upload()
    assert again.status_code == 200 and again.text == "OK:8" and term.sent == 8
    catch_up(runtime)
    assert len(check_ins(runtime, term.sn)) == 8 and len(logs(runtime, term.sn)) == 8


def test_reboot_resending_everything_changes_nothing(client, runtime):
    term = _terminal(client, runtime)
    people = staff(runtime, 2)
    _week(term, people, DAYS)
    term.upload(chunk=6)
    catch_up(runtime)
    before_days = q(runtime, "SELECT * FROM work_days WHERE employee_id = ANY(:ids) ORDER BY 1, 2",
                     ids=[e["id"] for e, _ in people])
    r = term.reboot()
    assert r.status_code == 200 and r.text == "OK:20"
    assert term.options["ATTLOGStamp"] == "20"     # the server remembers where the terminal was
    assert len(check_ins(runtime, term.sn)) == 20 and len(logs(runtime, term.sn)) == 20
    assert queued(runtime, [e["id"] for e, _ in people]) == []     # nothing new: nothing to refresh
    after_days = q(runtime, "SELECT * FROM work_days WHERE employee_id = ANY(:ids) ORDER BY 1, 2",
                    ids=[e["id"] for e, _ in people])
    assert [(d["status"], d["first_in"], d["last_out"]) for d in after_days] == \
        [(d["status"], d["first_in"], d["last_out"]) for d in before_days]


def test_malformed_lines_are_rejected_and_the_rest_is_stored(client, runtime):
    term = _terminal(client, runtime)
    [(emp, pin)] = staff(runtime, 1)
    good = [term.line(Record(pin, at(DAYS[0], 7, 25))), term.line(Record(pin, at(DAYS[0], 16, 10), 1))]
    bad = [f"{pin}\t2026-13-45 07:00:00\t0\t1", "\t2026-12-01 07:00:00\t0\t1", "garbage-without-tabs",
           f"{pin}\t2031-12-01 07:00:00\t0\t1"]
    r = term.post_lines([good[0], bad[0], bad[1], bad[2], bad[3], "\x00\x01\x02binary\t\x00", good[1]])
    assert r.status_code == 200 and r.text == "OK:7"
    catch_up(runtime)
    assert len(check_ins(runtime, term.sn)) == 2
    rejected = q(runtime, "SELECT raw, reason FROM terminal_bad_lines WHERE sn = :sn ORDER BY raw", sn=term.sn)
    reasons = {x["raw"]: x["reason"] for x in rejected}
    assert "not YYYY-MM-DD HH:MM:SS" in reasons[bad[0]] and "PIN is empty" in reasons[bad[1]]
    assert "at least PIN and time" in reasons[bad[2]] and "binary data" in reasons["\\0\x01\x02binary\t\\0"]
    future = [x for x in logs(runtime, term.sn) if x["state"] == "rejected"]
    assert len(future) == 1 and "in the future" in future[0]["reason"]
    r2 = term.post_lines([good[0], bad[0], bad[1], bad[2], bad[3], good[1]])     # resent as is
    assert r2.text == "OK:6"
    assert len(q(runtime, "SELECT 1 FROM terminal_bad_lines WHERE sn = :sn", sn=term.sn)) == 4
    assert len(check_ins(runtime, term.sn)) == 2


@pytest.mark.parametrize("fields,newline", [(4, "\n"), (10, "\r\n"), (5, "\r\n")])
def test_line_variants_without_content_type(client, runtime, fields, newline):
    term = _terminal(client, runtime, fields=fields, newline=newline)
    people = staff(runtime, 1)
    _week(term, people, DAYS[:1])
    r = term.upload()
    assert r.status_code == 200 and r.text == "OK:2"
    assert "content-type" not in {k.lower() for k in r.request.headers}
    assert [x["state"] for x in logs(runtime, term.sn)] == ["stored", "stored"]     # a past day: log first
    catch_up(runtime)
    lines = logs(runtime, term.sn)
    assert [(x["punch_state"], x["verify"], x["state"]) for x in lines] == [("0", "1", "applied"), ("1", "1", "applied")]
    assert not lines[0]["raw"].endswith("\r") and lines[0]["raw"].count("\t") == fields - 1
    assert [c["session"] for c in check_ins(runtime, term.sn)] == ["in", "out"]


# --- terminals and people the server does not know yet ------------------------------------------

def test_unknown_terminal_keeps_logs_until_approved(client, runtime, demo_clock):
    term = _terminal(client, runtime, office=None)
    people = staff(runtime, 2)
    _week(term, people, DAYS[:2])
    assert term.upload().text == "OK:8"
    assert {x["state"] for x in logs(runtime, term.sn)} == {"pending"}
    assert check_ins(runtime, term.sn) == []
    done = cli_process(runtime, demo_clock, "terminals", "approve", term.sn, "--office", "DINKES-1",
                "--reason", "Mesin baru lobi Dinkes")
    assert done.returncode == 0, done.stderr
    assert "8 applied" in done.stdout
    assert {x["state"] for x in logs(runtime, term.sn)} == {"applied"}
    cis = check_ins(runtime, term.sn)
    assert len(cis) == 8 and {c["office_code"] for c in cis} == {"DINKES-1"}
    audit = q(runtime, "SELECT actor, reason, before, after FROM audit_log WHERE action = 'terminal.approve' "
                        "AND target = :sn", sn=term.sn)
    assert audit[0]["before"]["status"] == "pending" and audit[0]["after"]["office_code"] == "DINKES-1"
    assert audit[0]["reason"] == "Mesin baru lobi Dinkes" and audit[0]["actor"].startswith("cli:")


def test_unknown_pin_is_kept_until_mapped(client, runtime, demo_clock):
    term = _terminal(client, runtime)
    pin = str(uuid.uuid4().int % 10**7)
    term.punch(pin, at(DAYS[0], 7, 10), realtime=False)
    term.punch(pin, at(DAYS[0], 16, 20), 1, realtime=False)
    assert term.upload().text == "OK:2"
    lines = logs(runtime, term.sn)
    assert {x["state"] for x in lines} == {"unmatched"} and check_ins(runtime, term.sn) == []
    emp = factories.employee(runtime, "DINKES")
    with runtime.transaction() as conn:     # what `pantau employees import` does for a mapped PIN
        db.run(conn, "UPDATE employees SET terminal_pin = :p WHERE id = :e", p=pin, e=emp["id"])
    done = cli(runtime, demo_clock, "terminals", "rematch")
    assert done.returncode == 0, done.stderr
    assert {x["state"] for x in logs(runtime, term.sn)} == {"applied"}
    assert [c["employee_id"] for c in check_ins(runtime, term.sn)] == [emp["id"], emp["id"]]
    wd = q(runtime, "SELECT status FROM work_days WHERE employee_id = :e AND work_date = :d", e=emp["id"], d=DAYS[0])
    assert wd == [{"status": "hadir"}]


def test_nip_is_the_default_pin(client, runtime):
    term = _terminal(client, runtime)
    emp = factories.employee(runtime, "DINKES")
    term.punch(emp["nip"], at(DAYS[1], 7, 30), realtime=False)
    assert term.upload().text == "OK:1"
    assert [c["employee_id"] for c in check_ins(runtime, term.sn)] == [emp["id"]]


# --- clocks and health ------------------------------------------------------------------------------

def test_terminal_stuck_at_utc_plus_8_is_read_in_its_own_clock(client, runtime):
    from foundation import clock

    term = _terminal(client, runtime)
    [(emp, pin)] = staff(runtime, 1)
    ahead = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None, microsecond=0)
    term.punch(pin, ahead)                       # a realtime punch an hour "ahead" of WIB
    [row] = q(runtime, "SELECT clock_drift_s FROM terminals WHERE sn = :sn", sn=term.sn)
    assert 3500 < row["clock_drift_s"] < 3700
    health = {t["sn"]: t for t in registry.health(runtime)["terminals"]}
    assert health[term.sn]["health"] == "clock_drift"
    sync = registry.queue_time_sync(runtime, term.sn, actor="bkpp1")      # the dashboard's button
    assert [c for c, _ in term.heartbeat()] == [sync]
    term.report([(sync, 0, "SET OPTIONS")])
    assert q(runtime, "SELECT clock_drift_s FROM terminals WHERE sn = :sn", sn=term.sn)[0]["clock_drift_s"] is None
    registry.approve(runtime, term.sn, "DINKES-1", utc_offset="+480", actor="bkpp1")
    assert term.handshake().status_code == 200 and term.options["TimeZone"] == "8"
    term.punch(pin, at(DAYS[2], 8, 41))         # 08:41 at +8 is 07:41 WIB
    ci = [c for c in check_ins(runtime, term.sn) if c["work_date"] == DAYS[2]][0]
    assert ci["captured_at"] == dt.datetime(2026, 12, 3, 7, 41, tzinfo=WIB) and ci["minutes_late"] == 11


def test_health_lists_silent_terminals(client, runtime, demo_clock):
    quiet, alive = _terminal(client, runtime), _terminal(client, runtime)
    with runtime.transaction() as conn:
        db.run(conn, "UPDATE terminals SET last_heartbeat_at = :t, last_log_at = NULL WHERE sn = :sn",
               t=START - dt.timedelta(hours=3), sn=quiet.sn)
    alive.heartbeat()
    report = registry.health(runtime)
    states = {t["sn"]: t["health"] for t in report["terminals"]}
    assert states[quiet.sn] == "silent" and states[alive.sn] == "online"
    assert report["silent"] == report["counts"]["silent"] >= 1
    listed = cli(runtime, demo_clock, "terminals", "list")
    assert listed.returncode == 0
    [row] = [line.split() for line in listed.stdout.splitlines() if line.startswith(quiet.sn)]
    assert row[1:4] == ["active", "silent", "DINKES-1"] and row[4:6] == ["2026-12-08", "04:45"]   # in WIB


# --- other tables ------------------------------------------------------------------------------------

def test_operlog_and_photos_are_acknowledged_and_kept_without_templates(client, runtime):
    term = _terminal(client, runtime)
    body = ("OPLOG 4\t0\t2026-12-08 07:00:00\t0\t0\t0\t0\n"
            "USER PIN=42\tName=Siti Aminah\tPri=0\tPasswd=\tCard=\tGrp=1\n"
            "FP PIN=42\tFID=6\tSize=1200\tValid=1\tTMP=SECRETTEMPLATEBASE64==\n")
    r = client.post("/iclock/cdata", params={"SN": term.sn, "table": "OPERLOG", "Stamp": "77"}, content=body.encode())
    assert r.status_code == 200 and r.text == "OK:3"
    rows = q(runtime, "SELECT kind, pin, content FROM terminal_operlogs WHERE sn = :sn ORDER BY kind", sn=term.sn)
    assert [x["kind"] for x in rows] == ["FP", "OPLOG", "USER"]
    assert "SECRETTEMPLATE" not in rows[0]["content"] and rows[2]["pin"] == "42" and "Siti" in rows[2]["content"]
    photo = b"PIN=20261208074100-42.jpg\nSN=" + term.sn.encode() + b"\nsize=4\nCMD=uploadphoto\x00\xff\xd8\xff\xe0"
    r = client.post("/iclock/cdata", params={"SN": term.sn, "table": "ATTPHOTO", "Stamp": "1"}, content=photo)
    assert r.status_code == 200 and r.text == "OK"
    [p] = q(runtime, "SELECT filename, pin, size FROM terminal_photos WHERE sn = :sn", sn=term.sn)
    assert p == {"filename": "20261208074100-42.jpg", "pin": "42", "size": 4}
    assert q(runtime, "SELECT operlog_stamp FROM terminals WHERE sn = :sn", sn=term.sn)[0]["operlog_stamp"] == "77"


def test_batch_holding_a_punch_already_stored_as_a_check_in(client, runtime):
    """A realtime punch whose check-in was stored but whose line was not (the server stopped
    in between): the terminal's resend stores the line, and the punch still counts once."""
    from ingest import attendance
    from ingest.rules.judge import Attempt

    term = _terminal(client, runtime)
    [(emp, pin)] = staff(runtime, 1)
    first = at(DAYS[1], 7, 35)
    moment = first.replace(tzinfo=WIB)
    attendance.record(runtime, emp["id"], Attempt(source="terminal", captured_at=moment, received_at=moment),
                      f"terminal:{term.sn}:{pin}:{first:%Y-%m-%d %H:%M:%S}", payload={}, check_geofence=False,
                      zone=WIB, terminal_sn=term.sn, office_code="DINKES-1")
    term.punch(pin, first, realtime=False)
    term.punch(pin, at(DAYS[1], 16, 40), 1, realtime=False)
    assert term.upload().text == "OK:2"
    catch_up(runtime)       # the stored lines applied: the one already a check-in is not stored twice
    assert [c["session"] for c in check_ins(runtime, term.sn)] == ["in", "out"]
    assert [x["state"] for x in logs(runtime, term.sn)] == ["applied", "applied"]
    wd = q(runtime, "SELECT first_in, last_out FROM work_days WHERE employee_id = :e AND work_date = :d",
           e=emp["id"], d=DAYS[1])[0]
    assert wd["first_in"] == moment and wd["last_out"] is not None


def test_demo_fleet_wrong_zone_and_reboot(server, runtime):
    """The demo's simulated terminals (ingest.simulate.terminals) against the server."""
    import asyncio

    from ingest.simulate import terminals as sim

    people = {"DINKES-1": [p for _, p in staff(runtime, 4)], "PKM-CLG-1": [p for _, p in staff(runtime, 3, "PKM-CLG")]}
    fleet = sim.plan(runtime, people, day_start=dt.datetime(2026, 12, 8, 7, 0, tzinfo=WIB), spread_min=30,
                     wrong_zone=1, rebooting=1, prefix=sn()[:9])
    assert fleet[1].reboot_at is not None
    report = asyncio.run(sim.morning(server, fleet, until=dt.datetime(2026, 12, 8, 9, 0, tzinfo=WIB), tick_s=0.05))
    assert report.reboots == 1 and not report.errors
    wrong, rebooted = fleet
    assert len(check_ins(runtime, rebooted.sn)) == 3 and len(logs(runtime, rebooted.sn)) == 3
    assert report.lines == 4 + 3 + 3          # the rebooted terminal sent its 3 lines twice
    shifted = check_ins(runtime, wrong.sn)
    assert len(shifted) == 4 and all(c["captured_at"] >= dt.datetime(2026, 12, 8, 8, 0, tzinfo=WIB) for c in shifted)
    health = {t["sn"]: t["health"] for t in registry.health(runtime)["terminals"]}
    assert health[wrong.sn] == "clock_drift" and health[rebooted.sn] == "online"


def test_same_line_twice_in_one_upload_is_stored_once(client, runtime):
    term = _terminal(client, runtime)
    [(emp, pin)] = staff(runtime, 1)
    line = term.line(Record(pin, at(DAYS[2], 7, 28)))
    assert term.post_lines([line, line, term.line(Record(pin, at(DAYS[2], 16, 1), 1))]).text == "OK:3"
    catch_up(runtime)
    assert len(logs(runtime, term.sn)) == 2 and len(check_ins(runtime, term.sn)) == 2
