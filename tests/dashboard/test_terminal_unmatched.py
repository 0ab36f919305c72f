"""/admin/terminals counts, per terminal, the lines whose PIN no active employee has, and
lists them by PIN (BKPP maps the PIN, then the lines are applied)."""
from __future__ import annotations

import datetime as dt

import pytest

from foundation import clock
from ingest.terminals import punches, registry
from ingest.terminals.protocol import AttLog
from tests.conftest import ROOT
from tests.support.city import seed_city
from tests.support.dash_client import logged_in as client

SN = "TDASH-UNMATCHED-1"


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "tunmatched")
    data = seed_city(rt)
    registry.approve(rt, SN, "DINKES-1", actor="test")
    day = clock.now().astimezone(rt.config.zone).replace(tzinfo=None, second=0, microsecond=0)
    lines = [AttLog(pin, day - dt.timedelta(minutes=m), "0", "1", "0", f"{pin}\t...")
             for pin, m in (("777001", 30), ("777001", 20), ("777002", 10))]
    out = punches.receive(rt, SN, lines, [], via="push", defer_live=False)
    assert out.unmatched == 3
    return rt, data


def test_the_page_counts_unmatched_lines_per_terminal_and_lists_their_pins(app):
    _, page = client(app, "bkpp").page("/admin/terminals")
    assert "Baris PIN tak dikenal" in page and "Baris dengan PIN tak dikenal: 3" in page
    assert '"777001"' in page and '"777002"' in page and "tm-unmatched" in page
    _, kadinkes = client(app, "kadinkes").page("/admin/terminals")     # the terminal is DINKES's
    assert "777001" in kadinkes
    _, kadamkar = client(app, "kadamkar").page("/admin/terminals")     # not theirs
    assert "777001" not in kadamkar and "Baris dengan PIN tak dikenal: 0" in kadamkar
