"""Events (apel, upacara, sosialisasi) attended by scanning a rotating QR code.

The code holds `<event>.<slot>.<signature>`: an HMAC (settings.secret_key) over the event
id and a 30-second time slot. It is valid in its slot and the one before, so a photo
sent to a friend is useless a minute later and cannot be made for another event.
An attendance is stored like a check-in (source `qr`, no session: it is not a punch of
the work day) with its verdict and reasons; the accepted one is the employee's attendance.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from foundation.config import Office
from foundation.regions import region_secret
from queries import attendance as qa
from queries import audit
from queries import events as q
from queries import leave as ql

from .attendance import record_event_scan
from .rules.events import missed_event_percent
from .rules.geofence import check as geofence_check

SLOT_S = 30
KINDS = ("apel", "upacara", "sosialisasi")


class EventError(ValueError):
    def __init__(self, code: str, message_id: str, message_en: str, status: int = 422):
        super().__init__(f"{message_id} / {message_en}")
        self.code, self.message_id, self.message_en, self.status = code, message_id, message_en, status


@dataclass(frozen=True)
class Place:
    office_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None


def _signature(secret: str, event_id: int, slot: int) -> str:
    return hmac.new(secret.encode(), f"event:{event_id}:{slot}".encode(), hashlib.sha256).hexdigest()[:32]


def screen_key(secret: str, event_id: int) -> str:
    """The key of the event's venue-screen link (/qr?event=ID&key=...): that one event's QR
    without a login, as the wall's kiosk link shows the wall; it grants nothing else."""
    return hmac.new(secret.encode(), f"screen:{event_id}".encode(), hashlib.sha256).hexdigest()[:32]


def screen_key_ok(secret: str, event_id: int, key: str | None) -> bool:
    return bool(key) and hmac.compare_digest(str(key), screen_key(secret, event_id))


def slot_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // SLOT_S


def qr_token(secret: str, event_id: int, now: dt.datetime) -> str:
    """The token the full-screen page shows now (it rotates every SLOT_S seconds)."""
    slot = slot_of(now)
    return f"{event_id}.{slot}.{_signature(secret, event_id, slot)}"


def token_problem(secret: str, event_id: int, token: str, now: dt.datetime) -> str | None:
    """None for a genuine, fresh token of this event; else 'qr_forged' or 'qr_expired'."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].lstrip("-").isdigit():
        return "qr_forged"
    slot = int(parts[1])
    if int(parts[0]) != event_id or not hmac.compare_digest(parts[2], _signature(secret, event_id, slot)):
        return "qr_forged"
    return None if slot_of(now) - 1 <= slot <= slot_of(now) else "qr_expired"


def _problems(config, conn, name: str, kind: str, opens_at: dt.datetime, closes_at: dt.datetime, place: Place,
              invited_units, invited_nips, deduction_percent: float) -> tuple[list, dict]:
    """What is wrong with an event's fields (field, Indonesian, English), and the invited employees by NIP."""
    problems = []
    if not name.strip():
        problems.append(("name", "nama acara wajib diisi", "the event name is required"))
    if kind not in KINDS:
        problems.append(("kind", f"jenis harus salah satu dari {', '.join(KINDS)}", f"kind must be one of {', '.join(KINDS)}"))
    if opens_at.tzinfo is None or closes_at.tzinfo is None or closes_at <= opens_at:
        problems.append(("window", "jam tutup harus setelah jam buka (dengan zona waktu)",
                         "the closing time must be after the opening time (with a time zone)"))
    if place.office_code is not None:
        if place.office_code not in config.office_by_code:
            problems.append(("office_code", f"kantor {place.office_code} tidak ada", f"no office {place.office_code}"))
    elif place.lat is None or place.lon is None or not place.radius_m or place.radius_m <= 0:
        problems.append(("place", "tempat: kantor, atau titik (lat, lon) dengan radius > 0",
                         "place: an office, or a point (lat, lon) with a radius > 0"))
    if not 0 <= deduction_percent <= 100:
        problems.append(("deduction_percent", "potongan harus 0..100", "the deduction must be 0..100"))
    unknown_units = [u for u in invited_units if u not in config.unit_by_code]
    if unknown_units:
        problems.append(("invited_units", f"unit tidak dikenal: {', '.join(unknown_units)}",
                         f"unknown units: {', '.join(unknown_units)}"))
    employees = ql.employees_by_nip(conn, list(invited_nips))
    unknown = [n for n in invited_nips if n not in employees]
    if unknown:
        problems.append(("invited_nips", f"NIP tidak terdaftar: {', '.join(unknown)}",
                         f"unregistered NIPs: {', '.join(unknown)}"))
    return problems, employees


def _refuse(problems: list) -> None:
    if problems:
        raise EventError("invalid_event", "; ".join(f"{f}: {i}" for f, i, _ in problems),
                         "; ".join(f"{f}: {e}" for f, _, e in problems))


def create_event(rt, actor: str, *, name: str, kind: str, event_date: dt.date, opens_at: dt.datetime,
                 closes_at: dt.datetime, place: Place, invited_units: list[str] = (), invited_nips: list[str] = (),
                 compulsory: bool = False, deduction_percent: float | None = None) -> int:
    """Store an event with its invitees (none: everyone); audit-logged. Returns its id.
    `deduction_percent` None: the configured one for a compulsory event (rules.apel_missed_percent)."""
    deduction_percent = missed_event_percent(rt.config.rules, compulsory, deduction_percent)
    with rt.transaction() as conn:
        problems, employees = _problems(rt.config, conn, name, kind, opens_at, closes_at, place, invited_units,
                                        invited_nips, deduction_percent)
        _refuse(problems)
        event_id = q.insert_event(conn, name=name.strip(), kind=kind, event_date=event_date, opens_at=opens_at,
                                  closes_at=closes_at, office_code=place.office_code, lat=place.lat, lon=place.lon,
                                  radius_m=place.radius_m, compulsory=compulsory,
                                  deduction_percent=deduction_percent, created_by=actor)
        q.insert_invitees(conn, event_id, list(invited_units), [employees[n]["id"] for n in invited_nips])
        audit.record(conn, actor, "event.create", f"event {event_id}", name.strip(), after=_snapshot(
            event_id, name, kind, event_date, opens_at, closes_at, place, invited_units, invited_nips, compulsory,
            deduction_percent))
    return event_id


def _snapshot(event_id, name, kind, event_date, opens_at, closes_at, place, invited_units, invited_nips,
              compulsory, deduction_percent) -> dict:
    return {"event_id": event_id, "name": name.strip(), "kind": kind, "date": event_date, "opens_at": opens_at,
            "closes_at": closes_at, "place": place.__dict__, "invited_units": list(invited_units),
            "invited_nips": list(invited_nips), "compulsory": compulsory, "deduction_percent": deduction_percent}


def _open_event(conn, event_id: int) -> dict:
    ev = q.event(conn, event_id, lock=True)
    if ev is None:
        raise EventError("event_not_found", f"Acara {event_id} tidak ditemukan", f"No event {event_id}", 404)
    if ev["cancelled_at"] is not None:
        raise EventError("event_cancelled", f"Acara {event_id} sudah dibatalkan", f"Event {event_id} is cancelled", 409)
    return ev


def update_event(rt, actor: str, event_id: int, *, name: str, kind: str, event_date: dt.date,
                 opens_at: dt.datetime, closes_at: dt.datetime, place: Place, invited_units: list[str] = (),
                 invited_nips: list[str] = (), compulsory: bool = False, deduction_percent: float | None = None,
                 reason: str = "") -> None:
    """Replace an open event's fields and invitees; audit-logged as `event.update` with before and after."""
    deduction_percent = missed_event_percent(rt.config.rules, compulsory, deduction_percent)
    with rt.transaction() as conn:
        ev = _open_event(conn, event_id)
        problems, employees = _problems(rt.config, conn, name, kind, opens_at, closes_at, place, invited_units,
                                        invited_nips, deduction_percent)
        _refuse(problems)
        before = {k: ev[k] for k in ("name", "kind", "event_date", "opens_at", "closes_at", "office_code", "lat",
                                     "lon", "radius_m", "compulsory", "deduction_percent", "invited_units",
                                     "invited_employees")}
        q.update_event(conn, event_id, name=name.strip(), kind=kind, event_date=event_date, opens_at=opens_at,
                       closes_at=closes_at, office_code=place.office_code, lat=place.lat, lon=place.lon,
                       radius_m=place.radius_m, compulsory=compulsory, deduction_percent=deduction_percent)
        q.replace_invitees(conn, event_id, list(invited_units), [employees[n]["id"] for n in invited_nips])
        audit.record(conn, actor, "event.update", f"event {event_id}", reason or name.strip(), before=before,
                     after=_snapshot(event_id, name, kind, event_date, opens_at, closes_at, place, invited_units,
                                     invited_nips, compulsory, deduction_percent))


def cancel_event(rt, actor: str, event_id: int, reason: str) -> None:
    """Cancel an event (kept, never deleted): scans are refused and nobody is counted missing."""
    if not reason.strip():
        raise EventError("invalid_event", "reason: alasan pembatalan wajib diisi", "reason: a reason is required")
    with rt.transaction() as conn:
        ev = _open_event(conn, event_id)
        q.cancel_event(conn, event_id, actor, reason.strip())
        audit.record(conn, actor, "event.cancel", f"event {event_id}", reason.strip(),
                     before={"name": ev["name"], "event_date": ev["event_date"], "state": "open"},
                     after={"state": "cancelled"})


def _fence(config, ev: dict) -> Office:
    if ev["office_code"]:
        return config.office_by_code[ev["office_code"]]
    return Office(code=f"EVENT-{ev['id']}", name=ev["name"], unit=config.units[0].code,
                  lat=ev["lat"], lon=ev["lon"], radius_m=ev["radius_m"])


def _invited_units(config, ev: dict) -> list[str]:
    return sorted({u for code in ev["invited_units"] if code in config.unit_by_code for u in config.subtree(code)})


_MESSAGES = {
    "qr_forged": ("Kode QR tidak sah untuk acara ini", "The QR code is not valid for this event"),
    "qr_expired": ("Kode QR sudah kedaluwarsa; pindai kode yang sedang tampil", "The QR code has expired; scan the one on screen"),
    "outside_event_window": ("Di luar waktu acara", "Outside the event's time window"),
    "not_invited": ("Anda tidak diundang ke acara ini", "You are not invited to this event"),
    "mock_location": ("Lokasi palsu (mock location) terdeteksi", "Mock location detected"),
    "poor_accuracy": ("Akurasi GPS buruk; coba lagi di tempat terbuka", "Poor GPS accuracy; try again in the open"),
}


def attend(rt, employee_id: int, event_id: int, token: str, *, lat: float, lon: float, accuracy_m: float,
           mock: bool, attempt_key: str, now: dt.datetime) -> dict:
    """Judge and store one scan. A repeated attempt_key (or a second scan after an accepted
    one) returns the first verdict with duplicate=True and writes nothing."""
    config = rt.config
    with rt.transaction() as conn:
        ev = q.event(conn, event_id)
        if ev is None:
            raise EventError("event_not_found", f"Acara {event_id} tidak ditemukan", f"No event {event_id}", 404)
        if ev["cancelled_at"] is not None:
            raise EventError("event_cancelled", f"Acara {ev['name']} dibatalkan", f"Event {ev['name']} was cancelled", 409)
        qa.lock_employee(conn, employee_id)
        seen = qa.check_in_by_key(conn, attempt_key) or q.attendance_of(conn, event_id, employee_id)
        if seen is not None:
            return {**seen["payload"].get("verdict", {}), "duplicate": True}
        reasons = []
        if problem := token_problem(region_secret(rt.settings), event_id, token, now):
            reasons.append(problem)
        if not ev["opens_at"] <= now <= ev["closes_at"]:
            reasons.append("outside_event_window")
        if not q.is_invited(conn, event_id, employee_id, _invited_units(config, ev)):
            reasons.append("not_invited")
        if mock:
            reasons.append("mock_location")
        if accuracy_m > config.rules.geofence.max_accuracy_m:
            reasons.append("poor_accuracy")
        office = _fence(config, ev)
        fence = geofence_check(lat, lon, [office], config.rules.geofence.default_radius_m)
        messages = [(c, *_MESSAGES[c]) for c in reasons]
        if not fence.inside:
            reasons.append("outside_geofence")
            messages.append(("outside_geofence", f"Di luar radius acara: {fence.distance_m:.0f} m dari {office.name} "
                             f"(maks. {fence.limit_m:.0f} m)", f"Outside the event radius: {fence.distance_m:.0f} m "
                             f"from {office.name} (max {fence.limit_m:.0f} m)"))
        accepted = not reasons
        head = (f"Kehadiran {ev['name']} diterima", f"Attendance at {ev['name']} accepted") if accepted else \
            (f"Kehadiran {ev['name']} ditolak", f"Attendance at {ev['name']} refused")
        verdict = {"verdict": "accepted" if accepted else "refused", "reasons": reasons, "event_id": event_id,
                   "event_name": ev["name"], "distance_m": fence.distance_m, "limit_m": fence.limit_m,
                   "message_id": ". ".join([head[0]] + [m[1] for m in messages]),
                   "message_en": ". ".join([head[1]] + [m[2] for m in messages]),
                   "messages": [{"code": c, "id": i, "en": e} for c, i, e in messages]}
        check_in_id = record_event_scan(
            conn, event_key=attempt_key, source="qr", employee_id=employee_id, captured_at=now,
            work_date=ev["event_date"], session=None, verdict=verdict["verdict"], reasons=reasons,
            office_code=ev["office_code"], distance_m=fence.distance_m, lat=lat, lon=lon, accuracy_m=accuracy_m,
            payload={"event_id": event_id, "verdict": verdict})
        if accepted:
            q.insert_attendance(conn, event_id, employee_id, check_in_id, now)
    return {**verdict, "duplicate": False}


def attendance(rt, event_id: int) -> dict:
    """{event, attended: [...], missing: [...]} for the event page and its CSV."""
    with rt.connection() as conn:
        ev = q.event(conn, event_id)
        if ev is None:
            raise EventError("event_not_found", f"Acara {event_id} tidak ditemukan", f"No event {event_id}", 404)
        return {"event": ev, "attended": q.attendees(conn, event_id),
                "missing": q.missing(conn, event_id, _invited_units(rt.config, ev))}


def place_zone(config, office_code: str | None):
    """An event's zone: its office's unit's, else the region's (a point)."""
    office = config.office_by_code.get(office_code) if office_code else None
    return config.unit_zone(office.unit) if office is not None else config.zone


def window(config, place: Place, day: dt.date, opens: dt.time, closes: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """Clock times on the event's date in the place's zone."""
    zone = place_zone(config, place.office_code)
    return dt.datetime.combine(day, opens, zone), dt.datetime.combine(day, closes, zone)
