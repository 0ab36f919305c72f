"""An employee who leaves (pensiun, mutasi keluar) has a last day in service: TK up to it,
none after, and from the next day the wall no longer expects them. Hand-computed on a
plain week (April 2027 has no holiday)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from ingest import live
from ingest.rules.calendar import calendar_for
from ingest.work_days import rebuild_range
from queries import attendance as qa
from queries import audit
from queries import employees as qe
from tests.conftest import ROOT, runtime_env
from tests.support.days import employee, work_days

MON, WED, THU, FRI = (dt.date(2027, 4, d) for d in (5, 7, 8, 9))


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "leaving")


def _leave(rt, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pantau", "employees", "leave", *args], cwd=ROOT,
                          env=runtime_env(rt), capture_output=True, text=True, timeout=120)


def _expected(rt, day, unit="DINKES") -> int:
    with rt.connection() as conn:
        statuses = qa.live_statuses(conn, day)
    return live.expected_count(calendar_for(rt.config), rt.config, statuses, day).get(unit, 0)


def test_no_tk_after_the_last_day_and_not_expected_from_the_next(rt):
    leaving, staying = employee(rt, "DINKES"), employee(rt, "DINKES")
    before_thu = _expected(rt, THU)
    done = _leave(rt, leaving["nip"], "--last-day", str(WED), "--reason", "pensiun", "--actor", "bkpp")
    assert done.returncode == 0, done.stderr
    with rt.transaction() as conn:
        rebuild_range(conn, rt.config, MON, FRI, employee_ids=[leaving["id"], staying["id"]], closed=True)
    assert [(w["work_date"], w["status"]) for w in work_days(rt, leaving["id"], MON, FRI)] == [
        (MON, "tk"), (dt.date(2027, 4, 6), "tk"), (WED, "tk")]          # Mon-Wed in service, absent: 3 TK
    assert [w["status"] for w in work_days(rt, staying["id"], MON, FRI)] == ["tk"] * 5
    assert _expected(rt, WED) == before_thu                          # still expected on the last day
    assert _expected(rt, THU) == before_thu - 1                      # not from the next day on
    with rt.connection() as conn:
        [entry] = audit.entries(conn, "employee.update", target=f"employee:{leaving['nip']}")
    assert entry["after"] == {"active_until": str(WED)} and entry["actor"] == "bkpp"


def test_a_bad_date_or_unknown_nip_is_refused_clearly(rt):
    bad = _leave(rt, "196810121990031004", "--last-day", "07-04-2027", "--reason", "pensiun")
    assert bad.returncode == 2 and "must be YYYY-MM-DD" in bad.stderr
    unknown = _leave(rt, "196810121990031999", "--last-day", "2027-04-07", "--reason", "pensiun")
    assert unknown.returncode == 2 and "no employee has NIP" in unknown.stderr


def test_the_import_file_sets_and_clears_the_last_day(rt, tmp_path):
    person = employee(rt, "DINKES")
    with rt.connection() as conn:
        name = qe.by_nip(conn, person["nip"])["name"]
    path = tmp_path / "pegawai.csv"
    for written, stored in (("30/04/2027", dt.date(2027, 4, 30)), ("", None)):
        path.write_text(f"nip;nama;unit_kode;jabatan;aktif_sampai\n{person['nip']};{name};DINKES;Pelaksana;{written}\n")
        done = subprocess.run([sys.executable, "-m", "pantau", "employees", "import", str(path)], cwd=ROOT,
                              env=runtime_env(rt), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with rt.connection() as conn:
            assert qe.by_nip(conn, person["nip"])["active_until"] == stored
    path.write_text(f"nip;nama;unit_kode;jabatan;aktif_sampai\n{person['nip']};{name};DINKES;Pelaksana;besok\n")
    bad = subprocess.run([sys.executable, "-m", "pantau", "employees", "import", str(path)], cwd=ROOT,
                         env=runtime_env(rt), capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "aktif_sampai" in bad.stderr and "'besok'" in bad.stderr
