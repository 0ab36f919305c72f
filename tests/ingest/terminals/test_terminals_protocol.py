"""The push protocol's pure parts: line variants, replies, command results, clocks."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest.terminals import protocol, registry
from ingest.terminals.protocol import AttLog, BadLine


def test_attlog_variants_in_the_wild():
    body = (b"1001\t2026-12-01 07:21:05\t0\t1\t0\t0\t0\t0\t0\t0\r\n"    # 10 fields, CRLF
            b"  1002\t2026-12-01 07:22:00\t1\t15\r\n"                      # 4 fields, padded PIN
            b"1003\t2026/12/01 07:23\n"                                    # slashes, no seconds
            b"\n"
            b"1004\t2026-12-01T07:24:00\t0\t1\t\t\n")
    records, bad = protocol.parse_attlog(body)
    assert bad == []
    assert [(r.pin, r.local_text, r.punch_state, r.verify) for r in records] == [
        ("1001", "2026-12-01 07:21:05", "0", "1"), ("1002", "2026-12-01 07:22:00", "1", "15"),
        ("1003", "2026-12-01 07:23:00", None, None), ("1004", "2026-12-01 07:24:00", "0", "1")]
    assert records[0].raw.count("\t") == 9 and not records[0].raw.endswith("\r")


@pytest.mark.parametrize("line,reason", [
    ("1001\t2026-12-32 07:00:00\t0\t1", "not YYYY-MM-DD HH:MM:SS"),
    ("1001 2026-12-01 07:00:00 0 1", "at least PIN and time"),
    ("\t2026-12-01 07:00:00\t0", "PIN is empty"),
    ("10 01\t2026-12-01 07:00:00", "letters or digits"),
    ("1001\t2026-12-01 07:00:00+07:00", "not YYYY-MM-DD HH:MM:SS"),
    ("1001\x00\x01\t2026", "binary data"),
])
def test_malformed_lines_say_why(line, reason):
    parsed = protocol.parse_attlog_line(line, 3)
    assert isinstance(parsed, BadLine) and reason in parsed.reason and parsed.line_no == 3


def test_undecodable_bytes_do_not_break_a_batch():
    records, bad = protocol.parse_attlog(b"1001\t2026-12-01 07:00:00\t0\t1\n\xff\xfe\xfa\t\xc3\n")
    assert [r.pin for r in records] == ["1001"] and len(bad) == 1


def test_handshake_reply_starts_at_byte_zero_with_every_option():
    text = protocol.handshake_reply("ABC123", attlog_stamp=None, operlog_stamp="55", timezone_hours=8,
                                    delay_s=30, error_delay_s=60, trans_interval_min=1)
    lines = text.splitlines()
    assert text.startswith("GET OPTION FROM: ABC123\n")
    options = dict(line.split("=", 1) for line in lines[1:])
    assert options["ATTLOGStamp"] == "None" and options["OPERLOGStamp"] == "55"
    assert options["TimeZone"] == "8" and options["Delay"] == "30" and options["Encrypt"] == "None"
    assert options["TransFlag"].startswith("TransData AttLog\tOpLog")


def test_command_results_with_info_data():
    body = b"ID=5&Return=0&CMD=INFO\n~DeviceName=X100-C\nDateTime=2026-12-08 07:50:01\nID=6&Return=-1002&CMD=DATA\n"
    results = protocol.parse_command_results(body)
    assert [(r.id, r.code, r.command) for r in results] == [(5, 0, "INFO"), (6, -1002, "DATA")]
    assert protocol.device_time(results[0].data) == dt.datetime(2026, 12, 8, 7, 50, 1)
    assert protocol.device_time(results[1].data) is None


def test_info_parameter():
    info = protocol.parse_info("Ver 6.60 Apr 28 2017,12,8,1234,192.168.1.201,10,7,0,0,111")
    assert info["firmware"] == "Ver 6.60 Apr 28 2017" and info["attlogs"] == "1234" and info["ip"] == "192.168.1.201"
    assert protocol.parse_info(None) == {}


def test_time_sync_command_packs_the_terminal_clock():
    local = dt.datetime(2026, 12, 8, 7, 50, 1)
    packed = protocol.zk_encode_time(local)
    assert packed == ((26 * 12 * 31 + 11 * 31 + 7) * 86400) + 7 * 3600 + 50 * 60 + 1
    assert protocol.wire_command(9, "time_sync", "SET OPTIONS DateTime=", local) == f"C:9:SET OPTIONS DateTime={packed}"
    assert protocol.wire_command(10, "reboot", "REBOOT", local) == "C:10:REBOOT"
    assert protocol.commands_reply([]) == "OK"


def test_time_sync_matches_the_push_spec_example():
    # the PUSH protocol document's own line: C:401:SET OPTIONS DateTime=583080894
    local = dt.datetime(2018, 2, 22, 14, 54, 54)
    assert protocol.wire_command(401, "time_sync", "", local) == "C:401:SET OPTIONS DateTime=583080894"


def test_operlog_keeps_no_biometric_template():
    lines = protocol.parse_operlog("USER PIN=7\tName=Budi\nFP PIN=7\tFID=1\tTMP=AAAABBBB\nOPLOG 4\t0\t2026-12-01 07:00:00\n")
    assert [(x.kind, x.pin) for x in lines] == [("USER", "7"), ("FP", "7"), ("OPLOG", None)]
    assert "AAAABBBB" not in lines[1].content


@pytest.mark.parametrize("text,minutes", [("+480", 480), ("+8", 480), ("+08:00", 480), ("-0530", None),
                                          ("-5:30", -330), ("420", 420), ("7", 420), ("+15", None), ("abc", None)])
def test_utc_offset_forms(text, minutes):
    if minutes is None:
        with pytest.raises(registry.TerminalError):
            registry.parse_utc_offset(text)
    else:
        assert registry.parse_utc_offset(text) == minutes


def test_drift_from_uploads():
    now = dt.datetime(2026, 12, 8, 0, 50, tzinfo=dt.timezone.utc)
    assert registry.drift_sample(now + dt.timedelta(minutes=61), now, 500, 3600) == 3660    # ahead: always told
    assert registry.drift_sample(now - dt.timedelta(seconds=4), now, 1, 3600) == -4          # realtime punch
    assert registry.drift_sample(now - dt.timedelta(hours=5), now, 1, 3600) is None          # an old one
    assert registry.drift_sample(now - dt.timedelta(minutes=15), now, 1, 600) is None
    assert registry.drift_sample(now - dt.timedelta(minutes=9), now, 400, 3600) is None      # a catch-up batch


def test_drift_estimate_ignores_late_uploads():
    kept, drift = registry.drift_estimate([-3.0, -2.0], -500.0)
    assert kept == [-3.0, -2.0, -500.0] and drift == -2.0
    kept, drift = registry.drift_estimate([0.0] * 10, 3600.0)
    assert len(kept) == 10 and drift == 3600.0
    assert registry.drift_estimate([1.0], None) is None


def test_plausible_times():
    from foundation.config import Terminals

    now = dt.datetime(2026, 12, 8, 0, 50, tzinfo=dt.timezone.utc)
    wib = dt.timezone(dt.timedelta(hours=7))
    assert registry.plausible(dt.datetime(2026, 12, 8, 7, 0), wib, now, Terminals()) is None
    assert "future" in registry.plausible(dt.datetime(2026, 12, 10, 7, 0), wib, now, Terminals())
    assert "days old" in registry.plausible(dt.datetime(2000, 1, 1, 0, 0), wib, now, Terminals())


def test_attlog_is_hashable_and_keyed_by_terminal_time():
    a = AttLog("1", dt.datetime(2026, 12, 1, 7, 0), "0", "1", None, "raw")
    assert a.local_text == "2026-12-01 07:00:00" and len({a, a}) == 1


def test_a_punch_is_judged_the_same_anywhere_in_its_minute():
    """The per-minute verdict reuse (terminals.verdicts) equals the pure judge at every second
    of a day's edges: window openings, the start of the day (lateness) and its end."""
    import json
    from zoneinfo import ZoneInfo

    from ingest.attendance import person_for
    from ingest.rules.calendar import calendar_for
    from ingest.rules.judge import Attempt, judge
    from ingest.terminals import verdicts
    from foundation.config_file import load_config
    from tests.conftest import ROOT

    config = load_config(ROOT / "config.yaml")
    calendar, wib = calendar_for(config), ZoneInfo("Asia/Jakarta")
    person = person_for(config, {"unit_code": "DINKES", "assigned_units": [],
                                 "schedule_code": config.unit_schedule("DINKES")})
    seen = set()
    for hh in range(5, 20):
        for mm in range(60):
            for ss in (0, 1, 59):
                at = dt.datetime(2026, 12, 8, hh, mm, ss, tzinfo=wib)
                got = verdicts.judged(config, calendar, person, at, wib, "push")
                want = judge(config, calendar, person, Attempt(source="terminal", captured_at=at, received_at=at),
                             check_geofence=False, zone=wib)
                assert (got.work_date, got.session, got.verdict, got.minutes_late, got.minutes_early, got.counts) == \
                    (want.work_date, want.session, want.verdict, want.minutes_late, want.minutes_early, want.counts)
                assert got.reasons == "{" + ",".join(want.reasons) + "}"
                assert json.loads(got.payload)["verdict"]["message_en"] == want.message_en
                seen.add((want.session, want.verdict, bool(want.minutes_late)))
    assert {("in", "accepted", True), ("in", "accepted", False), ("out", "accepted", False)} <= seen
    assert any(s is None for s, _, _ in seen)     # outside every window, too
