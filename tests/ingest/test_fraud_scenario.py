"""The fraud scenario, small (bench/fraud_scenario.py; `bench/fraud` runs the city's worth):
three days of honest traffic and one attempt of every kind of cheating per day, over HTTP
to the Procfile's gunicorn, then the worker's face matching, day close and pattern scan. Each
kind is caught where it should be (refused or queued for review): someone else's face by the
server's face match, back-dating with forged offline evidence by its habit over the days; and
no honest employee-day is queued, their own faces matched."""
from __future__ import annotations

import datetime as dt

from bench import fraud_scenario as fraud

DAYS = [dt.date(2026, 6, 8), dt.date(2026, 6, 9), dt.date(2026, 6, 10)]    # Mon-Wed, no other test's dates
REFUSED = ["mock_location", "outside_geofence", "accuracy_stretch", "face_other_low_score", "liveness_failed"]
QUEUED = ["replayed_fix", "impossible_travel", "titip_absen_phone", "terminal_buddies", "selfie_reuse",
          "backdate_no_evidence", "backdate_after_contact", "clock_back_online", "clock_future",
          "face_other_fooled_phone", "backdate_forged_evidence"]


def test_every_kind_of_fraud_is_refused_or_queued_and_no_honest_day_is_queued(runtime, tmp_path):
    result = fraud.scenario(runtime, days=DAYS, honest=30, terminal_staff=6, per_kind=1, speed=60, seed=1818,
                            log_dir=tmp_path, face_honest=5)
    table = result["table"]
    print(fraud.format_table(result))
    for kind in REFUSED:
        assert table[kind] == {"refused": len(DAYS)}, (kind, table[kind])
    for kind in QUEUED:
        assert table[kind] == {"queued": len(DAYS)}, (kind, table[kind])
    assert table["shared_device_activation"] == {"refused": 1}                 # the activation itself
    assert table["qr_outside_geofence"] == table["qr_rotated_token"] == {"refused": 1}   # the event's day
    assert table["qr_forwarded_fake_gps"] == {"queued": 1}          # its scan and own check-in: impossible travel
    # the server's face match: every honest selfie matched its enrolled face, every other face did not
    assert result["faces"]["honest"] == {"match": 5 * len(DAYS)}, result["faces"]
    assert result["faces"]["face_other_fooled_phone"] == {"mismatch": len(DAYS)}, result["faces"]
    honest = table["honest"]
    # at 60x a server slower than 5 s makes an honest online check-in look 5 minutes old (clock_skew):
    # the machine's speed, not the rules; nothing else may queue an honest day
    assert honest.get("queued", 0) == honest.get("queued_slow_server", 0) and honest.get("refused", 0) == 0, honest
    assert honest.get("missed", 0) + honest.get("queued", 0) >= 36 * len(DAYS) and honest["offline_upload"] >= 1
    assert result["scan"]["found"].keys() >= {"repeated_fix", "impossible_travel", "arrive_together",
                                              "terminal_buddies", "selfie_reuse",
                                              "offline_habit"}
