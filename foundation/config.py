"""config.yaml: the region, loaded once, validated, exposed as typed objects.

Structure and types are checked by pydantic here (the rules section in config_rules); references between sections (a
unit's parent, an office's unit, a schedule's day types, band codes) in config_checks;
config_file reads the file and runs both. Every problem is reported at once with its
key path, e.g. `units[12].parent: 'DINKESS' is not a unit code`.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StrictInt, field_validator, model_validator

from .config_model import Model as _Model
from .config_rules import Rules

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




INDONESIA_LAT = (-11.5, 6.5)
INDONESIA_LON = (94.5, 141.5)


def _inside(what: str, value: float, bounds: tuple[float, float]) -> float:
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what} must be inside Indonesia ({bounds[0]:g}..{bounds[1]:g}), got {value:g}")
    return value


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
    # Kemendagri's code (e.g. 3672 for Kota Cilegon): names the region in Redis keys, so a
    # cluster keeps each region's live state of a date on one node
    code: str = Field(default="region", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    # the province whose `provinsi` users see this region's rollups (never its people)
    parent: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    # true: the province may also download this region's monthly recap per employee (its people)
    people_to_parent: bool = False
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
    lat: float
    lon: float
    radius_m: float | None = None
    polygon: list[tuple[float, float]] | None = None
    timezone: str | None = None  # default: the region's zone

    @field_validator("lat")
    @classmethod
    def _lat_in_indonesia(cls, v):
        return _inside("latitude", v, INDONESIA_LAT)

    @field_validator("lon")
    @classmethod
    def _lon_in_indonesia(cls, v):
        return _inside("longitude", v, INDONESIA_LON)

    @field_validator("radius_m")
    @classmethod
    def _radius_positive(cls, v):
        if v is not None and v <= 0:
            raise ValueError(f"must be > 0, got {v:g}")
        return v

    @field_validator("polygon")
    @classmethod
    def _polygon_shape(cls, v):
        if v is None:
            return v
        if len(v) < 3:
            raise ValueError(f"needs at least 3 [lat, lon] points, got {len(v)}")
        for j, (lat, lon) in enumerate(v):
            try:
                _inside("latitude", lat, INDONESIA_LAT)
                _inside("longitude", lon, INDONESIA_LON)
            except ValueError as exc:
                raise ValueError(f"point {j} [{lat:g}, {lon:g}]: {exc} (points are [lat, lon])") from None
        return v

    _v_tz = field_validator("timezone")(lambda cls, v: v if v is None else _zone(v))


class Window(_Model):
    """A check-in window, written [opens, closes]."""

    opens: ClockTime
    closes: ClockTime

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, v):
        if isinstance(v, (list, tuple)):
            return parse_window(v)
        return v


def parse_window(pair: Any) -> dict:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError(f"must be [opens, closes], got {pair!r}")
    return {"opens": ClockTime.parse(pair[0]), "closes": ClockTime.parse(pair[1])}


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
        return v


class Schedule(_Model):
    code: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1)
    day_types: dict[str, DayType] = Field(min_length=1)
    # Fixed week: weekday -> day type. Shift roster: a cycle of day types ("libur" = rest).
    week: dict[Literal[WEEKDAYS], str] | None = None  # type: ignore[valid-type]
    ramadan_week: dict[Literal[WEEKDAYS], str] | None = None  # type: ignore[valid-type]
    cycle_start: dt.date | None = None
    cycle: list[str] | None = Field(default=None, min_length=1)
    # Shift groups (regu) on one roster: group -> days into the cycle it is ahead.
    # An employee's schedule is then written 'regu:B'.
    groups: dict[str, int] | None = None
    observes_holidays: bool = True

    @property
    def is_shift(self) -> bool:
        return self.cycle is not None


class DateRange(_Model):
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class LocalHoliday(_Model):
    date: dt.date
    name: str = Field(min_length=1)


class Holidays(_Model):
    country: str = "ID"
    language: str = "id"  # holiday names as shown to users
    categories: list[Literal["public", "government"]] = ["public", "government"]
    add: list[LocalHoliday] = []
    remove: list[dt.date] = []


class DashboardOptions(_Model):
    """The web dashboard: map tiles, sessions, logins, the wall."""

    # {z}/{x}/{y} raster tiles from a server the offices can reach; null (the default) draws
    # points, geofences and office names on a plain background and asks no outside host
    tile_url: str | None = None
    tile_attribution: str = "&copy; OpenStreetMap contributors"
    session_hours: float = Field(default=10, gt=0)
    # failed logins (the `limits` syntax): per account, so wrong passwords for one user lock
    # only that user; and a looser one per client address, which still stops a spray
    login_attempts: str = "10 per 15 minutes"
    login_attempts_per_address: str = "100 per 15 minutes"
    selfie_roles: list[str] = ["bkpp", "inspektorat", "kepala_unit"]
    wall_stale_seconds: int = Field(default=120, gt=0)
    wall_ticker_size: int = Field(default=10, ge=1, le=50)
    wall_page_seconds: int = Field(default=15, ge=5, le=600)  # the unit chart turns a page (lowest first)
    # how often a wall asks for news: a check-in waits up to one tick before it shows. 500 ms
    # keeps check-in to wall p95 under 1 s (1000 ms does not); bench/RESULTS.md has the cost
    wall_tick_ms: int = Field(default=500, ge=200, le=10_000)


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


class Database(_Model):
    """How long a request waits on Postgres before it is answered 503 with Retry-After."""

    api_wait_s: float = Field(default=5, ge=1)         # a phone or terminal (the app and terminals resend)
    dashboard_wait_s: float = Field(default=15, ge=1)  # a page, callback or download of the dashboard


class Proxies(_Model):
    """Reverse proxies (nginx) in front of the dashboard and the ingest API."""

    # how many to trust for X-Forwarded-For / -Proto / -Host: 0 trusts no header (a client
    # could name any address); 1 behind the nginx of docs/operations.md
    trusted: StrictInt = Field(default=0, ge=0, le=5)


class Config(_Model):
    region: Region
    default_schedule: str
    units: list[Unit] = Field(min_length=1)
    offices: list[Office] = Field(min_length=1)
    schedules: list[Schedule] = Field(min_length=1)
    ramadan: list[DateRange] = []
    rules: Rules
    holidays: Holidays = Holidays()
    dashboard: DashboardOptions = DashboardOptions()
    terminals: Terminals = Terminals()
    database: Database = Database()
    proxies: Proxies = Proxies()

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

    def resolve_schedule(self, jadwal: str) -> tuple[Schedule, int]:
        """An employee's schedule: 'enam_hari' -> (schedule, 0); 'regu:B' -> (regu, B's cycle offset).

        Raises KeyError for an unknown schedule or group.
        """
        code, _, group = jadwal.partition(":")
        schedule = self.schedule_by_code[code]
        if not group:
            return schedule, 0
        if not schedule.groups or group not in schedule.groups:
            raise KeyError(jadwal)
        return schedule, schedule.groups[group]

    def office_zone(self, office: Office) -> ZoneInfo:
        return ZoneInfo(office.timezone or self.region.timezone)

    def unit_offices(self, code: str) -> list[Office]:
        """A unit's own offices, else the nearest ancestor's (a kelurahan may use its kecamatan's)."""
        for c in reversed(self.unit_path(code)):
            if self.offices_by_unit.get(c):
                return self.offices_by_unit[c]
        return []

    def web_allowed(self, code: str) -> bool:
        """May this unit's employees check in from the web page?"""
        web = self.rules.web
        return web.allow and not set(self.unit_path(code)) & set(web.refuse_units)

    def unit_zone(self, code: str) -> ZoneInfo:
        offices = self.unit_offices(code)
        return self.office_zone(offices[0]) if offices else ZoneInfo(self.region.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.region.timezone)


def zone_label(zone_name: str) -> str:
    return ZONE_ABBREVIATIONS.get(zone_name, zone_name)
