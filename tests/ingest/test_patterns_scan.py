"""The pattern scan on real Postgres: phone check-ins stored through the API's path, a
selfie sent twice by two employees, a pair who always arrive together; found once, stored
once (a rescan adds nothing), exported for the inspectorate in Indonesian."""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image

from ingest import attendance, patterns, selfies
from ingest.rules.judge import Attempt
from queries import db
from tests.conftest import ROOT, runtime_env
from tests.support import factories

WIB = ZoneInfo("Asia/Jakarta")
DAYS = [dt.date(2026, 10, d) for d in (5, 6, 7, 8)]       # Monday..Thursday, apart from other tests' dates


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (96, 72, 3)).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).resize((480, 640)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _check_in(rt, employee, when, north_m=0.0, selfie: bytes | None = None, key=""):
    office = rt.config.office_by_code["DINKES-1"]
    sha = selfies.store(rt.settings.selfie_dir, selfie) if selfie else None
    attempt = Attempt(source="mobile", captured_at=when, received_at=when, lat=office.lat + north_m / 111_195,
                      lon=office.lon, accuracy_m=6.0, session="in")
    return attendance.record(rt, employee["id"], attempt, f"mobile:{employee['id']}:{key}{when.isoformat()}",
                             payload={}, selfie_sha256=sha)


def test_scan_finds_a_pair_and_a_reused_selfie_stores_them_once_and_exports_them(runtime, tmp_path):
    a, b, c = (factories.employee(runtime, "DINKES", name=n) for n in ("Siti Aminah", "Dewi Lestari", "Joko Susilo"))
    same_photo = _jpeg(11)
    for i, day in enumerate(DAYS):
        t = dt.datetime.combine(day, dt.time(7, 21, 5), tzinfo=WIB)
        wander = 0.7 * i                                   # a real fix moves a little from day to day
        _check_in(runtime, a, t, north_m=wander, selfie=same_photo if i == 0 else _jpeg(100 + i))
        _check_in(runtime, b, t + dt.timedelta(seconds=25), north_m=2 + wander,
                  selfie=same_photo if i == 1 else _jpeg(200 + i))
        _check_in(runtime, c, t + dt.timedelta(minutes=9 + 3 * i), north_m=40 + wander, selfie=_jpeg(300 + i))
    summary = patterns.scan(runtime, DAYS[0], DAYS[-1])
    assert summary["found"] == {"arrive_together": 1, "selfie_reuse": 1}, summary
    assert summary["new"] == 2 and summary["low_trust"] >= 2
    with runtime.connection() as conn:
        flags = db.rows(conn, "SELECT f.source, f.kind, f.weight, f.evidence, c.employee_id FROM check_in_flags f "
                              "JOIN check_ins c ON c.id = f.check_in_id WHERE c.employee_id = ANY(:e)",
                        e=[a["id"], b["id"], c["id"]])
    # every check-in of the pair is flagged arrive_together (weight 50: a trust score of 50, under 70,
    # so each is queued); the two reused selfies are flagged too; the honest colleague has nothing
    together = [f for f in flags if f["kind"] == "arrive_together"]
    assert len(together) == 2 * len(DAYS) and {f["weight"] for f in together} == {50}
    assert sum(f["kind"] == "selfie_reuse" for f in flags) == 2
    trust = [f for f in flags if f["source"] == "trust"]
    assert len(trust) == 2 * len(DAYS) and all(f["evidence"]["score"] < 70 for f in trust)
    assert not any(f["employee_id"] == c["id"] for f in flags)
    with runtime.connection() as conn:
        stored = db.rows(conn, "SELECT kind, employee_ids FROM pattern_findings WHERE work_date BETWEEN :a AND :b "
                               "ORDER BY kind", a=DAYS[0], b=DAYS[-1])
    assert [(r["kind"], sorted(r["employee_ids"])) for r in stored] == [
        ("arrive_together", sorted([a["id"], b["id"]])), ("selfie_reuse", sorted([a["id"], b["id"]]))]
    again = patterns.scan(runtime, DAYS[0], DAYS[-1])
    assert again["new"] == 0 and again["flagged"] == 0                   # a rescan stores nothing twice

    out = tmp_path / "temuan.csv"
    done = subprocess.run([sys.executable, "-m", "pantau", "patterns", "export", "2026-10", "--out", str(out),
                           "--unit", "DINKES"], cwd=ROOT, env=runtime_env(runtime), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    names = {(r["Nama"], r["Pola"]) for r in rows}
    assert ("Siti Aminah", "selalu presensi bersama (titip absen)") in names
    assert ("Dewi Lestari", "swafoto dipakai ulang") in names
    assert not any(r["Nama"] == "Joko Susilo" for r in rows)                # the honest colleague is not in it


def test_export_and_scan_name_a_bad_month_unit_or_range_and_write_nothing(runtime, tmp_path):
    out = tmp_path / "temuan.csv"
    for args, says in ((["export", "2026-13", "--out", str(out)], "month '2026-13' must be YYYY-MM"),
                       (["export", "2026-10", "--out", str(out), "--unit", "DINAS-X"], "unit 'DINAS-X' is not in config.yaml"),
                       (["scan", "--from", "2026-10-08", "--to", "2026-10-05"], "--to is before --from")):
        done = subprocess.run([sys.executable, "-m", "pantau", "patterns", *args], cwd=ROOT, env=runtime_env(runtime),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)
    assert not out.exists() and list(tmp_path.iterdir()) == []
