"""Offline is not fraud: the judge tells an honest late upload (offline_upload, information
only) from back-dating (late_upload, review) and a wrong clock (clock_skew). Pure."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest.rules.judge import judge
from tests.ingest.test_rules_core import CAL, CFG, PERSON, at, attempt

CAPTURED = at("2026-11-23", "07:20")


def verdict(**kw):
    return judge(CFG, CAL, PERSON, attempt(CAPTURED, **kw))


def clock_codes(v) -> list[str]:
    return [c for c in v.reasons if c in ("clock_skew", "late_upload", "offline_upload", "offline_too_old")]


@pytest.mark.parametrize("late_minutes", [6, 15, 30, 59])
def test_an_honest_offline_upload_minutes_late_is_information_not_a_flag(late_minutes):
    v = verdict(offline=True, received_at=CAPTURED + dt.timedelta(minutes=late_minutes))
    assert v.verdict == "accepted" and clock_codes(v) == ["offline_upload"]
    assert f"Dikirim {late_minutes} menit kemudian karena offline" in v.message_id
    assert f"Sent {late_minutes} min later, offline" in v.message_en


def test_hours_late_with_no_offline_evidence_is_back_dating_for_review():
    v = verdict(offline=True, received_at=at("2026-11-23", "16:05"))
    assert v.verdict == "flagged" and clock_codes(v) == ["late_upload"]
    assert "8,8 jam" in v.message_id and "no evidence of being offline" in v.message_en


def test_hours_late_is_honest_when_the_phone_lost_the_network_before_the_capture():
    v = verdict(offline=True, received_at=at("2026-11-23", "16:05"), offline_since=at("2026-11-23", "06:50"))
    assert v.verdict == "accepted" and clock_codes(v) == ["offline_upload"]


def test_an_offline_since_after_the_capture_is_no_evidence():
    v = verdict(offline=True, received_at=at("2026-11-23", "16:05"), offline_since=at("2026-11-23", "09:00"))
    assert v.verdict == "flagged" and clock_codes(v) == ["late_upload"]


def test_a_phone_that_talked_to_the_server_after_the_capture_held_it_back():
    # 20 minutes late is within the honest window, but the phone was online at 07:30
    v = verdict(offline=True, received_at=at("2026-11-23", "07:40"), last_contact_at=at("2026-11-23", "07:26"),
                offline_since=at("2026-11-23", "07:00"))
    assert v.verdict == "flagged" and clock_codes(v) == ["late_upload"]
    assert "Ponsel terhubung ke server 07:26" in v.message_id


@pytest.mark.parametrize("contact", ["07:10", "07:36"])
def test_contact_before_the_capture_or_just_before_the_burst_is_not_held_back(contact):
    # before the capture: the network was lost after it; within contact_grace_minutes of sending:
    # the burst of queued check-ins that follows a regained signal
    v = verdict(offline=True, received_at=at("2026-11-23", "07:40"), last_contact_at=at("2026-11-23", contact))
    assert v.verdict == "accepted" and clock_codes(v) == ["offline_upload"]


def test_late_without_the_offline_flag_or_from_the_future_is_a_wrong_clock():
    late = verdict(received_at=at("2026-11-23", "07:40"))
    assert late.verdict == "flagged" and clock_codes(late) == ["clock_skew"] and "not marked offline" in late.message_en
    ahead = verdict(received_at=at("2026-11-23", "07:12"))
    assert ahead.verdict == "flagged" and clock_codes(ahead) == ["clock_skew"] and "8 min ahead" in ahead.message_en


def test_within_the_skew_nothing_is_said_and_past_the_offline_limit_it_is_refused():
    assert clock_codes(verdict(offline=True, received_at=CAPTURED + dt.timedelta(minutes=4))) == []
    old = verdict(offline=True, received_at=CAPTURED + dt.timedelta(hours=73), offline_since=at("2026-11-23", "06:00"))
    assert old.verdict == "refused" and clock_codes(old) == ["offline_too_old"]
