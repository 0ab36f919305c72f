"""The BKPP recap and its files; properties over random months (hypothesis, real servers)."""
from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import leave, recap
from ingest.recompute import recompute
from foundation.leave_types import LEAVE_TYPES
from ingest.work_days import rebuild_range
from tests.conftest import ROOT, runtime_env
from tests.support.days import at, check_in, employee, work_days

EXPECTED_COLUMNS = ("nip nama unit_kode unit_nama hari_kerja hadir tl1 tl2 tl3 tl4 psw1 psw2 psw3 psw4 tk "
                    "izin sakit cuti dinas_luar menit_terlambat menit_pulang_cepat hari_manual menunggu_tinjauan apel_tidak_hadir potongan_apel_persen "
                    "potongan_persen").split()


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "recap")


def close(rt, emp, first, last):
    with rt.transaction() as conn:
        rebuild_range(conn, rt.config, first, last, employee_ids=[emp["id"]], closed=True)


def recap_row(rt, nip, first, last, units=None) -> dict:
    with rt.connection() as conn:
        _, rows = recap.employee_recap(conn, rt.config, first, last, units)
        return next(r for r in rows if r["nip"] == nip)


def pantau(rt, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pantau", *args], cwd=ROOT, env=runtime_env(rt),
                          capture_output=True, text=True, timeout=120)


def test_a_month_that_hits_the_cap_in_an_excel_csv_and_xlsx(rt, tmp_path):
    first, last = dt.date(2027, 4, 1), dt.date(2027, 4, 30)
    absent = employee(rt, "DINKES", name="Siti Nurhaliza Ärzte")
    late = employee(rt, "PKM-CLG", name="Budi")
    monday = dt.date(2027, 4, 5)
    check_in(rt, late, at(monday, "08:40"))   # 100 min late at a puskesmas (07:00-14:00): TL4 1.5 %
    check_in(rt, late, at(monday, "13:00"))   # 60 min early: PSW2 1 %
    close(rt, absent, first, last)
    close(rt, late, monday, monday)
    out, summary = tmp_path / "rekap.csv", tmp_path / "unit.csv"
    done = pantau(rt, "recap", "2027-04", "--unit", "DINKES", "--out", str(out), "--sep", ";", "--summary", str(summary))
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                      # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert list(rows[0]) == EXPECTED_COLUMNS
    mine = {r["nip"]: r for r in rows}
    a = mine[absent["nip"]]
    assert (a["nama"], a["unit_kode"], a["tk"], a["hari_kerja"]) == ("Siti Nurhaliza Ärzte", "DINKES", "22", "22")
    assert a["potongan_persen"] == "100"                        # 22 x 5 % = 110 %, capped
    b = mine[late["nip"]]                                       # PKM-CLG is under DINKES: in the subtree
    assert (b["tl4"], b["psw2"], b["menit_terlambat"], b["potongan_persen"]) == ("1", "1", "100", "2,5")
    units = {r["unit_kode"]: r for r in csv.DictReader(summary.read_text("utf-8-sig").splitlines(), delimiter=";")}
    assert set(units) >= {"DINKES", "PKM-CLG"} and "DAMKAR" not in units
    book = tmp_path / "rekap.xlsx"
    assert pantau(rt, "recap", "2027-04", "--out", str(book), "--xlsx").returncode == 0
    with zipfile.ZipFile(book) as z:
        assert absent["nip"] in z.read("xl/worksheets/sheet1.xml").decode()   # inline text, not a number


def test_tk_year_names_the_pp94_sanction(rt, tmp_path):
    emp = employee(rt, "SETDA")
    close(rt, emp, dt.date(2027, 6, 2), dt.date(2027, 6, 15))   # 10 work days in a row (weekends between)
    out = tmp_path / "tk.csv"
    assert pantau(rt, "recap", "tk-year", "2027", "--out", str(out), "--unit", "SETDA").returncode == 0
    row = next(r for r in csv.DictReader(out.read_text("utf-8-sig").splitlines()) if r["nip"] == emp["nip"])
    assert (row["tk_hari"], row["tk_beruntun_maks"], row["tingkat"]) == ("10", "10", "berat")
    assert row["sanksi"] == "pemberhentian dengan hormat tidak atas permintaan sendiri"


def test_bad_month_and_unit_are_refused_clearly(rt, tmp_path):
    bad = pantau(rt, "recap", "2027-13", "--out", str(tmp_path / "x.csv"))
    assert bad.returncode == 2 and "must be YYYY-MM" in bad.stderr and not (tmp_path / "x.csv").exists()
    assert "is not in config.yaml" in pantau(rt, "recompute", "--from", "2027-01-01", "--to", "2027-01-02",
                                             "--unit", "NOPE").stderr


# --- properties -------------------------------------------------------------------------
WEEK = [dt.date(2027, 1, 4) + dt.timedelta(days=n) for n in range(7)]
punch = st.tuples(st.sampled_from(range(7)), st.integers(min_value=5 * 60, max_value=21 * 60 - 1))
a_leave = st.none() | st.tuples(st.sampled_from(sorted(LEAVE_TYPES)), st.integers(0, 6), st.integers(0, 3))


def _record_week(rt, unit, punches, leave_spec):
    emp = employee(rt, unit)
    for offset, minute in punches:
        check_in(rt, emp, at(WEEK[offset], f"{minute // 60:02d}:{minute % 60:02d}"))
    if leave_spec:
        code, start, length = leave_spec
        last = min(start + length, 6)
        leave.add(rt, [leave.LeaveInput("t", emp["nip"], code, str(WEEK[start]), str(WEEK[last]))],
                  actor="t", source="t")
    return emp


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=st.sampled_from(["DINKES", "PKM-CLG", "DAMKAR"]), punches=st.lists(punch, max_size=10),
       leave_spec=a_leave, close_some=st.booleans())
def test_recompute_matches_the_live_path_and_then_changes_nothing(rt, unit, punches, leave_spec, close_some):
    emp = _record_week(rt, unit, punches, leave_spec)
    if close_some:
        close(rt, emp, WEEK[0], WEEK[2])
    before = {r["work_date"]: r for r in work_days(rt, emp["id"], WEEK[0], WEEK[-1])}
    first = recompute(rt, WEEK[0], WEEK[-1], unit_code=unit, actor="t")
    assert first["written"] == 0                      # the live path already wrote what recompute derives
    after = {r["work_date"]: r for r in work_days(rt, emp["id"], WEEK[0], WEEK[-1])}
    assert all(after[d]["updated_at"] == before[d]["updated_at"] for d in before)
    assert recompute(rt, WEEK[0], WEEK[-1], unit_code=unit, actor="t")["written"] == 0


MONTH = (dt.date(2027, 3, 1), dt.date(2027, 3, 31))   # Ramadan until the 9th, Nyepi cuti bersama


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.tuples(st.integers(0, 30), st.integers(6 * 60, 10 * 60), st.integers(12 * 60, 20 * 60),
                               st.booleans(), st.booleans()), max_size=25),
       leave_spec=a_leave)
def test_the_recap_equals_the_sum_of_its_days(rt, days, leave_spec):
    emp = employee(rt, "SETDA")
    for offset, t_in, t_out, has_in, has_out in days:
        day = MONTH[0] + dt.timedelta(days=offset)
        if has_in:
            check_in(rt, emp, at(day, f"{t_in // 60:02d}:{t_in % 60:02d}"), session="in")
        if has_out:
            check_in(rt, emp, at(day, f"{t_out // 60:02d}:{t_out % 60:02d}"), session="out")
    if leave_spec:
        code, start, length = leave_spec
        leave.add(rt, [leave.LeaveInput("t", emp["nip"], code, str(MONTH[0] + dt.timedelta(days=start * 4)),
                                        str(MONTH[0] + dt.timedelta(days=start * 4 + length)))], actor="t", source="t")
    close(rt, emp, *MONTH)
    rows = [r for r in work_days(rt, emp["id"], *MONTH) if r["is_work_day"]]
    got = recap_row(rt, emp["nip"], *MONTH)
    groups = {c: {k for k, (_, col) in LEAVE_TYPES.items() if col == c} for c in ("izin", "sakit", "cuti", "dinas_luar")}
    assert got["hari_kerja"] == len(rows)
    assert got["hadir"] == sum(r["status"] == "hadir" for r in rows)
    assert got["tk"] == sum(r["status"] == "tk" for r in rows)
    for n in range(1, 5):
        assert got[f"tl{n}"] == sum(r["late_band"] == f"TL{n}" for r in rows)
        assert got[f"psw{n}"] == sum(r["early_band"] == f"PSW{n}" for r in rows)
    for column, codes in groups.items():
        assert got[column] == sum(r["status"] in codes for r in rows)
    assert got["menit_terlambat"] == sum(r["minutes_late"] for r in rows if r["status"] == "hadir")
    assert got["potongan_persen"] == min(Decimal(100), sum((r["deduction_percent"] for r in rows), Decimal(0)))
    assert got["hari_kerja"] == got["hadir"] + got["tk"] + sum(got[c] for c in groups)
