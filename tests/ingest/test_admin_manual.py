"""Manual entry, the paper fallback: limits, scope, overuse flag, audit, and the CLI."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import yaml

from ingest import manual
from foundation.config import ConfigError
from foundation.config_file import parse_config
from queries import audit, db
from queries import manual as qm
from tests.support import factories
from tests.support.admin import PDF, manual_entry
from tests.conftest import ROOT, runtime_env

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2027, 1, 13, 10, 0, tzinfo=WIB)         # a Wednesday
MOMENT = dt.datetime(2027, 1, 12, 7, 20, tzinfo=WIB)     # the Tuesday before, on time


def _write(rt, nip, moment=MOMENT, scope=None, now=NOW, **kw):
    return manual_entry(rt, nip, moment, now, scope, **kw)


def test_manual_entry_counts_as_manual_and_is_audited(runtime):
    emp = factories.employee(runtime, "DINKES")
    done = _write(runtime, emp["nip"], scope=runtime.config.subtree("DINKES"),
                  document=manual.Document("berita_acara.pdf", PDF))
    assert done["verdict"] == "accepted" and not done["duplicate"] and done["work_date"] == "2027-01-12"
    assert _write(runtime, emp["nip"])["duplicate"]   # the same entry twice is counted once
    with runtime.connection() as conn:
        day = db.one(conn, "SELECT status, sources FROM work_days WHERE employee_id = :e AND work_date = :d",
                     e=emp["id"], d=MOMENT.date())
        n = db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e AND source = 'manual'", e=emp["id"])
        logged = [e for e in audit.entries(conn, action="check_in.manual", limit=50) if e["target"] == emp["nip"]]
    assert day == {"status": "hadir", "sources": ["manual"]} and n == 1
    assert len(logged) == 1 and logged[0]["after"]["document_sha256"] and logged[0]["actor"] == "admin:dinkes"


@pytest.mark.parametrize("kw, code", [
    ({"moment": NOW - dt.timedelta(days=4)}, "backdated"),
    ({"moment": NOW + dt.timedelta(hours=1)}, "future"),
    ({"scope": ["DINDIKBUD"]}, "out_of_scope"),
    ({"reason_code": "lupa"}, "unknown_reason"),
    ({"note": "  "}, "note_required"),
    ({"document": manual.Document("scan.pdf", b"GIF89a")}, "attachment_type"),
])
def test_refusals_write_nothing(runtime, kw, code):
    emp = factories.employee(runtime, "DINKES")
    with pytest.raises(manual.ManualRefused) as refused:
        _write(runtime, emp["nip"], **kw)
    assert refused.value.code == code and refused.value.message_id and refused.value.message_en
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e", e=emp["id"]) == 0


def test_beyond_the_unit_cap_an_entry_is_flagged_overuse(runtime, monkeypatch):
    unit = "DINDIKBUD"
    first, last = dt.date(2027, 1, 1), dt.date(2027, 1, 31)
    with runtime.connection() as conn:
        used = qm.count_in_unit(conn, unit, first, last)
    rules = runtime.config.rules.model_copy(update={"manual_cap_per_unit_month": used + 1})
    monkeypatch.setattr(runtime, "config", runtime.config.model_copy(update={"rules": rules}))
    a, b = factories.employee(runtime, unit), factories.employee(runtime, unit)
    assert _write(runtime, a["nip"])["overuse"] is False
    over = _write(runtime, b["nip"])
    assert over["overuse"] is True and over["verdict"] == "flagged" and "manual_overuse" in over["reasons"]
    with runtime.connection() as conn:
        listed = qm.entries(conn, first, last, unit_codes=[unit])
    assert {r["nip"] for r in listed} >= {a["nip"], b["nip"]}


def test_cli_refuses_a_backdated_entry_and_writes_a_recent_one(runtime):
    emp = factories.employee(runtime, "DINKES")
    cmd = [sys.executable, "-m", "pantau", "manual", "add", emp["nip"]]
    old = (dt.datetime.now(WIB) - dt.timedelta(days=10)).replace(hour=7, minute=20, second=0, microsecond=0)
    r = subprocess.run(cmd + [old.isoformat(), "in", "force_majeure", "--note", "banjir"], cwd=ROOT,
                       env=runtime_env(runtime), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "hari ke belakang" in r.stderr and "nothing written" in r.stderr
    recent = (dt.datetime.now(WIB) - dt.timedelta(days=1)).replace(hour=7, minute=20, second=0, microsecond=0)
    r = subprocess.run(cmd + [recent.isoformat(), "in", "force_majeure", "--note", "banjir", "--unit", "DINKES",
                              "--actor", "admin:cli-test"], cwd=ROOT, env=runtime_env(runtime),
                       capture_output=True, text=True, timeout=60)
    assert "manual in for" in r.stdout, r.stderr
    with runtime.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM check_ins WHERE employee_id = :e AND source = 'manual'",
                         e=emp["id"]) == 1


def test_audit_trail_filters_by_action_prefix_target_time_and_text(runtime):
    emp = factories.employee(runtime, "DINKES")
    _write(runtime, emp["nip"], note="genset rusak, mesin mati")
    with runtime.connection() as conn:
        now = db.scalar(conn, "SELECT now()")
        by_target = audit.entries(conn, target=emp["nip"])
        by_prefix = audit.entries(conn, action="check_in.", target=emp["nip"])
        by_text = audit.entries(conn, search="GENSET RUSAK")
        future = audit.entries(conn, target=emp["nip"], since=now + dt.timedelta(hours=1))
        window = audit.entries(conn, target=emp["nip"], since=now - dt.timedelta(hours=1),
                               until=now + dt.timedelta(hours=1))
        other = audit.entries(conn, action="leave.", target=emp["nip"])
    assert [e["action"] for e in by_target] == ["check_in.manual"] == [e["action"] for e in by_prefix]
    assert emp["nip"] in {e["target"] for e in by_text} and future == [] and len(window) == 1 and other == []


def test_config_names_a_bad_admin_rule_by_its_key_path():
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["rules"].update(leave_document_required=["sakit", "cuti_liburan"], manual_max_backdate_days=-1)
    with pytest.raises(ConfigError) as info:
        parse_config(yaml.safe_dump(raw, allow_unicode=True), source="broken.yaml")
    text = "\n".join(info.value.problems)
    assert "rules.leave_document_required[1]" in text and "cuti_liburan" in text
    assert "manual_max_backdate_days" in text


def test_a_manual_entry_is_marked_manual_in_the_recap_and_on_the_map(runtime):
    from dashboard import maps
    from ingest.recap import employee_recap
    from queries import dashboard_map

    emp = factories.employee(runtime, "DINKES")
    _write(runtime, emp["nip"], moment=MOMENT.replace(minute=25))
    with runtime.connection() as conn:
        _, found = employee_recap(conn, runtime.config, MOMENT.date(), MOMENT.date(), unit_codes=["DINKES"])
        row = next(r for r in found if r["nip"] == emp["nip"])
        points = [p for p in dashboard_map.check_ins_on(conn, MOMENT.date(), None, "DINKES")
                  if p["employee_id"] == emp["id"]]
    assert row["hari_manual"] == 1 and row["hadir"] == 1
    assert len(points) == 1 and points[0]["lat"] is None and points[0]["source"] == "manual"
    page = maps.render(maps.check_in_map(runtime.config.unit_offices("DINKES"), points, runtime.config,
                                         show_names=True, show_selfie=False))
    office = runtime.config.office_by_code[points[0]["office_code"]]
    assert f'[{office.lat}, {office.lon}, "manual"' in page   # drawn at its office, in the manual colour
    assert "Manual (ditulis admin" in page
