"""Patterns across check-ins that a single check-in cannot show: impossible travel,
too-perfect positions, one phone for two people, pairs who always arrive together
(titip absen), buddy punching at a terminal, a reused selfie, offline uploads as a habit.
Pure: data in, findings out.

Each finding names its kind, the employees and check-ins involved, the evidence, and a
message in Indonesian and English; its weight comes from config (rules.patterns), so a
region decides how much each signal counts against a check-in's trust score.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from foundation.config_rules import PATTERN_WEIGHTS

KINDS = tuple(PATTERN_WEIGHTS)


@dataclass(frozen=True)
class Fix:
    """One phone check-in as the patterns see it."""

    check_in_id: int
    employee_id: int
    captured_at: dt.datetime        # aware
    lat: float
    lon: float
    accuracy_m: float | None = None
    device_id: str | None = None    # the phone's own id (from its binding)
    work_date: dt.date | None = None
    session: str | None = None


@dataclass(frozen=True)
class Punch:
    """One terminal punch: which terminal, which PIN's employee, when."""

    check_in_id: int
    employee_id: int
    terminal_sn: str
    captured_at: dt.datetime
    work_date: dt.date


@dataclass(frozen=True)
class Selfie:
    check_in_id: int
    employee_id: int
    work_date: dt.date
    phash: int                      # a 64-bit perceptual hash (imagehash.phash, as an int)


@dataclass(frozen=True)
class Upload:
    """One phone check-in as the offline pattern sees it."""

    check_in_id: int
    employee_id: int
    work_date: dt.date
    office_code: str | None
    offline_late: bool              # sent minutes or hours after capture, as offline (the judge's
                                    # offline_upload or late_upload)


@dataclass
class Finding:
    kind: str
    employee_ids: tuple[int, ...]
    check_in_ids: tuple[int, ...]
    work_date: dt.date
    evidence: dict = field(default_factory=dict)
    message_id: str = ""
    message_en: str = ""


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), as the geofence measures it."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def impossible_travel(fixes: list[Fix], max_kmh: float = 150.0) -> list[Finding]:
    """Two check-ins of one employee whose distance over the time between them needs a speed
    no road allows. Each fix's accuracy is given back first, so a poor fix alone is not travel."""
    out = []
    for employee_id, mine in _by(fixes, lambda f: f.employee_id).items():
        mine.sort(key=lambda f: f.captured_at)
        for a, b in zip(mine, mine[1:]):
            gap_m = metres(a.lat, a.lon, b.lat, b.lon) - (a.accuracy_m or 0) - (b.accuracy_m or 0)
            hours = max((b.captured_at - a.captured_at).total_seconds(), 1.0) / 3600
            kmh = gap_m / 1000 / hours
            if gap_m > 1000 and kmh > max_kmh:
                out.append(Finding(
                    "impossible_travel", (employee_id,), (a.check_in_id, b.check_in_id), _day(b),
                    {"km": round(gap_m / 1000, 1), "minutes": round(hours * 60, 1), "kmh": round(kmh)},
                    f"Perpindahan mustahil: {gap_m / 1000:.1f} km dalam {hours * 60:.0f} menit ({kmh:.0f} km/jam)",
                    f"Impossible travel: {gap_m / 1000:.1f} km in {hours * 60:.0f} min ({kmh:.0f} km/h)"))
    return out


def repeated_fix(fixes: list[Fix], decimals: int = 6, min_days: int = 3) -> list[Finding]:
    """The same coordinates to the 6th decimal (about 10 cm) on several days: a real GPS fix
    wanders by metres, a replayed or typed one does not. Also the same accuracy to the digit."""
    out = []
    for employee_id, mine in _by(fixes, lambda f: f.employee_id).items():
        spots = _by(mine, lambda f: (round(f.lat, decimals), round(f.lon, decimals), f.accuracy_m))
        for (lat, lon, accuracy), same in spots.items():
            days = sorted({_day(f) for f in same})
            if len(days) >= min_days:
                out.append(Finding(
                    "repeated_fix", (employee_id,), tuple(f.check_in_id for f in same), days[-1],
                    {"lat": lat, "lon": lon, "accuracy_m": accuracy, "days": [d.isoformat() for d in days]},
                    f"Koordinat persis sama ({lat}, {lon}, akurasi {accuracy} m) pada {len(days)} hari",
                    f"Exactly the same coordinates ({lat}, {lon}, accuracy {accuracy} m) on {len(days)} days"))
    return out


def accuracy_stretch(fix: Fix, office_lat: float, office_lon: float, radius_m: float,
                     min_accuracy_m: float = 100.0) -> Finding | None:
    """A point well outside the office whose accuracy circle only just reaches it: the shape
    of a fix pulled away on purpose (or a very poor one), worth a look either way."""
    if fix.accuracy_m is None or fix.accuracy_m < min_accuracy_m:
        return None
    d = metres(fix.lat, fix.lon, office_lat, office_lon)
    reach = d - fix.accuracy_m                       # how far the circle's edge is from the office
    if d > 2 * radius_m and -radius_m <= reach <= radius_m:
        return Finding("accuracy_stretch", (fix.employee_id,), (fix.check_in_id,), _day(fix),
                       {"distance_m": round(d), "accuracy_m": fix.accuracy_m, "radius_m": radius_m},
                       f"Titik {d:.0f} m dari kantor dengan akurasi {fix.accuracy_m:.0f} m yang pas mencapai kantor",
                       f"Point {d:.0f} m from the office with an accuracy of {fix.accuracy_m:.0f} m that just reaches it")
    return None


def shared_device(fixes: list[Fix]) -> list[Finding]:
    """One phone's id behind the check-ins of two or more employees."""
    out = []
    for device_id, used in _by([f for f in fixes if f.device_id], lambda f: f.device_id).items():
        people = sorted({f.employee_id for f in used})
        if len(people) > 1:
            out.append(Finding("shared_device", tuple(people), tuple(f.check_in_id for f in used),
                               max(_day(f) for f in used), {"device_id": device_id, "employees": len(people)},
                               f"Satu ponsel dipakai {len(people)} pegawai",
                               f"One phone used by {len(people)} employees"))
    return out


def arrive_together(fixes: list[Fix], within_s: float = 60, within_m: float = 10, min_days: int = 3,
                    min_share: float = 0.6) -> list[Finding]:
    """Two employees whose morning check-ins come within a minute of each other from the same
    few metres on most of the days both came in: one phone carried for two (titip absen)."""
    together: dict[tuple[int, int], list[tuple[Fix, Fix]]] = defaultdict(list)
    present: dict[int, set] = defaultdict(set)
    for day, fixes_of_day in _by([f for f in fixes if f.session in (None, "in")], _day).items():
        for f in fixes_of_day:
            present[f.employee_id].add(day)
        # Space first: a pair within `within_m` lies in one cell or two neighbouring ones (cells
        # twice that wide, so one scale for the region's longitudes is enough), then time.
        scale = 111_195 / (2 * within_m)
        east = scale * math.cos(math.radians(fixes_of_day[0].lat))
        cells = _by(fixes_of_day, lambda f: (math.floor(f.lat * scale), math.floor(f.lon * east)))
        for (cx, cy), own in cells.items():
            near = sorted((f for dx in (-1, 0, 1) for dy in (-1, 0, 1) for f in cells.get((cx + dx, cy + dy), ())),
                          key=_order)
            keys = [_order(f) for f in near]
            for b in own:
                j = bisect.bisect_left(keys, _order(b))
                lo = bisect.bisect_left(keys, (b.captured_at - dt.timedelta(seconds=within_s), -1))
                for a in near[lo:j]:
                    if a.employee_id != b.employee_id and metres(a.lat, a.lon, b.lat, b.lon) <= within_m:
                        pair = tuple(sorted((a.employee_id, b.employee_id)))
                        if not together[pair] or _day(together[pair][-1][0]) != day:
                            together[pair].append((a, b))
                        elif _order(b) < _order(together[pair][-1][1]):   # the day's first, as time order finds it
                            together[pair][-1] = (a, b)
    out = []
    for (x, y), times in together.items():
        both = len(present[x] & present[y])
        if len(times) >= min_days and len(times) / max(both, 1) >= min_share:
            out.append(Finding(
                "arrive_together", (x, y), tuple(c for a, b in times for c in (a.check_in_id, b.check_in_id)),
                max(_day(a) for a, _ in times), {"days_together": len(times), "days_both_present": both},
                f"Dua pegawai presensi dalam {within_s:.0f} detik dari titik yang sama pada {len(times)} "
                f"dari {both} hari", f"Two employees checked in within {within_s:.0f} s from the same spot "
                f"on {len(times)} of {both} days"))
    return out


def terminal_buddies(punches: list[Punch], within_s: float = 10, min_days: int = 3, min_share: float = 0.6
                     ) -> list[Finding]:
    """Two PINs punched on one terminal seconds apart day after day (buddy punching)."""
    fixes = [Fix(p.check_in_id, p.employee_id, p.captured_at, 0.0, 0.0, work_date=p.work_date,
                 device_id=p.terminal_sn) for p in punches]
    out = []
    for sn, on_terminal in _by(fixes, lambda f: f.device_id).items():
        for found in arrive_together(on_terminal, within_s=within_s, within_m=1, min_days=min_days,
                                     min_share=min_share):
            found.kind = "terminal_buddies"
            found.evidence["terminal_sn"] = sn
            found.message_id = f"Dua PIN di mesin {sn} berturut-turut dalam {within_s:.0f} detik pada " \
                               f"{found.evidence['days_together']} hari"
            found.message_en = f"Two PINs on terminal {sn} within {within_s:.0f} s of each other on " \
                               f"{found.evidence['days_together']} days"
            out.append(found)
    return out


def selfie_reuse(selfies: list[Selfie], max_bits: int = 4) -> list[Finding]:
    """The same or a near-identical selfie (at most `max_bits` of 64 perceptual-hash bits
    apart) on two days, or for two employees: a photo of a photo, or the same file sent again.
    Candidates come from exact matches on one of max_bits+1 slices of the hash (pigeonhole),
    so a month of selfies is not compared pair by pair."""
    slices = max_bits + 1
    width = math.ceil(64 / slices)
    buckets: dict[tuple[int, int], list[Selfie]] = defaultdict(list)
    for s in selfies:
        for k in range(slices):
            buckets[(k, (s.phash >> (k * width)) & ((1 << width) - 1))].append(s)
    seen, out = set(), []
    for group in buckets.values():
        for a, b in combinations(group, 2):
            key = tuple(sorted((a.check_in_id, b.check_in_id)))
            if key in seen or (a.employee_id == b.employee_id and a.work_date == b.work_date):
                continue
            seen.add(key)
            bits = bin(a.phash ^ b.phash).count("1")
            if bits <= max_bits:
                who = tuple(sorted({a.employee_id, b.employee_id}))
                out.append(Finding("selfie_reuse", who, key, max(a.work_date, b.work_date),
                                   {"bits_apart": bits, "dates": sorted({a.work_date.isoformat(), b.work_date.isoformat()})},
                                   f"Swafoto sama atau hampir sama ({bits} bit berbeda) "
                                   + ("untuk dua pegawai" if len(who) > 1 else "pada dua hari"),
                                   f"The same or a near-identical selfie ({bits} bits apart) "
                                   + ("for two employees" if len(who) > 1 else "on two days")))
    return out


def offline_habit(uploads: list[Upload], min_days: int = 3, min_share: float = 0.6,
                  place_share: float = 0.3) -> list[Finding]:
    """An employee whose check-ins arrive as late offline uploads on most of their days.

    Back-dating with a forged `offline_since` from a phone that stays silent looks, one
    check-in at a time, exactly like an honest offline upload: the phone's word is all there
    is, and a silent phone leaves the server no trace. The days tell them apart. Honest
    offline is rare and scattered (no signal in a basement one morning, a network outage),
    while whoever back-dates to hide coming late needs it on every late day. So: offline
    uploads on at least `min_days` days and `min_share` of the days the employee checked in.
    Unless the place is why: when the other employees of the same office upload offline on at
    least `place_share` of their days, the office has no signal and the habit is the building's.

    Needs history (`min_days` days, 3 by default); one back-dated day now and then passes as
    honest offline, as it should: the review looks at habits, not at bad luck."""
    present: dict[int, set] = defaultdict(set)
    late: dict[int, list[Upload]] = defaultdict(list)
    offices: dict[int, Counter] = defaultdict(Counter)
    for u in uploads:
        present[u.employee_id].add(u.work_date)
        offices[u.employee_id][u.office_code] += 1
        if u.offline_late:
            late[u.employee_id].append(u)
    office_of = {e: c.most_common(1)[0][0] for e, c in offices.items()}
    # per office: employee-days present and employee-days with an offline upload, everyone's
    place_days, place_late = Counter(), Counter()
    for e, days in present.items():
        place_days[office_of[e]] += len(days)
        place_late[office_of[e]] += len({u.work_date for u in late.get(e, ())})
    out = []
    for e, mine in late.items():
        days, offline_days = len(present[e]), sorted({u.work_date for u in mine})
        office = office_of[e]
        others_days = place_days[office] - days
        others_share = (place_late[office] - len(offline_days)) / others_days if others_days else 0.0
        if len(offline_days) < min_days or len(offline_days) / days < min_share or others_share >= place_share:
            continue
        share = round(100 * others_share)
        out.append(Finding(
            "offline_habit", (e,), tuple(u.check_in_id for u in mine), offline_days[-1],
            {"days_offline": len(offline_days), "days_present": days, "office_code": office,
             "office_offline_share": round(others_share, 3), "dates": [d.isoformat() for d in offline_days]},
            f"Presensi dikirim belakangan sebagai offline pada {len(offline_days)} dari {days} hari "
            f"(rekan sekantor: {share} % hari)",
            f"Check-ins uploaded later as offline on {len(offline_days)} of {days} days "
            f"(colleagues at the same office: {share} % of days)"))
    return out


def trust_scores(findings: list[Finding], weights: dict[str, float], judged: dict[int, list[str]] | None = None,
                 judge_weights: dict[str, float] | None = None) -> dict[int, tuple[float, list[str]]]:
    """Per check-in found in a pattern: 100 minus the weights of the findings it is part of and
    of the judge's flags on it (`judged`: its reason codes), never below 0, and the kinds that
    took points off, heaviest first. A kind counts once per check-in, however often found."""
    judged, judge_weights = judged or {}, judge_weights or {}
    taken: dict[int, dict[str, float]] = defaultdict(dict)
    for f in findings:
        for check_in_id in f.check_in_ids:
            taken[check_in_id][f.kind] = weights.get(f.kind, 0.0)
    for check_in_id, parts in taken.items():
        for code in judged.get(check_in_id, ()):
            if code in judge_weights:
                parts[code] = judge_weights[code]
    return {cid: (max(0.0, 100.0 - sum(parts.values())), [k for k, _ in sorted(parts.items(), key=lambda kv: -kv[1])])
            for cid, parts in taken.items()}


def review_flags(findings: list[Finding], weights: dict[str, float], judged: dict[int, list[str]],
                 judge_weights: dict[str, float], review_below: float, counted: set[int]) -> list[dict]:
    """The flags the scan stores (queries.review.add_flags): one per pattern and check-in that
    counts (refused ones are evidence, nothing to review), and a `trust` flag for each whose
    trust score falls under `review_below`: that one queues it for review."""
    flags, seen = [], set()
    for f in findings:
        for check_in_id in f.check_in_ids:
            if check_in_id in counted and (check_in_id, f.kind) not in seen:
                seen.add((check_in_id, f.kind))
                flags.append({"check_in_id": check_in_id, "source": "pattern", "kind": f.kind,
                              "weight": weights.get(f.kind, 0.0),
                              "evidence": {**f.evidence, "employees": list(f.employee_ids),
                                           "message_id": f.message_id, "message_en": f.message_en}})
    for check_in_id, (score, kinds) in trust_scores(findings, weights, judged, judge_weights).items():
        if check_in_id in counted and score < review_below:
            flags.append({"check_in_id": check_in_id, "source": "trust", "kind": "low_trust",
                          "weight": round(100.0 - score, 1),
                          "evidence": {"score": score, "reasons": kinds, "review_below": review_below}})
    return flags


def _by(items, key) -> dict:
    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def _order(fix) -> tuple:
    return fix.captured_at, fix.check_in_id


def _day(fix) -> dt.date:
    return fix.work_date or fix.captured_at.date()
