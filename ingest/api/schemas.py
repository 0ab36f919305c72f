"""The API's request and reply shapes: the contract the mobile app is built against."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict,
                      StringConstraints, ValidationInfo)
from pydantic_core import PydanticCustomError, core_schema

from foundation.leave_types import LEAVE_TYPES

EARLIEST, LATEST = 2000, 2100
# What /me/today and a leave request may name, around the employee's today (the check-in
# window is configuration: rules.clock.max_age_days / max_future_minutes).
DAY_PAST_DAYS = 400
LEAVE_PAST_DAYS, LEAVE_FUTURE_DAYS = 366, 731

# One spelling of a time and a date, RFC 3339 as the OpenAPI `date-time` / `date` formats
# say: pydantic alone also reads "1765245060" or "0" as seconds since 1970.
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Text: no control characters (Postgres cannot store NUL), and at least `min` characters once
# the spaces around it are stripped. Written as the JSON Schema pattern the OpenAPI shows,
# and checked with that same pattern, so the document and the server cannot disagree.
_WIDE_SPACE = r"\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"   # str.strip() removes these too
_ANY = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_BLANK = rf"[\t\n\r {_WIDE_SPACE}]"
_SOLID = rf"[^\x00-\x20\x7f{_WIDE_SPACE}]"


def text_pattern(min_length: int) -> str:
    if min_length == 0:
        return f"^{_ANY}*$"
    if min_length == 1:
        return f"^{_BLANK}*{_SOLID}{_ANY}*$"
    return f"^{_BLANK}*{_SOLID}{_ANY}{{{min_length - 2},}}{_SOLID}{_BLANK}*$"


def _bad_char(value: str) -> str | None:
    for ch in value:
        o = ord(ch)
        if (o < 32 and ch not in "\t\n\r") or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            return f"U+{o:04X}"
    return None


@dataclass(frozen=True)
class _Text:
    """A text field's rule: enforced here, shown in the OpenAPI document as the same pattern."""

    min_length: int
    max_length: int

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema, handler):
        out = handler(schema)
        out.update(minLength=self.min_length, maxLength=self.max_length, pattern=text_pattern(self.min_length))
        return out

    def check(self, value: str) -> str:
        if (bad := _bad_char(value)) is not None:
            # Postgres cannot store NUL, and lone surrogates cannot be encoded: refuse, never crash.
            raise PydanticCustomError("text_control", "must not contain control characters ({bad})",
                                      {"bad": bad, "id": f"tidak boleh memuat karakter kontrol ({bad})"})
        if len(value) > self.max_length:
            raise PydanticCustomError("string_too_long", "is too long (max {max_length} characters)",
                                      {"max_length": self.max_length})
        if not re.search(text_pattern(self.min_length), value):
            n = self.min_length
            raise PydanticCustomError("text_too_short", "must hold at least {n} characters besides spaces",
                                      {"n": n, "id": f"harus memuat sedikitnya {n} karakter selain spasi"})
        return value.strip()


def _text(min_length: int = 0, max_length: int = 200):
    return Annotated[str, Strict(), _Text(min_length, max_length)]


def _rfc3339(value):
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise PydanticCustomError("datetime_format", "must be an RFC 3339 time with a UTC offset, "
                                  "e.g. 2026-03-02T07:21:05+07:00",
                                  {"id": "harus waktu RFC 3339 dengan offset UTC, mis. 2026-03-02T07:21:05+07:00"})
    return value


def _iso_date(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date YYYY-MM-DD", {"id": "harus tanggal YYYY-MM-DD"})
    return value


def _in_range(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    """Within the years any attendance can have, and, when the caller gives the server's now
    and the clock rules, within the check-in window around now."""
    try:
        year = value.astimezone(dt.timezone.utc).year
    except OverflowError:
        year = 0
    if not EARLIEST <= year <= LATEST:
        raise PydanticCustomError("captured_at_range", "must lie between {lo} and {hi}",
                                  {"lo": EARLIEST, "hi": LATEST, "id": f"harus antara tahun {EARLIEST} dan {LATEST}"})
    context = info.context or {}
    if "now" in context:
        now, clock = context["now"], context["clock"]
        if value < now - dt.timedelta(days=clock.max_age_days):
            raise PydanticCustomError("captured_at_range", "is more than {n} days old",
                                      {"n": clock.max_age_days, "id": f"lebih dari {clock.max_age_days} hari yang lalu"})
        if value > now + dt.timedelta(minutes=clock.max_future_minutes):
            m = f"{clock.max_future_minutes:g}"
            raise PydanticCustomError("captured_at_range", "is more than {n} minutes ahead of the server's clock; "
                                      "set the phone's clock", {"n": m, "id": f"lebih dari {m} menit di depan jam "
                                                               "server; setel jam ponsel"})
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_range)]
Day = Annotated[dt.date, BeforeValidator(_iso_date)]
Real = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Flag = Annotated[bool, Strict()]


def _whole(value):
    # JSON Schema's "integer" counts 14.0 as one; a string or a flag is not a number
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float)
                                                                           and not value.is_integer()):
        raise PydanticCustomError("int_type", "must be a whole number", {"id": "harus bilangan bulat"})
    return int(value)



def day_problem(day: dt.date, today: dt.date, past_days: int, future_days: int) -> tuple[str, str] | None:
    """Indonesian and English for a date outside [today - past_days, today + future_days]."""
    lo, hi = today - dt.timedelta(days=past_days), today + dt.timedelta(days=future_days)
    if lo <= day <= hi:
        return None
    return f"harus antara {lo} dan {hi}", f"must lie between {lo} and {hi}"


class _Strict(BaseModel):
    # Unknown keys are refused: a misspelt "ofline" must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class Location(_Strict):
    lat: Real = Field(ge=-90, le=90, description="latitude, WGS84 degrees (a JSON number)")
    lon: Real = Field(ge=-180, le=180, description="longitude, WGS84 degrees (a JSON number)")
    accuracy_m: Real = Field(ge=0, le=100_000, description="the fix's accuracy radius in metres")
    mock: Flag = Field(False, description="true when Android reports a mock (fake) location")
    provider: _text(0, 32) | None = Field(None, description="gps, network, fused, ...")
    # What a plausibility check needs beside the position (all optional, kept with the check-in):
    altitude_m: Real | None = Field(None, ge=-500, le=9_000, description="the fix's altitude above sea level, metres")
    speed_mps: Real | None = Field(None, ge=0, le=150, description="the fix's ground speed, metres per second")
    bearing_deg: Real | None = Field(None, ge=0, lt=360, description="the fix's direction of travel, degrees from north")
    satellites: Annotated[int, Field(ge=0, le=200), BeforeValidator(_whole)] | None = Field(
        None, description="satellites used in the fix, a whole number 0..200")
    # evidence, not the judged time: any RFC 3339 time is kept as sent (captured_at is the one bounded)
    fix_time: Annotated[AwareDatetime, BeforeValidator(_rfc3339)] | None = Field(
        None, description="the fix's own time (GNSS), RFC 3339 with its UTC offset; kept as evidence")


class Face(_Strict):
    score: Real | None = Field(None, ge=0, le=1, description="the phone's face-match score")
    liveness: Flag | None = Field(None, description="the phone's liveness check passed (true / false, not 0 / 1)")


class CheckInBody(_Strict):
    """One check-in. Multipart requests carry this JSON as the `data` part beside a `selfie`."""

    event_id: uuid.UUID = Field(description="made by the phone, the same on every retry")
    captured_at: Moment = Field(description=(
        "the phone's time, RFC 3339 with its UTC offset, e.g. 2026-03-02T07:21:05+07:00; at most "
        "`rules.clock.max_age_days` (default 30) days before the server's clock and at most "
        "`rules.clock.max_future_minutes` (default 10) minutes after it, otherwise 422"))
    location: Location
    offline: Flag = Field(False, description="true when it was queued without signal")
    # the phone's own evidence of being offline: an upload hours late is honest with it (offline_upload),
    # suspect without it (late_upload); ignored unless offline is true and it is not after captured_at
    offline_since: Annotated[AwareDatetime, BeforeValidator(_rfc3339)] | None = Field(
        None, description="when the phone lost the network before this capture, RFC 3339 with its UTC offset; "
        "only with offline: true, and at most rules.clock.max_skew_minutes after captured_at (else it is no evidence)")
    face: Face | None = None
    session: Literal["in", "midday", "out"] | None = Field(
        None, description="omit to let the server choose from the schedule's windows")


class ActivationBody(_Strict):
    nip: Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9]{18}$")] = Field(
        description="the employee's 18-digit NIP")
    code: _text(4, 32) = Field(description="the one-time activation code from BKPP, e.g. K7QMP-2XPAD")
    device_id: _text(1, 128) = Field(description="a stable id of this phone (e.g. Android ID)")
    device_model: _text(0, 128) = Field("", description="e.g. Samsung Galaxy A14")


class ReasonBody(_Strict):
    reason: _text(3, 500) = Field(description="why the employee was late, in their words")


class Employee(BaseModel):
    nip: str
    name: str
    unit_code: str


class Activation(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown once")
    token_type: Literal["Bearer"] = "Bearer"
    employee: Employee


class Message(BaseModel):
    code: str
    id: str
    en: str


class Verdict(BaseModel):
    event_id: uuid.UUID
    duplicate: bool = Field(description="true: this event_id was seen before; this is the original verdict")
    verdict: Literal["accepted", "flagged", "refused"]
    reasons: list[str] = Field(description="machine-readable reason codes")
    session: Literal["in", "midday", "out"] | None
    work_date: dt.date
    minutes_late: int | None
    minutes_early: int | None
    office_code: str | None
    office_name: str | None
    distance_m: float | None
    limit_m: float | None
    message_id: str
    message_en: str
    messages: list[Message] = []


class DayCheckIn(BaseModel):
    event_id: str | None
    source: str
    captured_at: dt.datetime
    session: str | None
    verdict: str
    reasons: list[str]
    minutes_late: int | None
    minutes_early: int | None
    office_code: str | None
    distance_m: float | None
    late_reason: str | None
    review: Literal["none", "pending", "sah", "tolak"] = Field(
        "none", description="review: pending (waits; does not count yet unless the region says so), sah (counts), "
                            "tolak (counts for nothing)")
    review_label: str = Field("", description="'Menunggu tinjauan', 'Dinyatakan sah', 'Ditolak: <catatan>'")


class MonthReview(BaseModel):
    """A check-in of the day that is or was under review, and what was decided."""

    captured_at: dt.datetime
    session: str | None
    review: Literal["pending", "sah", "tolak"]
    label: str = Field(description="'Menunggu tinjauan', 'Dinyatakan sah' or 'Ditolak: <catatan>'")
    note: str | None = Field(description="the reviewer's note (none while pending)")


class WorkDay(BaseModel):
    status: str
    first_in: dt.datetime | None
    midday: dt.datetime | None
    last_out: dt.datetime | None
    minutes_late: int
    minutes_early: int
    late_band: str | None
    early_band: str | None
    leave_type: str | None


class Today(BaseModel):
    employee: Employee
    work_date: dt.date
    zone: str
    work_day: WorkDay | None
    check_ins: list[DayCheckIn]


class Reason(BaseModel):
    event_id: uuid.UUID
    reason: str
    submitted_at: dt.datetime


class ErrorField(BaseModel):
    field: str
    code: str
    message_id: str
    message_en: str


class ErrorBody(BaseModel):
    code: str
    message_id: str
    message_en: str
    fields: list[ErrorField] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class LeaveFields(_Strict):
    """The text parts of a leave request (multipart beside up to 3 `attachments`)."""

    # checked against the list by leave_requests (422 unknown_leave_type, naming the types)
    type: _text(1, 40) = Field(description="leave type code, e.g. izin, sakit, cuti_tahunan, dinas_luar",
                               json_schema_extra={"enum": list(LEAVE_TYPES)})
    date_from: Day = Field(description=f"first day, YYYY-MM-DD, at most {LEAVE_PAST_DAYS} days before today")
    date_to: Day = Field(description=f"last day, YYYY-MM-DD, not before date_from, at most {LEAVE_FUTURE_DAYS} "
                                     "days after today")
    reason: _text(3, 1000) = Field(description="why, in the employee's words")



class LeaveAttachment(BaseModel):
    sha256: str
    mime: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int
    filename: str


class LeaveRequest(BaseModel):
    id: int
    type: str
    date_from: dt.date
    date_to: dt.date
    reason: str
    state: Literal["pending", "approved", "rejected", "cancelled"]
    requested_at: dt.datetime
    decided_at: dt.datetime | None = None
    decision_comment: str | None = None
    attachments: list[LeaveAttachment] = []


class LeaveList(BaseModel):
    leaves: list[LeaveRequest]
    annual_leave: dict = Field(description="cuti tahunan this year: entitled, used (approved and pending), left")


class AttendBody(_Strict):
    """One scan of an event's QR code."""

    event_id: uuid.UUID = Field(description="made by the phone, the same on every retry of this scan")
    token: _text(1, 200) = Field(description="the text of the QR code on screen")
    location: Location


class AttendVerdict(BaseModel):
    event_id: uuid.UUID
    duplicate: bool = Field(description="true: seen before (or already attended); this is the original verdict")
    verdict: Literal["accepted", "refused"]
    reasons: list[str] = Field(description="qr_forged, qr_expired, outside_event_window, not_invited, "
                                           "outside_geofence, mock_location, poor_accuracy")
    event: int
    event_name: str
    distance_m: float | None
    limit_m: float | None
    message_id: str
    message_en: str
    messages: list[Message] = []


class MonthDay(BaseModel):
    work_date: dt.date
    day_type: str
    is_work_day: bool
    status: str = Field(description="hadir, tk, a leave type, libur, ...; an open day may still change")
    leave_type: str | None
    first_in: dt.datetime | None
    last_out: dt.datetime | None
    minutes_late: int
    minutes_early: int
    late_band: str | None
    early_band: str | None
    deduction_percent: float
    closed: bool = Field(description="false while the day is still open (today)")
    review: Literal["none", "pending", "sah", "tolak"] = Field(
        "none", description="the day's review: pending while any check-in waits, else tolak when one was "
                            "rejected, else sah when one was found valid")
    reviews: list[MonthReview] = Field([], description="the day's check-ins under review and the decisions")


class Month(BaseModel):
    employee: Employee
    month: str = Field(description="YYYY-MM")
    zone: str
    days: list[MonthDay]
    recap: dict = Field(description="the month's row as BKPP's recap counts it so far: hari_kerja, hadir, "
                                    "the late/early band counts, tk, leave, potongan_persen (capped)")


class MyOffice(BaseModel):
    code: str
    name: str
    lat: float
    lon: float
    radius_m: float | None = Field(description="the geofence radius; None when the office has a polygon")
    polygon: list[tuple[float, float]] | None = Field(description="(lat, lon) corners, when not a radius")


class MyOffices(BaseModel):
    offices: list[MyOffice] = Field(description="the offices this employee may check in at")


class Labels(BaseModel):
    statuses: dict[str, str] = Field(description="work day status code -> Indonesian label")
    leave_types: dict[str, str] = Field(description="leave type code -> Indonesian label, for a request")
    leave_states: dict[str, str] = Field(description="leave request state -> Indonesian label")
    verdicts: dict[str, str] = Field(description="check-in verdict -> Indonesian label")
    reviews: dict[str, str] = Field({}, description="review state -> Indonesian label (pending, sah, tolak)")
