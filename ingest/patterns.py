"""The pattern scan: reads a range of check-ins, finds what ingest.rules.patterns finds
(each rule pure), and stores each finding once. Run by the worker over the last days after
each close, and by `pantau patterns scan` for any range; never on the check-in path."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from queries import patterns as q

from . import review, selfies
from .rules import patterns as p
from .selfie_hash import phash

OFFLINE_LATE = {"offline_upload", "late_upload"}   # the judge's codes for a check-in sent late as offline


def scan(rt, first: dt.date, last: dt.date) -> dict:
    """Find and store the findings, flag their check-ins (source 'pattern', with the kind's
    weight) and queue for review those whose trust score falls under
    rules.patterns.review_below (source 'trust'). {'found': per kind, 'new': findings not
    stored before, 'flagged': new flags, 'low_trust': check-ins now under the threshold}."""
    config, rules = rt.config, rt.config.rules.patterns
    with rt.connection() as conn:
        located_rows = q.mobile_fixes(conn, first, last)
        punches = q.terminal_punches(conn, first, last)
    located = [p.Fix(r["id"], r["employee_id"], r["captured_at"], r["lat"], r["lon"], r["accuracy_m"],
                     r["device_id"], r["work_date"], r["session"]) for r in located_rows]
    # an event scan is a fix of the same phone: a QR forwarded to someone far away shows as travel;
    # the other patterns take the check-ins alone (a crowd scanning one QR arrives together)
    found = p.impossible_travel(located, rules.max_kmh)
    phone = [(f, r) for f, r in zip(located, located_rows) if r["source"] == "mobile"]
    fixes, mobile = [f for f, _ in phone], [r for _, r in phone]
    found += p.repeated_fix(fixes, min_days=rules.repeated_fix_days)
    found += p.shared_device(fixes)
    found += p.arrive_together(fixes, rules.arrive_within_s, rules.arrive_within_m, rules.together_min_days,
                               rules.together_min_share)
    found += p.terminal_buddies([p.Punch(r["id"], r["employee_id"], r["terminal_sn"], r["captured_at"], r["work_date"])
                                 for r in punches], rules.terminal_within_s, rules.together_min_days,
                                rules.together_min_share)
    for fix, row in zip(fixes, mobile):
        office = config.office_by_code.get(row["office_code"] or "")
        if office is not None and office.polygon is None:
            stretched = p.accuracy_stretch(fix, office.lat, office.lon,
                                           office.radius_m or config.rules.geofence.default_radius_m)
            found += [stretched] if stretched else []
    found += p.selfie_reuse(_selfies(rt, mobile), rules.selfie_max_bits)
    found += p.offline_habit([p.Upload(r["id"], r["employee_id"], r["work_date"], r["office_code"],
                                       bool(OFFLINE_LATE & set(r["reasons"] or ()))) for r in mobile],
                             rules.offline_habit_days, rules.offline_habit_share, rules.offline_place_share)
    judged = {r["id"]: r["reasons"] or [] for r in [*located_rows, *punches]}
    counted = {r["id"] for r in [*located_rows, *punches] if r["verdict"] != "refused"}
    flags = p.review_flags(found, rules.weights, judged, rules.judge_weights, rules.review_below, counted)
    with rt.transaction() as conn:
        new = q.add_findings(conn, [dataclasses.asdict(f) for f in found])
        flagged, dates = review.store_flags(conn, config, flags)
    review.after_change(rt, dates)   # a check-in queued for review no longer makes its day hadir
    return {"found": dict(Counter(f.kind for f in found)), "new": new, "flagged": flagged,
            "low_trust": sum(1 for f in flags if f["source"] == "trust")}


def _selfies(rt, mobile: list[dict]) -> list[p.Selfie]:
    """Each check-in's selfie hash: from the table, else computed from the file once."""
    shas = sorted({r["selfie_sha256"] for r in mobile if r["selfie_sha256"]})
    with rt.connection() as conn:
        known = q.selfie_hashes(conn, shas)
    fresh = {}
    for sha in shas:
        if sha not in known:
            path = selfies.path_for(rt.settings.selfie_dir, sha)
            value = phash(path.read_bytes()) if path.exists() else None
            fresh[sha] = f"{value:016x}" if value is not None else None
    if fresh:
        with rt.transaction() as conn:
            q.add_selfie_hashes(conn, fresh)
    hashes = {**known, **fresh}
    return [p.Selfie(r["id"], r["employee_id"], r["work_date"], int(hashes[r["selfie_sha256"]], 16))
            for r in mobile if r["selfie_sha256"] and hashes.get(r["selfie_sha256"])]
