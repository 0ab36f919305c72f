"""config.yaml: the region, loaded once, validated, exposed as typed objects.

Structure and types are checked by pydantic; references between sections (a unit's
parent, an office's unit, a schedule's day types, band codes) are checked here. Every
problem is reported at once with its key path, e.g. `units[12].parent: 'DINKESS' is
not a unit code`.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSIONS = ("in", "midday", "out")
REST_DAY = "libur"  # not "off": YAML 1.1 reads that as false
UNIT_KINDS = (
    "sekretariat", "sekretariat_dprd", "inspektorat", "dinas", "badan", "kantor", "biro",
    "satpol_pp", "kecamatan", "kelurahan", "uptd", "sekolah", "puskesmas", "rsud", "lainnya",
)
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT",
}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(\+1)?$")


class ConfigError(Exception):
    """A config file that cannot be used; `problems` lists every `path: message`."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{listing}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)")
    return value


class ClockTime(_Model):
    """A time of day; `+1` means the next day (night shifts belong to the day they start)."""

    minutes: int  # minutes after midnight of the work date, may exceed 1440

    @classmethod
    def parse(cls, value: Any) -> "ClockTime":
        if isinstance(value, ClockTime):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads 07:30 unquoted as a sexagesimal integer (450)
            value = f"{value // 60:02d}:{value % 60:02d}"
        m = _CLOCK.match(str(value)) if isinstance(value, str) else None
        if not m:
            raise ValueError(f"must be a time 'HH:MM' (optionally '+1' for next day), got {value!r}")
        return cls(minutes=int(m[1]) * 60 + int(m[2]) + (1440 if m[3] else 0))

    def __str__(self) -> str:
        day, rest = divmod(self.minutes, 1440)
        return f"{rest // 60:02d}:{rest % 60:02d}" + ("+1" if day else "")


Clock = Annotated[ClockTime, Field()]


class Region(_Model):
    name: str = Field(min_length=1)
    timezone: str
    _v_tz = field_validator("timezone")(lambda cls, v: _zone(v))


class Unit(_Model):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9][A-Z0-9_.-]*$")
    name: str = Field(min_length=1)
    kind: Literal[UNIT_KINDS]  # type: ignore[valid-type]
    parent: str | None = None
    schedule: str | None = None  # default: the region's default schedule


class Office(_Model):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9_.-]*$")
    name: str = Field(min_length=1)
    unit: str
    lat: float = Field(ge=-11.5, le=6.5)   # Indonesia's latitude range
    lon: float = Field(ge=94.5, le=141.5)  # Indonesia's longitude range
    radius_m: float | None = None
    polygon: list[tuple[float, float]] | None = None
    timezone: str | None = None  # default: the region's zone

    @field_validator("radius_m")
    @classmethod
    def _radius_positive(cls, v):
        if v is not None and v <= 0:
            raise ValueError(f"must be > 0, got {v:g}")
        return v

    @field_validator("polygon")
    @classmethod
    def _polygon_shape(cls, v):
        if v is not None and len(v) < 3:
            raise ValueError(f"needs at least 3 [lat, lon] points, got {len(v)}")
        return v

    _v_tz = field_validator("timezone")(lambda cls, v: v if v is None else _zone(v))


class Window(_Model):
    opens: ClockTime
    closes: ClockTime


class DayType(_Model):
    """One kind of working day: when work starts and ends, and the check-in windows."""

    start: ClockTime
    end: ClockTime
    sessions: dict[Literal[SESSIONS], Window]  # type: ignore[valid-type]

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, v):
        return ClockTime.parse(v)

    @field_validator("sessions", mode="before")
    @classmethod
    def _windows(cls, v):
        if not isinstance(v, dict):
            raise ValueError("must map session names (in, midday, out) to [opens, closes]")
        out = {}
        for name, pair in v.items():
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"{name}: must be [opens, closes], got {pair!r}")
            try:
                out[name] = {"opens": ClockTime.parse(pair[0]), "closes": ClockTime.parse(pair[1])}
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return out


class Schedule(_Model):
    code: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1)
    day_types: dict[str, DayType] = Field(min_length=1)
    # Fixed week: weekday -> day type. Shift roster: a cycle of day types ("libur" = rest).
    week: dict[Literal[WEEKDAYS], str] | None = None  # type: ignore[valid-type]
    ramadan_week: dict[Literal[WEEKDAYS], str] | None = None  # type: ignore[valid-type]
    cycle_start: dt.date | None = None
    cycle: list[str] | None = None
    observes_holidays: bool = True

    @property
    def is_shift(self) -> bool:
        return self.cycle is not None


class DateRange(_Model):
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Band(_Model):
    code: str = Field(pattern=r"^[A-Z]+[0-9]+$")
    from_min: int = Field(ge=1)
    to_min: int | None = None  # None: no upper bound
    percent: float = Field(ge=0, le=100)


class GeofenceRules(_Model):
    default_radius_m: float = Field(default=150, gt=0)
    max_accuracy_m: float = Field(default=50, gt=0)


class ClockRules(_Model):
    max_skew_minutes: float = Field(default=5, gt=0)
    offline_max_hours: float = Field(default=72, gt=0)


class FaceRules(_Model):
    min_score: float = Field(default=0.8, ge=0, le=1)
    require_liveness: bool = True


class Rules(_Model):
    late_bands: list[Band] = Field(min_length=1)
    early_bands: list[Band] = Field(min_length=1)
    missing_check_in: str
    missing_check_out: str
    absent_percent: float = Field(ge=0, le=100)
    monthly_cap_percent: float = Field(gt=0, le=100)
    deduction_base: Literal["whole", "discipline"] = "whole"
    discipline_share_percent: float = Field(default=40, gt=0, le=100)
    geofence: GeofenceRules = GeofenceRules()
    clock: ClockRules = ClockRules()
    face: FaceRules = FaceRules()


class LocalHoliday(_Model):
    date: dt.date
    name: str = Field(min_length=1)


class Holidays(_Model):
    country: str = "ID"
    categories: list[Literal["public", "government"]] = ["public", "government"]
    add: list[LocalHoliday] = []
    remove: list[dt.date] = []


class Terminals(_Model):
    """Fingerprint / face terminals (ZKTeco push protocol); every key has a default."""

    heartbeat_s: int = Field(default=30, ge=5, le=3600)        # the terminal's Delay option
    error_delay_s: int = Field(default=60, ge=5, le=3600)      # retry after a failed request
    trans_interval_min: int = Field(default=1, ge=1, le=1440)  # how often it uploads when not realtime
    silent_after_minutes: float = Field(default=15, gt=0)      # no heartbeat or log for longer: silent
    max_drift_s: float = Field(default=300, gt=0)              # clock further off: clock_drift
    command_retry_s: int = Field(default=600, ge=30)           # re-send a command with no result after
    max_future_minutes: float = Field(default=1440, gt=0)      # a log further ahead of the server is rejected
    max_age_days: int = Field(default=400, ge=1)               # a log older than this is rejected


class Config(_Model):
    region: Region
    default_schedule: str
    units: list[Unit] = Field(min_length=1)
    offices: list[Office] = Field(min_length=1)
    schedules: list[Schedule] = Field(min_length=1)
    ramadan: list[DateRange] = []
    rules: Rules
    holidays: Holidays = Holidays()
    terminals: Terminals = Terminals()

    # --- lookups (built once; the config is frozen) -------------------------------
    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def office_by_code(self) -> dict[str, Office]:
        return {o.code: o for o in self.offices}

    @cached_property
    def schedule_by_code(self) -> dict[str, Schedule]:
        return {s.code: s for s in self.schedules}

    @cached_property
    def offices_by_unit(self) -> dict[str, list[Office]]:
        out: dict[str, list[Office]] = {}
        for o in self.offices:
            out.setdefault(o.unit, []).append(o)
        return out

    @cached_property
    def children(self) -> dict[str | None, list[Unit]]:
        out: dict[str | None, list[Unit]] = {}
        for u in self.units:
            out.setdefault(u.parent, []).append(u)
        return out

    def unit_path(self, code: str) -> list[str]:
        """Codes from the root down to `code`."""
        path = []
        while code is not None:
            path.append(code)
            code = self.unit_by_code[code].parent
        return path[::-1]

    def subtree(self, code: str) -> list[str]:
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(u.code for u in self.children.get(c, []))
        return out

    def unit_schedule(self, code: str) -> str:
        """A unit's schedule: its own, else its parent's, else the region default."""
        for c in reversed(self.unit_path(code)):
            if self.unit_by_code[c].schedule:
                return self.unit_by_code[c].schedule
        return self.default_schedule

    def office_zone(self, office: Office) -> ZoneInfo:
        return ZoneInfo(office.timezone or self.region.timezone)

    def unit_offices(self, code: str) -> list[Office]:
        """A unit's own offices, else the nearest ancestor's (a kelurahan may use its kecamatan's)."""
        for c in reversed(self.unit_path(code)):
            if self.offices_by_unit.get(c):
                return self.offices_by_unit[c]
        return []

    def unit_zone(self, code: str) -> ZoneInfo:
        offices = self.unit_offices(code)
        return self.office_zone(offices[0]) if offices else ZoneInfo(self.region.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.region.timezone)





def zone_label(zone_name: str) -> str:
    return ZONE_ABBREVIATIONS.get(zone_name, zone_name)


# --- loading ------------------------------------------------------------------------

def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str = "config.yaml") -> Config:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(source, ["(top): must be a mapping of sections (region, units, offices, ...)"])
    problems: list[str] = []
    config = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_format_pydantic(exc))
    problems.extend(_check_references(raw))
    if problems:
        raise ConfigError(source, _unique(problems))
    return config


def _format_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def _format_pydantic(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        # drop pydantic's internal tags such as 'function-after[...]'
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "literal_error":
            msg = f"{msg}, got {err.get('input')!r}"
        out.append(f"{_format_path(loc)}: {msg}")
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _items(raw: dict, key: str) -> list[tuple[int, dict]]:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def _check_references(raw: dict) -> list[str]:
    """Cross-section checks, tolerant of bad types (pydantic reports those)."""
    problems: list[str] = []
    units = _items(raw, "units")
    unit_codes = [u.get("code") for _, u in units]
    known_units = set(unit_codes)
    schedule_items = _items(raw, "schedules")
    schedule_codes = {s.get("code") for _, s in schedule_items}

    problems += _duplicates("units", units, "code")
    problems += _duplicates("offices", _items(raw, "offices"), "code")
    problems += _duplicates("schedules", schedule_items, "code")

    parents = {}
    for i, u in units:
        parent = u.get("parent")
        if parent is not None and parent not in known_units:
            problems.append(f"units[{i}].parent: {parent!r} is not a unit code")
        elif parent is not None:
            parents[u.get("code")] = parent
        sched = u.get("schedule")
        if sched is not None and sched not in schedule_codes:
            problems.append(f"units[{i}].schedule: {sched!r} is not a schedule code")
    for i, u in units:
        seen, code = set(), u.get("code")
        while code in parents and code not in seen:
            seen.add(code)
            code = parents[code]
        if code in seen:
            problems.append(f"units[{i}].parent: cycle through {u.get('code')!r}")

    if raw.get("default_schedule") is not None and raw["default_schedule"] not in schedule_codes:
        problems.append(f"default_schedule: {raw['default_schedule']!r} is not a schedule code")

    offices_of_unit: set[str] = set()
    for i, o in _items(raw, "offices"):
        if o.get("unit") not in known_units:
            problems.append(f"offices[{i}].unit: {o.get('unit')!r} is not a unit code")
        offices_of_unit.add(o.get("unit"))
        if o.get("radius_m") is not None and o.get("polygon") is not None:
            problems.append(f"offices[{i}]: give either radius_m or polygon, not both")
    for i, u in units:
        if u.get("code") not in offices_of_unit and not _has_office_above(u, parents, offices_of_unit):
            problems.append(f"units[{i}]: unit {u.get('code')!r} has no office (check-in point) of its own or above it")

    for i, s in schedule_items:
        problems += _check_schedule(i, s)

    rules = raw.get("rules") if isinstance(raw.get("rules"), dict) else {}
    for key, bands_key in (("missing_check_in", "late_bands"), ("missing_check_out", "early_bands")):
        bands = rules.get(bands_key) if isinstance(rules.get(bands_key), list) else []
        codes = {b.get("code") for b in bands if isinstance(b, dict)}
        if key in rules and rules[key] not in codes and rules[key] != "TK":
            problems.append(f"rules.{key}: {rules[key]!r} is not one of rules.{bands_key} ({', '.join(sorted(map(str, codes)))}) or 'TK'")
        problems += _check_bands(f"rules.{bands_key}", bands)

    for i, r in _items(raw, "ramadan"):
        a, b = r.get("from"), r.get("to")
        if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
            problems.append(f"ramadan[{i}].to: {b} is before from {a}")
    return problems


def _has_office_above(unit: dict, parents: dict, with_office: set) -> bool:
    code, seen = unit.get("code"), set()
    while code in parents and code not in seen:
        seen.add(code)
        code = parents[code]
        if code in with_office:
            return True
    return False


def _duplicates(section: str, items: list[tuple[int, dict]], key: str) -> list[str]:
    seen: dict[Any, int] = {}
    out = []
    for i, item in items:
        value = item.get(key)
        if value in seen:
            out.append(f"{section}[{i}].{key}: {value!r} is already used by {section}[{seen[value]}]")
        else:
            seen[value] = i
    return out


def _check_schedule(i: int, s: dict) -> list[str]:
    out = []
    where = f"schedules[{i}]"
    types = s.get("day_types") if isinstance(s.get("day_types"), dict) else {}
    has_week, has_cycle = s.get("week") is not None, s.get("cycle") is not None
    if has_week == has_cycle:
        out.append(f"{where}: give either week (fixed days) or cycle with cycle_start (shifts), not {'both' if has_week else 'neither'}")
    if has_cycle and s.get("cycle_start") is None:
        out.append(f"{where}.cycle_start: is required with cycle")
    for key in ("week", "ramadan_week"):
        mapping = s.get(key)
        if isinstance(mapping, dict):
            for day, name in mapping.items():
                if name not in types:
                    out.append(f"{where}.{key}.{day}: {name!r} is not one of {where}.day_types")
    if isinstance(s.get("cycle"), list):
        for j, name in enumerate(s["cycle"]):
            if name != REST_DAY and name not in types:
                out.append(f"{where}.cycle[{j}]: {name!r} is not '{REST_DAY}' or one of {where}.day_types")
    for name, day in types.items():
        out += _check_day_type(f"{where}.day_types.{name}", day)
    return out


def _check_day_type(where: str, day: Any) -> list[str]:
    if not isinstance(day, dict):
        return []
    try:
        start, end = ClockTime.parse(day.get("start")), ClockTime.parse(day.get("end"))
        sessions = DayType._windows(day.get("sessions"))
    except (ValueError, TypeError):
        return []  # shape problems are reported by pydantic
    out = []
    if end.minutes <= start.minutes:
        out.append(f"{where}.end: {end} is not after start {start} (write '+1' for the next day)")
    if "in" not in sessions or "out" not in sessions:
        out.append(f"{where}.sessions: needs at least 'in' and 'out' windows")
    spans = []
    for name, w in sessions.items():
        if w["closes"].minutes <= w["opens"].minutes:
            out.append(f"{where}.sessions.{name}: closes {w['closes']} is not after opens {w['opens']}")
        spans.append((w["opens"].minutes, w["closes"].minutes, name))
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            out.append(f"{where}.sessions.{bn}: window overlaps {an}")
    if "in" in sessions and not sessions["in"]["opens"].minutes <= start.minutes < sessions["in"]["closes"].minutes:
        out.append(f"{where}.sessions.in: window must contain the start time {start}")
    return out


def _check_bands(where: str, bands: list) -> list[str]:
    out = []
    prev_to = 0
    for j, b in enumerate(bands):
        if not isinstance(b, dict) or not isinstance(b.get("from_min"), int):
            return out
        if b["from_min"] != prev_to + 1:
            out.append(f"{where}[{j}].from_min: must be {prev_to + 1} to follow the previous band, got {b['from_min']}")
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


# --- process-wide instance -----------------------------------------------------------

_loaded: dict[Path, Config] = {}


def get_config(path: str | Path | None = None) -> Config:
    """The region config for this process, loaded once."""
    if path is None:
        from .settings import load_settings

        path = load_settings().config_path
    path = Path(path).resolve()
    if path not in _loaded:
        _loaded[path] = load_config(path)
    return _loaded[path]
