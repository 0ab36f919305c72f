"""What a review means for a check-in (ingest/rules/review.py): pure, no database."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest.rules import review


@pytest.mark.parametrize("verdict, flagged, decision, expected", [
    ("accepted", False, None, "none"),
    ("flagged", False, None, "pending"),
    ("accepted", True, None, "pending"),        # a flag from the face match or a pattern
    ("flagged", True, "sah", "sah"),
    ("flagged", False, "tolak", "tolak"),
    ("accepted", False, "tolak", "tolak"),      # a decision stands even without a flag
])
def test_state(verdict, flagged, decision, expected):
    assert review.state(verdict, flagged, decision) == expected


@pytest.mark.parametrize("verdict, state, pending_counts, expected", [
    ("accepted", "none", False, True),
    ("flagged", "pending", False, False),       # until reviewed it makes no day hadir
    ("flagged", "pending", True, True),         # unless config says pending counts
    ("flagged", "sah", False, True),
    ("flagged", "tolak", True, False),          # rejected: as if it never came, whatever config says
    ("refused", "sah", True, False),            # a refusal is never made to count by a review
])
def test_counts(verdict, state, pending_counts, expected):
    assert review.counts(verdict, state, pending_counts) is expected


def test_the_deadline_decides_only_after_it_and_only_when_config_says_so():
    day = dt.date(2027, 4, 5)
    assert review.deadline(day, 5) == dt.date(2027, 4, 10)
    assert review.overdue_decision(day, dt.date(2027, 4, 10), 5, "tolak") is None
    assert review.overdue_decision(day, dt.date(2027, 4, 11), 5, "tolak") == "tolak"
    assert review.overdue_decision(day, dt.date(2027, 4, 11), 5, "sah") == "sah"
    assert review.overdue_decision(day, dt.date(2028, 1, 1), 5, "pending") is None


def test_labels_in_indonesian():
    assert review.label("pending") == "Menunggu tinjauan"
    assert review.label("sah", "ok") == "Dinyatakan sah"
    assert review.label("tolak", "Tidak di kantor") == "Ditolak: Tidak di kantor"
    assert review.label("none") == ""


def test_the_queue_weighs_the_judges_own_reasons_once():
    """clock_skew / late_upload live on the check-in, not as flag rows: they still weigh."""
    from foundation.config_file import get_config
    from ingest.review import weight
    from tests.conftest import ROOT

    config = get_config(ROOT / "config.yaml")
    judge = config.rules.patterns.judge_weights
    plain = {"flag_weight": 0, "flag_kinds": [], "pattern_kinds": [], "reasons": ["late_upload"]}
    assert weight(config, plain) == judge["late_upload"] > 0
    both = {**plain, "reasons": ["late_upload", "clock_skew", "outside_geofence"]}
    assert weight(config, both) == judge["late_upload"] + judge["clock_skew"]
    # a flag row of the same kind already carries its weight: not counted twice
    carried = {"flag_weight": 50.0, "flag_kinds": ["late_upload"], "pattern_kinds": [], "reasons": ["late_upload"]}
    assert weight(config, carried) == 50.0
