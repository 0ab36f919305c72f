"""Day close, leave, recompute and the worker on real Postgres and Redis."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ingest import leave, live
from ingest.day_close import close_day, close_time
from ingest.recompute import recompute
from ingest.work_days import rebuild_range
from ingest.worker import Worker
from foundation.config_file import parse_config
from queries import audit, db
from tests.conftest import REGIONS, ROOT
from tests.support.days import at, check_in, employee, work_day, work_days


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "days")


def test_day_close_marks_tk_and_missing_bands_once(rt):
    day = dt.date(2026, 12, 7)  # Monday
    only_in, only_out, nothing, on_leave = (employee(rt, "DINKES") for _ in range(4))
    check_in(rt, only_in, at(day, "07:40"))
    check_in(rt, only_out, at(day, "16:10"))
    leave.add(rt, [leave.LeaveInput("t", on_leave["nip"], "cuti_tahunan", str(day), str(day))],
              actor="tester", source="test")
    first = close_day(rt, day, "tester")
    got = {e["id"]: work_day(rt, e["id"], day) for e in (only_in, only_out, nothing, on_leave)}
    assert [(r["status"], r["late_band"], r["early_band"], float(r["deduction_percent"]), r["closed"])
            for r in got.values()] == [("hadir", "TL1", "PSW4", 2.0, True), ("hadir", "TL4", None, 1.5, True),
                                       ("tk", None, None, 5.0, True), ("cuti_tahunan", None, None, 0.0, True)]
    again = close_day(rt, day, "tester")
    assert first["written"] >= 4 and again["written"] == 0 and again["run"] == 2
    assert again["counts"] == first["counts"]
    with rt.connection() as conn:
        closes = [e for e in audit.entries(conn, action="day.close") if e["target"] == day.isoformat()]
    assert len(closes) == 2 and closes[0]["after"]["written"] == 0
    assert live.snapshot(rt, day)["units"]["DINKES"]["absent"] >= 1


def test_leave_approved_after_day_close_turns_tk_into_leave(rt):
    day = dt.date(2026, 12, 8)
    emp = employee(rt, "DINKES")
    close_day(rt, day, "tester")
    assert work_day(rt, emp["id"], day)["status"] == "tk"
    done = leave.add(rt, [leave.LeaveInput("t", emp["nip"], "Cuti sakit", "08/12/2026", "2026-12-08", "demam")],
                     actor="bkpp", source="cli")
    row = work_day(rt, emp["id"], day)
    assert (row["status"], float(row["deduction_percent"]), row["closed"]) == ("cuti_sakit", 0.0, True)
    assert done[0]["work_days"] == 1
    with rt.connection() as conn:
        assert audit.entries(conn, action="leave.approve", actor="bkpp")[0]["target"] == emp["nip"]


def test_leave_import_names_every_problem_by_line_and_writes_nothing(rt, tmp_path):
    a, b = employee(rt, "DINKES"), employee(rt, "DINKES")
    leave.add(rt, [leave.LeaveInput("t", a["nip"], "dinas_luar", "2026-12-14", "2026-12-15")], actor="t", source="t")
    bad = tmp_path / "cuti.csv"
    bad.write_text("\ufeffnip;jenis;dari;sampai;alasan\n"
                   f"{b['nip']};cuti_tahunan;2026-12-14;2026-12-16;liburan\n"
                   "123;cuti_tahunan;2026-12-14;2026-12-16;\n"
                   f"{b['nip']};TL;2026-12-20;2026-12-21;\n"
                   f"{b['nip']};sakit;2026-13-01;2026-12-01;\n"
                   f"{a['nip']};izin;2026-12-15;2026-12-15;\n"
                   f"{b['nip']};izin;2026-12-16;2026-12-16;\n", encoding="utf-8")
    with pytest.raises(leave.LeaveError) as err:
        leave.add(rt, leave.read_csv(bad), actor="t", source="t")
    text = "\n".join(err.value.problems)
    assert "baris 3 / line 3: NIP '123' harus 18 angka / NIP '123' must be 18 digits" in text
    assert "line 4: jenis 'TL' tidak dikenal" in text
    assert "line 5: tanggal mulai '2026-13-01' bukan tanggal" in text
    assert "line 6: bertumpang tindih dengan dinas_luar 2026-12-14..2026-12-15" in text
    assert "line 7: bertumpang tindih dengan baris 2 / line 2" in text
    with rt.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM leaves WHERE employee_id = :e", e=b["id"]) == 0
    good = tmp_path / "ok.csv"
    good.write_text(f"nip,jenis,dari,sampai\n{b['nip']},cuti_tahunan,2026-12-14,2026-12-18\n", encoding="utf-8")
    assert leave.add(rt, leave.read_csv(good), actor="t", source="t")[0]["work_days"] == 5


def test_recompute_applies_changed_rules_reports_them_and_then_changes_nothing(rt):
    first, last = dt.date(2026, 12, 21), dt.date(2026, 12, 23)
    emp = employee(rt, "SETDA")
    check_in(rt, emp, at(first, "07:45"))
    with rt.transaction() as conn:
        rebuild_range(conn, rt.config, first, last, employee_ids=[emp["id"]], closed=True)
    assert [r["status"] for r in work_days(rt, emp["id"], first, last)] == ["hadir", "tk", "tk"]
    # the region halves TK and adds a local holiday on the 23rd
    text = (ROOT / "config.yaml").read_text().replace("absent_percent: 5.0", "absent_percent: 2.5").replace(
        '  - {date: 2026-04-27, name: "Hari Jadi Kota Cilegon"}',
        '  - {date: 2026-04-27, name: "Hari Jadi Kota Cilegon"}\n    - {date: 2026-12-23, name: "Libur daerah"}')
    changed = dataclasses.replace(rt, config=parse_config(text))
    report = recompute(changed, first, last, unit_code="SETDA", actor="tester", reason="aturan baru")
    rows = work_days(rt, emp["id"], first, last)
    assert [(r["status"], float(r["deduction_percent"])) for r in rows] == [("hadir", 2.0), ("tk", 2.5), ("libur", 0.0)]
    assert report["updated"] >= 2 and any(s["after"].get("status") == "libur" for s in report["sample"])
    assert recompute(changed, first, last, unit_code="SETDA", actor="tester")["written"] == 0
    with rt.connection() as conn:
        entry = audit.entries(conn, action="work_days.recompute")[1]
    assert entry["reason"] == "aturan baru" and entry["after"]["updated"] == report["updated"]


def test_recompute_keeps_the_unit_a_day_was_worked_in(rt):
    day = dt.date(2026, 12, 28)
    emp = employee(rt, "DINKES")
    check_in(rt, emp, at(day, "07:20"))
    with rt.transaction() as conn:
        db.run(conn, "UPDATE employees SET unit_code = 'SETDA' WHERE id = :e", e=emp["id"])  # transferred later
    recompute(rt, day, day, actor="tester")
    assert work_day(rt, emp["id"], day)["unit_code"] == "DINKES"


def test_no_tk_before_an_employee_joined(rt):
    day = dt.date(2026, 12, 29)
    emp = employee(rt, "DINKES")
    with rt.transaction() as conn:
        db.run(conn, "UPDATE employees SET active_from = :d WHERE id = :e", d=day + dt.timedelta(days=1), e=emp["id"])
    close_day(rt, day, "tester")
    assert work_day(rt, emp["id"], day) is None


def test_night_shift_across_midnight_is_closed_on_its_start_date(rt):
    start = dt.date(2026, 12, 9)  # roster: malam (day 338 from 2026-01-05)
    emp = employee(rt, "DAMKAR")
    check_in(rt, emp, at(start, "22:10"))
    out = check_in(rt, emp, at(start, "06:40", plus_days=1))
    assert out.work_day.work_date == start
    close_day(rt, start, "tester")
    row = work_day(rt, emp["id"], start)
    assert (row["day_type"], row["late_band"], row["early_band"], float(row["deduction_percent"])) == ("malam", "TL1", "PSW1", 1.0)


def test_wit_office_day_is_dated_and_late_in_its_own_zone(make_runtime):
    wit = make_runtime(REGIONS / "wit.yaml", "wit")
    emp = employee(wit, "SETPROV")
    moment = dt.datetime(2026, 12, 6, 22, 45, tzinfo=dt.timezone.utc)   # 07:45 WIT, Monday 7 Dec
    assert check_in(wit, emp, moment).work_day.work_date == dt.date(2026, 12, 7)
    close_day(wit, dt.date(2026, 12, 7), "tester")
    row = work_day(wit, emp["id"], dt.date(2026, 12, 7))
    assert (row["minutes_late"], row["late_band"], row["early_band"]) == (15, "TL1", "PSW4")


def test_worker_closes_each_due_date_once_and_rebuilds_live(rt):
    worker = Worker(rt, first_day=dt.date(2027, 1, 4), live_every_s=0)
    with rt.connection() as conn:
        last = db.scalar(conn, "SELECT max(work_date) FROM day_closes")
    assert last is None or last < dt.date(2027, 1, 4)
    with rt.transaction() as conn:  # pretend everything before go-live was closed
        db.run(conn, "INSERT INTO day_closes (work_date, closed_by) VALUES ('2027-01-03', 'test')")
    emp = employee(rt, "DINKES")
    due = close_time(rt.config, dt.date(2027, 1, 4))
    assert worker.tick(due - dt.timedelta(minutes=1)) == []
    done = worker.tick(due + dt.timedelta(minutes=1))
    assert [d["date"] for d in done] == ["2027-01-04"] and worker.tick(due + dt.timedelta(minutes=2)) == []
    assert work_day(rt, emp["id"], dt.date(2027, 1, 4))["status"] == "tk"


def test_worker_refreshes_the_rollups_on_its_next_tick_after_a_closed_day_changes(rt):
    day = dt.date(2026, 12, 15)
    emp = employee(rt, "DINKES")
    close_day(rt, day, "tester")
    worker = Worker(rt, first_day=day, live_every_s=10**6)
    now = close_time(rt.config, day) + dt.timedelta(hours=1)   # nothing left to close

    def rolled():
        with rt.connection() as conn:
            return db.one(conn, "SELECT tk, on_leave FROM unit_day_rollup WHERE work_date = :d AND unit_code = 'DINKES'",
                          d=day)
    worker.tick(now)   # the first tick always refreshes
    first = rolled()
    leave.add(rt, [leave.LeaveInput("t", emp["nip"], "Cuti sakit", "15/12/2026", "2026-12-15", "demam")],
              actor="bkpp", source="cli")
    worker.tick(now + dt.timedelta(minutes=1))   # well within the half-hourly refresh
    assert rolled() == {"tk": first["tk"] - 1, "on_leave": first["on_leave"] + 1}


def test_worker_process_stops_cleanly_on_sigterm(rt):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import runtime_env

    proc = subprocess.Popen([sys.executable, "-m", "pantau", "worker", "--tick", "0.2", "--since", "2027-01-04"],
                            cwd=ROOT, env=runtime_env(rt), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "worker started" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "worker started" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "worker stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_worker_refreshes_the_dashboard_rollups_after_a_close(make_runtime):
    fresh = make_runtime(ROOT / "config.yaml", "rollup")   # its own day_closes history
    day = dt.date(2027, 2, 1)
    emp = employee(fresh, "DINKES")
    worker = Worker(fresh, first_day=day)
    assert [d["date"] for d in worker.tick(close_time(fresh.config, day) + dt.timedelta(minutes=1))] == [str(day)]
    assert work_day(fresh, emp["id"], day)["status"] == "tk"
    with fresh.connection() as conn:
        tk = db.scalar(conn, "SELECT tk FROM unit_day_rollup WHERE work_date = :d AND unit_code = 'DINKES'", d=day)
    assert tk == 1   # the closed day reached the dashboard's rollup without a manual refresh
