"""Manual entry, the paper fallback: a unit admin or BKPP writes in a check-in.

It goes through the one pipeline (`attendance.record`, source `manual`, no geofence) so
it is judged by the same windows and marked `manual` everywhere. Refused when back-dated
beyond `rules.manual_max_backdate_days`, in the future, or outside the actor's units;
beyond `rules.manual_cap_per_unit_month` in the unit's month it is flagged
`manual_overuse`. Every entry is audit-logged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from foundation import clock, freshness
from queries import leave as ql
from queries import manual as qm

from . import attachments
from .attendance import record
from .rules.judge import Attempt

REASONS = {
    "terminal_failure": ("Mesin presensi rusak", "Terminal failure"),
    "not_enrolled": ("Belum terdaftar di mesin/aplikasi", "Not yet enrolled"),
    "force_majeure": ("Keadaan kahar", "Force majeure"),
}
SESSIONS = ("in", "midday", "out")
OVERUSE = "manual_overuse"


class ManualRefused(ValueError):
    def __init__(self, code: str, message_id: str, message_en: str):
        super().__init__(f"{message_id} / {message_en}")
        self.code, self.message_id, self.message_en = code, message_id, message_en


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def write_entry(rt, actor: str, actor_unit_scope: list[str] | None, employee_nip: str, moment: dt.datetime,
                session: str, reason_code: str, note: str, document: Document | None = None, *,
                now: dt.datetime | None = None) -> dict:
    """Write one manual check-in. `actor_unit_scope`: the units the actor may write for (None: all, BKPP).
    Returns {check_in_id, duplicate, verdict, reasons, work_date, overuse}."""
    config = rt.config
    if reason_code not in REASONS:
        raise ManualRefused("unknown_reason", f"Alasan harus salah satu dari {', '.join(REASONS)}",
                            f"The reason must be one of {', '.join(REASONS)}")
    if session not in SESSIONS:
        raise ManualRefused("unknown_session", f"Sesi harus salah satu dari {', '.join(SESSIONS)}",
                            f"The session must be one of {', '.join(SESSIONS)}")
    if not note.strip():
        raise ManualRefused("note_required", "Keterangan wajib diisi", "A note is required")
    if moment.tzinfo is None:
        raise ManualRefused("naive_moment", "Waktu harus memuat zona waktu", "The time must carry a time zone")
    if document is not None and (bad := attachments.problem(document.filename, document.data)):
        raise ManualRefused(bad[0], bad[1], bad[2])
    with rt.connection() as conn:
        employee = ql.employees_by_nip(conn, [employee_nip.strip()]).get(employee_nip.strip())
    if employee is None or not employee["active"]:
        raise ManualRefused("unknown_employee", f"NIP {employee_nip} tidak terdaftar atau tidak aktif",
                            f"NIP {employee_nip} is not registered or not active")
    if actor_unit_scope is not None and employee["unit_code"] not in actor_unit_scope:
        raise ManualRefused("out_of_scope", f"Pegawai {employee_nip} di luar unit Anda",
                            f"Employee {employee_nip} is outside your unit")
    zone = config.unit_zone(employee["unit_code"])
    now = now or clock.now()
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    limit = config.rules.manual_max_backdate_days
    if moment > now:
        raise ManualRefused("future", "Waktu presensi manual tidak boleh di masa depan",
                            "A manual check-in cannot be in the future")
    if (today - local.date()).days > limit:
        raise ManualRefused("backdated", f"Presensi manual paling lama {limit} hari ke belakang ({local.date()})",
                            f"Manual check-ins may be at most {limit} days old ({local.date()})")
    first, last = _month(local.date())
    with rt.connection() as conn:
        used = qm.count_in_unit(conn, employee["unit_code"], first, last)
    overuse = used >= config.rules.manual_cap_per_unit_month
    sha = attachments.store(rt.settings, document.data) if document is not None else None
    request = {"actor": actor, "reason_code": reason_code, "note": note.strip(), "document_sha256": sha,
               "session": session, "moment": moment.isoformat()}
    offices = config.unit_offices(employee["unit_code"])
    attempt = Attempt(source="manual", captured_at=moment, received_at=moment, session=session)
    recorded = record(rt, employee["id"], attempt, f"manual:{employee['id']}:{local.isoformat()}:{session}",
                      payload=request, check_geofence=False, flags=(OVERUSE,) if overuse else (),
                      office_code=offices[0].code if offices else None,
                      audit_entry={"actor": actor, "action": "check_in.manual", "target": employee["nip"],
                                   "reason": f"{reason_code}: {note.strip()}",
                                   "after": {**request, "overuse": overuse, "unit_month_count": used + 1}})
    if not recorded.duplicate:
        freshness.work_days_changed(rt)  # often a past day, cached for minutes otherwise
    return {"check_in_id": recorded.check_in_id, "duplicate": recorded.duplicate,
            "verdict": recorded.verdict.get("verdict"), "reasons": recorded.verdict.get("reasons", []),
            "work_date": recorded.verdict.get("work_date"), "overuse": overuse,
            "message_id": recorded.verdict.get("message_id"), "message_en": recorded.verdict.get("message_en")}


def moment_for(rt, nip: str, day: dt.date, at: dt.time) -> dt.datetime:
    """A date and clock time as written on paper, in the employee's unit's zone (WIB, WITA, WIT)."""
    with rt.connection() as conn:
        employee = ql.employees_by_nip(conn, [nip.strip()]).get(nip.strip())
    unit = employee["unit_code"] if employee else None
    zone = rt.config.unit_zone(unit) if unit in rt.config.unit_by_code else rt.config.zone
    return dt.datetime.combine(day, at, zone)
