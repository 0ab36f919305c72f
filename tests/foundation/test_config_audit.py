"""A changed configuration is audit-logged once, when a process starts with it."""
from __future__ import annotations

import yaml

from foundation.config_file import parse_config
from foundation.runtime import config_digest
from queries import audit, region
from tests.conftest import ROOT


def test_a_config_change_is_logged_once_with_the_sections_that_changed(runtime):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text())
    first = parse_config(yaml.safe_dump(raw))
    raw["rules"]["monthly_cap_percent"] = raw["rules"].get("monthly_cap_percent", 100) - 1
    changed = parse_config(yaml.safe_dump(raw))
    with runtime.transaction() as conn:
        region.note_config(conn, "system:test", "config.yaml", config_digest(first))   # whatever came before
        before = len(audit.entries(conn, action="config.load", limit=1000))
        assert region.note_config(conn, "system:test", "config.yaml", config_digest(first)) is False  # same: nothing
        assert region.note_config(conn, "system:ops", "config.yaml", config_digest(changed)) is True
        logged = audit.entries(conn, action="config.load", limit=1000)
    assert len(logged) == before + 1
    entry = logged[0]
    assert entry["actor"] == "system:ops" and entry["after"]["changed"] == ["rules"]
    assert entry["before"]["sha256"] == config_digest(first)["sha256"] != entry["after"]["sha256"]


def test_starting_a_process_logs_the_config_it_runs_with(runtime):
    with runtime.connection() as conn:
        logged = audit.entries(conn, action="config.load", limit=1000)
    mine = [e for e in logged if e["after"]["sha256"] == config_digest(runtime.config)["sha256"]]
    assert mine and mine[0]["after"]["units"] == len(runtime.config.units)
