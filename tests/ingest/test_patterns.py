"""The patterns across check-ins (ingest.rules.patterns), without a database: each catches
its own shape of cheating and leaves the honest look-alike alone."""
from __future__ import annotations

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageDraw

from ingest.rules.patterns import (Fix, Punch, Selfie, accuracy_stretch, arrive_together, impossible_travel,
                                   metres, repeated_fix, selfie_reuse, shared_device, terminal_buddies,
                                   review_flags, trust_scores, Upload, offline_habit)
from ingest.selfie_hash import phash

WIB = ZoneInfo("Asia/Jakarta")
OFFICE = (-6.0186, 106.0559)          # Cilegon
DAYS = [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)]


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm, ss), tzinfo=WIB)


def north(metres_north: float, east: float = 0.0) -> tuple[float, float]:
    return OFFICE[0] + metres_north / 111_195, OFFICE[1] + east / 110_600


def fix(cid, emp, when, lat_lon=OFFICE, acc=8.0, device=None, session="in") -> Fix:
    return Fix(cid, emp, when, lat_lon[0], lat_lon[1], acc, device, when.date(), session)


def test_impossible_travel_catches_50_km_in_10_minutes_not_a_drive_across_town():
    far = (OFFICE[0] - 0.45, OFFICE[1])          # ~50 km south
    found = impossible_travel([fix(1, 7, at(DAYS[0], 7, 0)), fix(2, 7, at(DAYS[0], 7, 10), far)])
    assert [f.kind for f in found] == ["impossible_travel"] and found[0].check_in_ids == (1, 2)
    assert 250 < found[0].evidence["kmh"] and "km/jam" in found[0].message_id
    drive = impossible_travel([fix(1, 7, at(DAYS[0], 7, 0)), fix(2, 7, at(DAYS[0], 7, 30), north(12_000))])
    assert drive == []                           # 12 km in 30 min: a motorbike, not a trick
    poor = impossible_travel([fix(1, 7, at(DAYS[0], 7, 0), acc=900), fix(2, 7, at(DAYS[0], 7, 1), north(1500), acc=900)])
    assert poor == []                            # two poor fixes are not travel


def test_repeated_fix_catches_a_replayed_position_not_a_real_gps_that_wanders():
    replay = [fix(i, 3, at(d, 7, 20), (-6.0186123, 106.0559456), acc=5.0) for i, d in enumerate(DAYS)]
    found = repeated_fix(replay)
    assert len(found) == 1 and len(found[0].evidence["days"]) == 5
    rng = random.Random(4)
    honest = [fix(i, 3, at(d, 7, 20), north(rng.uniform(-6, 6), rng.uniform(-6, 6)), acc=round(rng.uniform(4, 15), 1))
              for i, d in enumerate(DAYS)]
    assert repeated_fix(honest) == []


def test_accuracy_stretch_catches_a_far_point_whose_circle_just_reaches_the_office():
    stretched = fix(1, 2, at(DAYS[0], 7, 10), north(450), acc=400)
    found = accuracy_stretch(stretched, *OFFICE, radius_m=150)
    assert found is not None and found.evidence["distance_m"] == round(metres(*north(450), *OFFICE))
    assert accuracy_stretch(fix(2, 2, at(DAYS[0], 7, 10), north(450), acc=20), *OFFICE, 150) is None
    assert accuracy_stretch(fix(3, 2, at(DAYS[0], 7, 10), north(60), acc=150), *OFFICE, 150) is None   # inside


def test_shared_device_names_every_account_on_one_phone():
    found = shared_device([fix(1, 10, at(DAYS[0], 7, 0), device="A1"), fix(2, 11, at(DAYS[0], 7, 1), device="A1"),
                           fix(3, 12, at(DAYS[0], 7, 2), device="B2")])
    assert [(f.employee_ids, f.check_in_ids) for f in found] == [((10, 11), (1, 2))]


def test_arrive_together_catches_titip_absen_not_colleagues_who_meet_at_the_gate_once():
    fixes, cid = [], 0
    for i, day in enumerate(DAYS):
        cid += 2
        if i < 4:   # 4 of 5 days: one phone, two accounts, seconds apart, the same spot
            fixes += [fix(cid, 1, at(day, 7, 25, 3)), fix(cid + 1, 2, at(day, 7, 25, 31), north(2))]
        else:
            fixes += [fix(cid, 1, at(day, 7, 25)), fix(cid + 1, 2, at(day, 7, 50), north(2))]
        # two honest colleagues: arrive at the gate together once, otherwise apart
        fixes += [fix(100 + cid, 3, at(day, 7, 10 + i, 0)), fix(101 + cid, 4, at(day, 7, 10 + (i if i == 0 else 2 * i + 5), 20), north(3))]
    found = arrive_together(fixes)
    assert [(f.employee_ids, f.evidence["days_together"], f.evidence["days_both_present"]) for f in found] == [((1, 2), 4, 5)]


def test_terminal_buddies_two_pins_seconds_apart_day_after_day():
    punches = []
    for i, day in enumerate(DAYS):
        punches += [Punch(10 * i, 5, "SN-SD1", at(day, 6, 55, 0), day), Punch(10 * i + 1, 6, "SN-SD1", at(day, 6, 55, 4), day),
                    Punch(10 * i + 2, 7, "SN-SD1", at(day, 6, 40 + i * 3, 0), day)]
    found = terminal_buddies(punches)
    assert [(f.kind, f.employee_ids, f.evidence["terminal_sn"]) for f in found] == [("terminal_buddies", (5, 6), "SN-SD1")]


def _photo(seed: int) -> Image.Image:
    """A face-sized picture with structure (blobs on a gradient), different per seed."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, 480)[None, :, None] * np.ones((640, 1, 3)) * rng.uniform(0.3, 1, 3)
    image = Image.fromarray(base.astype("uint8"))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, r = rng.integers(0, 480), rng.integers(0, 640), rng.integers(20, 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    return image


def _jpeg(image: Image.Image, quality: int = 85, size: tuple[int, int] | None = None) -> bytes:
    out = io.BytesIO()
    (image.resize(size) if size else image).save(out, "JPEG", quality=quality)
    return out.getvalue()


def test_selfie_reuse_finds_the_same_photo_recompressed_and_resized_not_two_different_photos():
    a, b = _photo(1), _photo(2)
    original, again = phash(_jpeg(a)), phash(_jpeg(a, quality=55, size=(360, 480)))
    other = phash(_jpeg(b))
    assert None not in (original, again, other) and phash(b"not a jpeg") is None
    found = selfie_reuse([Selfie(1, 7, DAYS[0], original), Selfie(2, 7, DAYS[1], again),
                          Selfie(3, 8, DAYS[1], other)])
    assert [(f.check_in_ids, f.employee_ids) for f in found] == [((1, 2), (7,))]
    assert "pada dua hari" in found[0].message_id
    twins = selfie_reuse([Selfie(4, 7, DAYS[2], original), Selfie(5, 9, DAYS[2], again)])
    assert twins[0].employee_ids == (7, 9) and "dua pegawai" in twins[0].message_id


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2 ** 64 - 1), min_size=2, max_size=40), st.randoms())
def test_selfie_reuse_buckets_find_exactly_the_pairs_a_full_comparison_finds(hashes, rng):
    # make some near duplicates: flip up to 5 bits of earlier hashes
    items = []
    for i, h in enumerate(hashes):
        if i and rng.random() < 0.5:
            h = items[rng.randrange(len(items))].phash
            for _ in range(rng.randrange(6)):
                h ^= 1 << rng.randrange(64)
        items.append(Selfie(i, i % 3, DAYS[i % 5], h))
    brute = {tuple(sorted((a.check_in_id, b.check_in_id))) for a in items for b in items
             if a.check_in_id < b.check_in_id and bin(a.phash ^ b.phash).count("1") <= 4
             and not (a.employee_id == b.employee_id and a.work_date == b.work_date)}
    assert {f.check_in_ids for f in selfie_reuse(items)} == brute


def test_trust_score_takes_the_weights_of_every_finding_a_check_in_is_in():
    found = shared_device([fix(1, 10, at(DAYS[0], 7, 0), device="A1"), fix(2, 11, at(DAYS[0], 7, 1), device="A1")])
    found += impossible_travel([fix(1, 10, at(DAYS[0], 7, 0)), fix(3, 10, at(DAYS[0], 7, 5), (OFFICE[0] - 0.5, OFFICE[1]))])
    scores = trust_scores(found, {"shared_device": 50, "impossible_travel": 60})
    assert scores[1] == (0.0, ["impossible_travel", "shared_device"])
    assert scores[2] == (50.0, ["shared_device"]) and scores[3] == (40.0, ["impossible_travel"])


def test_the_judges_flags_take_points_too_and_only_under_the_threshold_is_a_check_in_queued():
    found = repeated_fix([fix(i, 10, at(day, 7, 20), OFFICE) for i, day in enumerate(DAYS[:3], start=1)])
    weights, judge_weights = {"repeated_fix": 40}, {"late_upload": 50}
    judged = {2: ["late_upload"], 3: ["late", "offline_upload"]}
    scores = trust_scores(found, weights, judged, judge_weights)
    assert scores == {1: (60.0, ["repeated_fix"]), 2: (10.0, ["late_upload", "repeated_fix"]),
                      3: (60.0, ["repeated_fix"])}
    flags = review_flags(found, weights, judged, judge_weights, review_below=50, counted={1, 2})
    assert sorted((f["check_in_id"], f["source"], f["kind"]) for f in flags) == [
        (1, "pattern", "repeated_fix"), (2, "pattern", "repeated_fix"), (2, "trust", "low_trust")]
    trust = next(f for f in flags if f["source"] == "trust")
    assert trust["evidence"] == {"score": 10.0, "reasons": ["late_upload", "repeated_fix"], "review_below": 50}
    pattern = next(f for f in flags if f["check_in_id"] == 1)
    assert pattern["weight"] == 40 and pattern["evidence"]["employees"] == [10] and "Koordinat" in pattern["evidence"]["message_id"]
    assert len(review_flags(found, weights, {}, judge_weights, review_below=70, counted={1, 2, 3})) == 6


def uploads(emp: int, offline_on: set[int], office: str = "DINKES", days=DAYS) -> list[Upload]:
    """One check-in a day for `emp`; on the days numbered in `offline_on` sent late as offline."""
    return [Upload(emp * 100 + n, emp, day, office, n in offline_on) for n, day in enumerate(days)]


def test_offline_habit_finds_late_offline_uploads_day_after_day_not_a_scattered_one():
    crowd = [u for emp in range(10, 20) for u in uploads(emp, {emp % 5} if emp < 12 else set())]
    found = offline_habit(uploads(7, {0, 1, 2, 4}) + uploads(8, {1, 3}) + crowd)
    assert [(f.kind, f.employee_ids) for f in found] == [("offline_habit", (7,))]
    assert found[0].check_in_ids == (700, 701, 702, 704) and found[0].work_date == DAYS[4]
    assert found[0].evidence["days_offline"] == 4 and found[0].evidence["days_present"] == 5
    assert "4 dari 5 hari" in found[0].message_id and "4 of 5 days" in found[0].message_en


def test_offline_habit_needs_its_days_and_its_share():
    assert offline_habit(uploads(7, {0, 1}, days=DAYS[:2])) == []           # two days: not yet a habit
    assert offline_habit(uploads(7, {0, 1, 2}, days=DAYS[:3]), min_days=3)   # three of three
    assert offline_habit(uploads(7, {0, 1, 2}) + uploads(7, set(), days=[DAYS[4] + dt.timedelta(days=d)
                                                                       for d in (3, 4, 5)])) == []   # 3 of 8 days


def test_offline_habit_forgives_an_office_without_signal():
    """When most colleagues at the same office upload offline too, the building is why."""
    basement = [u for emp in range(10, 14) for u in uploads(emp, {0, 2, 3}, office="GUDANG")]
    assert offline_habit(uploads(7, {0, 1, 2, 3, 4}, office="GUDANG") + basement) == []
    found = offline_habit(uploads(7, {0, 1, 2, 3, 4}, office="GUDANG") + basement, place_share=0.7)
    assert {f.employee_ids for f in found} >= {(7,)}     # a region may decide the place excuses less


def test_every_pattern_kind_has_an_indonesian_label_for_the_review_page_and_the_csv():
    from ingest.export_labels import VALUES
    from ingest.rules.patterns import KINDS

    assert set(KINDS) <= set(VALUES["pola"]) and "offline_habit" in KINDS
