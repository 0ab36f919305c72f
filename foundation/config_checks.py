"""The checks behind `config_file.parse_config` that pydantic's types cannot express: the
cross-section checks (references between units, offices, schedules and bands; the tree; the
windows of a day). They read the raw YAML data, so they still run, and report, when pydantic
already found type errors. (Reading the YAML and wording pydantic's errors: config_messages.)
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .config import REST_DAY, SESSIONS, ClockTime, parse_window
from .leave_types import LEAVE_TYPES


# --- cross-section checks -----------------------------------------------------------

def _items(raw: dict, key: str) -> list[tuple[int, dict]]:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def check_references(raw: dict) -> list[str]:
    """Cross-section checks, tolerant of bad types (pydantic reports those)."""
    units = _items(raw, "units")
    offices = _items(raw, "offices")
    schedules = _items(raw, "schedules")
    schedule_codes = {s.get("code") for _, s in schedules}

    problems = _duplicates("units", units, "code")
    problems += _duplicates("offices", offices, "code")
    problems += _duplicates("schedules", schedules, "code")
    problems += _check_tree(units, schedule_codes)
    if raw.get("default_schedule") is not None and raw["default_schedule"] not in schedule_codes:
        problems.append(f"default_schedule: {raw['default_schedule']!r} is not a schedule code")
    problems += _check_offices(units, offices)
    for i, s in schedules:
        problems += _check_schedule(i, s)
    problems += _check_rules(raw.get("rules") if isinstance(raw.get("rules"), dict) else {})
    problems += _check_web_units(raw.get("rules"), {u.get("code") for _, u in units})
    problems += _check_ramadan(_items(raw, "ramadan"))
    problems += _check_holidays(raw.get("holidays") if isinstance(raw.get("holidays"), dict) else {})
    problems += _check_database(raw.get("database") if isinstance(raw.get("database"), dict) else {})
    problems += _check_login_limits(raw.get("dashboard") if isinstance(raw.get("dashboard"), dict) else {})
    return problems


def _check_web_units(rules, known: set) -> list[str]:
    web = rules.get("web") if isinstance(rules, dict) else None
    refuse = web.get("refuse_units") if isinstance(web, dict) else None
    if not isinstance(refuse, list):
        return []
    return [f"rules.web.refuse_units[{i}]: {code!r} is not a unit code"
            for i, code in enumerate(refuse) if code not in known]


def _check_login_limits(dashboard: dict) -> list[str]:
    """The login limits are read by the `limits` library: a typo would only fail at the first login."""
    from limits import parse

    out = []
    for key in ("login_attempts", "login_attempts_per_address"):
        value = dashboard.get(key)
        if isinstance(value, str):
            try:
                parse(value)
            except ValueError:
                out.append(f"dashboard.{key}: {value!r} is not a rate limit (e.g. '10 per 15 minutes')")
    return out


def _duplicates(section: str, items: list[tuple[int, dict]], key: str) -> list[str]:
    seen: dict[Any, int] = {}
    out = []
    for i, item in items:
        value = item.get(key)
        if value is None:
            continue
        if value in seen:
            out.append(f"{section}[{i}].{key}: {value!r} is already used by {section}[{seen[value]}]")
        else:
            seen[value] = i
    return out


def _check_tree(units: list[tuple[int, dict]], schedule_codes: set) -> list[str]:
    out = []
    known = {u.get("code") for _, u in units}
    index = {u.get("code"): i for i, u in reversed(units)}
    parents = {}
    for i, u in units:
        parent = u.get("parent")
        if parent is not None and parent not in known:
            out.append(f"units[{i}].parent: {parent!r} is not a unit code")
        elif parent is not None:
            parents[u.get("code")] = parent
        sched = u.get("schedule")
        if sched is not None and sched not in schedule_codes:
            out.append(f"units[{i}].schedule: {sched!r} is not a schedule code")
    # Each cycle once, at its first unit; units merely below a cycle are not blamed.
    reported: set = set()
    for i, u in units:
        code, path = u.get("code"), []
        while code in parents and code not in path:
            path.append(code)
            code = parents[code]
        if path and code == u.get("code") and code not in reported:
            reported.update(path)
            ring = " -> ".join(path + [code])
            out.append(f"units[{index[code]}].parent: the unit tree has a cycle: {ring}")
    return out


def _check_offices(units: list[tuple[int, dict]], offices: list[tuple[int, dict]]) -> list[str]:
    out = []
    known = {u.get("code") for _, u in units}
    parents = {u.get("code"): u.get("parent") for _, u in units}
    with_office: set = set()
    for i, o in offices:
        if o.get("unit") not in known:
            out.append(f"offices[{i}].unit: {o.get('unit')!r} is not a unit code")
        with_office.add(o.get("unit"))
        if o.get("radius_m") is not None and o.get("polygon") is not None:
            out.append(f"offices[{i}]: give either radius_m or polygon, not both")
        out += _check_polygon(i, o)
    for i, u in units:
        code, seen = u.get("code"), set()
        while code is not None and code not in with_office and code not in seen:
            seen.add(code)
            code = parents.get(code)
        if code is None:
            out.append(f"units[{i}]: unit {u.get('code')!r} has no office (check-in point) of its own or above it")
    return out


def _check_polygon(i: int, office: dict) -> list[str]:
    """The point shown on maps (lat, lon) must lie within the polygon's bounds."""
    poly, lat, lon = office.get("polygon"), office.get("lat"), office.get("lon")
    try:
        lats = [float(p[0]) for p in poly]
        lons = [float(p[1]) for p in poly]
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError, IndexError):
        return []  # shape problems are reported by pydantic
    if len(lats) < 3 or (min(lats) <= lat <= max(lats) and min(lons) <= lon <= max(lons)):
        return []
    return [f"offices[{i}].polygon: does not surround the office's lat/lon ({lat:g}, {lon:g}); "
            "points are [lat, lon]"]


def _check_schedule(i: int, s: dict) -> list[str]:
    out = []
    where = f"schedules[{i}]"
    types = s.get("day_types") if isinstance(s.get("day_types"), dict) else {}
    has_week, has_cycle = s.get("week") is not None, s.get("cycle") is not None
    if has_week == has_cycle:
        out.append(f"{where}: give either week (fixed days) or cycle with cycle_start (shifts), "
                   f"not {'both' if has_week else 'neither'}")
    if has_cycle and s.get("cycle_start") is None:
        out.append(f"{where}.cycle_start: is required with cycle")
    if s.get("ramadan_week") is not None and not has_week:
        out.append(f"{where}.ramadan_week: only a fixed week (week) can have a ramadan_week")
    for key in ("week", "ramadan_week"):
        mapping = s.get(key)
        if isinstance(mapping, dict):
            for day, name in mapping.items():
                if name not in types:
                    out.append(f"{where}.{key}.{day}: {name!r} is not one of {where}.day_types "
                               f"({', '.join(map(str, types))}); leave a rest day out")
    cycle = s.get("cycle")
    if isinstance(cycle, list):
        for j, name in enumerate(cycle):
            if name != REST_DAY and name not in types:
                out.append(f"{where}.cycle[{j}]: {name!r} is not '{REST_DAY}' or one of {where}.day_types")
        if cycle and all(name == REST_DAY for name in cycle):
            out.append(f"{where}.cycle: has no working day")
    out += _check_groups(where, s.get("groups"), cycle)
    for name, day in types.items():
        out += _check_day_type(f"{where}.day_types.{name}", day)
    return out


def _check_groups(where: str, groups: Any, cycle: Any) -> list[str]:
    if not isinstance(groups, dict):
        return []
    if not isinstance(cycle, list):
        return [f"{where}.groups: shift groups need a cycle"]
    out = []
    for name, offset in groups.items():
        if not re.fullmatch(r"[A-Z0-9]+", str(name)):
            out.append(f"{where}.groups.{name}: a group name must be upper-case letters or digits (e.g. A, B, C)")
        if isinstance(offset, int) and not 0 <= offset < len(cycle):
            out.append(f"{where}.groups.{name}: offset must be 0..{len(cycle) - 1} (days into the cycle), got {offset}")
    return out


def _check_day_type(where: str, day: Any) -> list[str]:
    if not isinstance(day, dict) or not isinstance(day.get("sessions"), dict):
        return []
    try:
        start, end = ClockTime.parse(day.get("start")), ClockTime.parse(day.get("end"))
        sessions = {name: parse_window(pair) for name, pair in day["sessions"].items() if name in SESSIONS}
    except (ValueError, TypeError):
        return []  # shape problems are reported by pydantic
    out = []
    if end.minutes <= start.minutes:
        out.append(f"{where}.end: {end} is not after start {start} (write '+1' for the next day)")
    if "in" not in sessions or "out" not in sessions:
        out.append(f"{where}.sessions: needs at least 'in' and 'out' windows")
    for name, w in sessions.items():
        if w["closes"].minutes <= w["opens"].minutes:
            out.append(f"{where}.sessions.{name}: closes {w['closes']} is not after opens {w['opens']}")
    ordered = [n for n in SESSIONS if n in sessions]
    for a, b in zip(ordered, ordered[1:]):
        if sessions[b]["opens"].minutes < sessions[a]["closes"].minutes:
            out.append(f"{where}.sessions.{b}: window opens {sessions[b]['opens']} before {a} "
                       f"closes {sessions[a]['closes']} (windows must not overlap, in order in, midday, out)")
    if "in" in sessions and not sessions["in"]["opens"].minutes <= start.minutes < sessions["in"]["closes"].minutes:
        out.append(f"{where}.sessions.in: window must contain the start time {start}")
    if "out" in sessions and not sessions["out"]["opens"].minutes <= end.minutes < sessions["out"]["closes"].minutes:
        out.append(f"{where}.sessions.out: window must contain the end time {end}")
    return out


def _check_rules(rules: dict) -> list[str]:
    out = []
    for key, bands_key in (("missing_check_in", "late_bands"), ("missing_check_out", "early_bands")):
        bands = rules.get(bands_key) if isinstance(rules.get(bands_key), list) else []
        codes = [b.get("code") for b in bands if isinstance(b, dict)]
        if key in rules and rules[key] not in codes and rules[key] != "TK":
            out.append(f"rules.{key}: {rules[key]!r} is not one of rules.{bands_key} "
                       f"({', '.join(map(str, codes))}) or 'TK'")
        out += _check_bands(f"rules.{bands_key}", bands)
    bands = [(k, j, b) for k in ("late_bands", "early_bands") if isinstance(rules.get(k), list)
             for j, b in enumerate(rules[k]) if isinstance(b, dict)]
    seen: dict = {}
    for k, j, b in bands:
        if b.get("code") in seen:
            out.append(f"rules.{k}[{j}].code: {b['code']!r} is already used by rules.{seen[b['code']]}")
        seen.setdefault(b.get("code"), f"{k}[{j}]")
    return out + _check_leave_rules(rules)


def _check_leave_rules(rules: dict) -> list[str]:
    out = []
    deductions = rules.get("leave_deductions")
    if isinstance(deductions, dict):
        for code, pct in deductions.items():
            if code not in LEAVE_TYPES:
                out.append(f"rules.leave_deductions.{code}: not a leave type ({', '.join(LEAVE_TYPES)})")
            elif isinstance(pct, (int, float)) and not 0 <= pct <= 100:
                out.append(f"rules.leave_deductions.{code}: must be between 0 and 100, got {pct}")
    required = rules.get("leave_document_required")
    if isinstance(required, list):
        for j, code in enumerate(required):
            if code not in LEAVE_TYPES:
                out.append(f"rules.leave_document_required[{j}]: {code!r} is not a leave type ({', '.join(LEAVE_TYPES)})")
    sanctions = rules.get("tk_sanctions")
    if isinstance(sanctions, list):
        days = [s.get("from_days") for s in sanctions if isinstance(s, dict)]
        for j, (a, b) in enumerate(zip(days, days[1:]), start=1):
            if isinstance(a, int) and isinstance(b, int) and b <= a:
                out.append(f"rules.tk_sanctions[{j}].from_days: must be above the previous level's {a}, got {b}")
    return out


def _check_bands(where: str, bands: list) -> list[str]:
    out = []
    prev_to = 0
    for j, b in enumerate(bands):
        if not isinstance(b, dict) or not isinstance(b.get("from_min"), int):
            return out
        if b["from_min"] != prev_to + 1:
            out.append(f"{where}[{j}].from_min: must be {prev_to + 1} to follow the previous band, "
                       f"got {b['from_min']} (bands must leave no gap and not overlap)")
        to = b.get("to_min")
        if to is None:
            if j != len(bands) - 1:
                out.append(f"{where}[{j}].to_min: only the last band may be open-ended")
            break
        if not isinstance(to, int) or to < b["from_min"]:
            out.append(f"{where}[{j}].to_min: must be >= from_min {b['from_min']}, got {to!r}")
            break
        prev_to = to
    else:
        if bands:
            out.append(f"{where}[{len(bands) - 1}].to_min: the last band must be open-ended (to_min: null)")
    return out


def _check_ramadan(ranges: list[tuple[int, dict]]) -> list[str]:
    out = []
    spans = []
    for i, r in ranges:
        a, b = r.get("from"), r.get("to")
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            if b < a:
                out.append(f"ramadan[{i}].to: {b} is before from {a}")
            spans.append((a, b, i))
    spans.sort()
    for (a0, a1, ai), (b0, b1, bi) in zip(spans, spans[1:]):
        if b0 <= a1:
            out.append(f"ramadan[{bi}]: overlaps ramadan[{ai}]")
    return out


def _check_holidays(section: dict) -> list[str]:
    import holidays

    country = section.get("country", "ID")
    if not isinstance(country, str):
        return []
    categories = section.get("categories", ["public", "government"])
    try:
        calendar = holidays.country_holidays(country, categories=tuple(categories))
    except NotImplementedError:
        return [f"holidays.country: {country!r} is not a country the holidays package knows (use ID)"]
    except (TypeError, ValueError):
        return []  # bad categories are reported by pydantic
    out = []
    removals = section.get("remove") if isinstance(section.get("remove"), list) else []
    for j, day in enumerate(removals):
        if isinstance(day, dt.date) and day not in calendar:
            out.append(f"holidays.remove[{j}]: {day} is not a holiday in {country}, nothing to remove")
    added: dict = {}
    for j, h in _items(section, "add"):
        day = h.get("date")
        if day in added:
            out.append(f"holidays.add[{j}].date: {day} is already added by holidays.add[{added[day]}]")
        added.setdefault(day, j)
    return out


# nginx's proxy_read_timeout in docs/operations.md: a wait as long would reach the user as
# nginx's own 504 (and a phone would not be told to retry later)
PROXY_READ_TIMEOUT_S = {"api_wait_s": 30, "dashboard_wait_s": 60}


def _check_database(section: dict) -> list[str]:
    out = []
    for key, proxy_s in PROXY_READ_TIMEOUT_S.items():
        value = section.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= proxy_s:
            out.append(f"database.{key}: {value:g} s is not under nginx's proxy_read_timeout of {proxy_s} s "
                       "(docs/operations.md); a request would get nginx's 504 instead of 503 + Retry-After")
    return out
