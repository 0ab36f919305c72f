"""The API's request and reply shapes: the contract the mobile app is built against."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field,
                      StringConstraints)
from pydantic_core import PydanticCustomError

EARLIEST, LATEST = 2000, 2100


def _clean_text(value: str) -> str:
    # Postgres cannot store NUL, and lone surrogates cannot be encoded: refuse, never crash.
    for ch in value:
        o = ord(ch)
        if (o < 32 and ch not in "\t\n\r") or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            raise PydanticCustomError("text_control", "must not contain control characters ({bad})",
                                      {"bad": f"U+{o:04X}", "id": f"tidak boleh memuat karakter kontrol (U+{o:04X})"})
    return value


def _text(min_length: int = 0, max_length: int = 200):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_clean_text)]


def _must_be_string(value):
    if not isinstance(value, str):
        raise PydanticCustomError("must_be_string", "must be an ISO 8601 string with a UTC offset",
                                  {"id": "harus teks waktu ISO 8601 dengan offset UTC"})
    return value


def _in_range(value: dt.datetime) -> dt.datetime:
    try:
        year = value.astimezone(dt.timezone.utc).year
    except OverflowError:
        year = 0
    if not EARLIEST <= year <= LATEST:
        raise PydanticCustomError("captured_at_range", "must lie between {lo} and {hi}",
                                  {"lo": EARLIEST, "hi": LATEST, "id": f"harus antara tahun {EARLIEST} dan {LATEST}"})
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_must_be_string), AfterValidator(_in_range)]


class _Strict(BaseModel):
    # Unknown keys are refused: a misspelt "ofline" must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class Location(_Strict):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS84 degrees")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS84 degrees")
    accuracy_m: float = Field(ge=0, le=100_000, allow_inf_nan=False, description="the fix's accuracy radius in metres")
    mock: bool = Field(False, description="true when Android reports a mock (fake) location")
    provider: _text(0, 32) | None = Field(None, description="gps, network, fused, ...")


class Face(_Strict):
    score: float | None = Field(None, ge=0, le=1, allow_inf_nan=False, description="the phone's face-match score")
    liveness: bool | None = Field(None, description="the phone's liveness check passed")


class CheckInBody(_Strict):
    """One check-in. Multipart requests carry this JSON as the `data` part beside a `selfie`."""

    event_id: uuid.UUID = Field(description="made by the phone, the same on every retry")
    captured_at: Moment = Field(description="the phone's time with its UTC offset, e.g. 2026-03-02T07:21:05+07:00")
    location: Location
    offline: bool = Field(False, description="true when it was queued without signal")
    face: Face | None = None
    session: Literal["in", "midday", "out"] | None = Field(
        None, description="omit to let the server choose from the schedule's windows")


class ActivationBody(_Strict):
    nip: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{18}$")] = Field(
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

    type: _text(1, 40) = Field(description="leave type code, e.g. izin, sakit, cuti_tahunan, dinas_luar")
    date_from: dt.date = Field(description="first day, YYYY-MM-DD")
    date_to: dt.date = Field(description="last day, YYYY-MM-DD")
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
