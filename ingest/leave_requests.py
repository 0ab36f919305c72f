"""Leave requested from the phone and decided by the unit head or BKPP.

A request is checked (type, dates, documents the rules require, overlap with approved or
pending leave, the cuti tahunan balance) and stored pending. `decide` approves it through
`ingest.leave.approve` (the covered work days are re-derived at once: TK becomes the leave
type) or rejects it; both are audit-logged with before and after.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import redis

from foundation import clock, freshness
from queries import attendance as qa
from queries import audit
from queries import leave as ql

from . import attachments, live
from .rules.calendar import calendar_for
from .leave import LeaveError, approve
from foundation.leave_types import LEAVE_TYPES

ANNUAL = "cuti_tahunan"
MAX_DAYS = 366


class RequestRefused(ValueError):
    """A request or decision that cannot go through: code, Indonesian and English, the field."""

    def __init__(self, code: str, message_id: str, message_en: str, field: str | None = None, status: int = 422):
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.field, self.status = code, message_id, message_en, field, status


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes


def work_days_between(config, employee: dict, first: dt.date, last: dt.date) -> int:
    """Scheduled work days of the employee in [first, last] (holidays and days off excluded)."""
    calendar, zone = calendar_for(config), config.unit_zone(employee["unit_code"])
    return sum(1 for n in range((last - first).days + 1)
               if calendar.plan(employee["schedule_code"], first + dt.timedelta(days=n), zone) is not None)


def annual_used(conn, config, employee: dict, year: int, exclude_id: int | None = None) -> int:
    """Work days of cuti tahunan approved or pending in the calendar year."""
    used = 0
    for lv in ql.leaves_of_type_in_year(conn, employee["id"], ANNUAL, year, exclude_id):
        used += work_days_between(config, employee, max(lv["date_from"], dt.date(year, 1, 1)),
                                  min(lv["date_to"], dt.date(year, 12, 31)))
    return used


def balance(conn, config, employee: dict, year: int) -> dict:
    used = annual_used(conn, config, employee, year)
    return {"year": year, "entitled": config.rules.annual_leave_days, "used": used,
            "left": config.rules.annual_leave_days - used}


def _check_balance(conn, config, employee: dict, first: dt.date, last: dt.date, exclude_id: int | None = None) -> None:
    for year in range(first.year, last.year + 1):
        asked = work_days_between(config, employee, max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31)))
        left = config.rules.annual_leave_days - annual_used(conn, config, employee, year, exclude_id)
        if asked > left:
            raise RequestRefused("annual_leave_exceeded",
                                 f"Sisa cuti tahunan {year} tinggal {max(left, 0)} hari kerja; diminta {asked}",
                                 f"Annual leave left for {year}: {max(left, 0)} work days; {asked} asked",
                                 "date_to", status=409)


def _check_overlap(conn, employee_id: int, first: dt.date, last: dt.date, exclude_id: int | None = None) -> None:
    for other in ql.open_overlapping(conn, employee_id, first, last, exclude_id):
        state_id = "sudah disetujui" if other["state"] == "approved" else "masih menunggu keputusan"
        state_en = "approved" if other["state"] == "approved" else "pending"
        raise RequestRefused("leave_overlap",
                             f"Tanggal {first}..{last} bertumpang tindih dengan {other['leave_type']} "
                             f"{other['date_from']}..{other['date_to']} yang {state_id}",
                             f"Dates {first}..{last} overlap {state_en} {other['leave_type']} "
                             f"{other['date_from']}..{other['date_to']}", "date_from", status=409)


def request(rt, employee_id: int, leave_type: str, first: dt.date, last: dt.date, reason: str,
            documents: list[Document]) -> dict:
    """Check and store one pending request with its documents (all or nothing)."""
    config = rt.config
    if leave_type not in LEAVE_TYPES:
        raise RequestRefused("unknown_leave_type", f"Jenis {leave_type!r} tidak dikenal ({', '.join(LEAVE_TYPES)})",
                             f"Unknown leave type {leave_type!r} ({', '.join(LEAVE_TYPES)})", "type")
    if last < first:
        raise RequestRefused("date_order", f"Tanggal selesai {last} sebelum tanggal mulai {first}",
                             f"End date {last} is before start date {first}", "date_to")
    if (last - first).days >= MAX_DAYS:
        raise RequestRefused("date_range", f"Rentang tanggal lebih dari {MAX_DAYS} hari",
                             f"The date range is longer than {MAX_DAYS} days", "date_to")
    if not documents and leave_type in config.rules.leave_document_required:
        label = LEAVE_TYPES[leave_type][0]
        raise RequestRefused("document_required", f"{label} wajib disertai dokumen pendukung (PDF, JPEG atau PNG)",
                             f"{label} needs a supporting document (PDF, JPEG or PNG)", "attachments")
    for doc in documents:
        if bad := attachments.problem(doc.filename, doc.data):
            raise RequestRefused(bad[0], bad[1], bad[2], "attachments")
    with rt.transaction() as conn:
        employee = qa.employee(conn, employee_id)
        qa.lock_employee(conn, employee_id)
        _check_overlap(conn, employee_id, first, last)
        if leave_type == ANNUAL:
            _check_balance(conn, config, employee, first, last)
        stored = ql.insert_request(conn, employee_id=employee_id, leave_type=leave_type, date_from=first,
                                   date_to=last, reason=reason.strip())
        files = []
        for doc in documents:
            sha = attachments.store(rt.settings, doc.data)
            mime = attachments.sniff(doc.data)
            ql.insert_attachment(conn, leave_id=stored["id"], sha256=sha, mime=mime, size=len(doc.data),
                                 filename=doc.filename[:200])
            files.append({"sha256": sha, "mime": mime, "size": len(doc.data), "filename": doc.filename[:200]})
    return {**stored, "attachments": files}


def may_decide(config, role: str, user_unit: str | None, employee_unit: str) -> bool:
    """BKPP decides for everyone; a kepala_unit for the employees of their unit subtree."""
    if role == "bkpp":
        return True
    return role == "kepala_unit" and user_unit is not None and user_unit in config.unit_by_code \
        and employee_unit in config.subtree(user_unit)


def decide(rt, leave_id: int, approve_it: bool, actor: str, comment: str, *,
           role: str = "bkpp", user_unit: str | None = None) -> dict:
    """Approve or reject a pending request; approval re-derives its work days at once."""
    config = rt.config
    with rt.transaction() as conn:
        lv = ql.leave_for_decision(conn, leave_id)
        if lv is None:
            raise RequestRefused("leave_not_found", f"Pengajuan {leave_id} tidak ditemukan",
                                 f"No leave request {leave_id}", status=404)
        if not may_decide(config, role, user_unit, lv["unit_code"]):
            raise RequestRefused("out_of_scope", "Pegawai ini di luar unit Anda",
                                 "This employee is outside your unit", status=403)
        if lv["state"] != "pending":
            raise RequestRefused("already_decided", f"Pengajuan {leave_id} sudah {lv['state']}",
                                 f"Leave request {leave_id} is already {lv['state']}", status=409)
        before = {"leave_id": leave_id, "state": "pending", "leave_type": lv["leave_type"],
                  "from": lv["date_from"].isoformat(), "to": lv["date_to"].isoformat()}
        if approve_it:
            employee = {"id": lv["employee_id"], "nip": lv["nip"]}
            before["days"] = ql.day_statuses(conn, lv["employee_id"], lv["date_from"], lv["date_to"])
            try:
                result = approve(conn, config, employee, lv["leave_type"], lv["date_from"], lv["date_to"],
                                 reason=lv["reason"], actor=actor, source=f"request:{leave_id}",
                                 request_id=leave_id, comment=comment)
            except LeaveError as exc:
                raise RequestRefused("leave_overlap", "Bertumpang tindih dengan cuti yang sudah disetujui",
                                     str(exc), status=409) from None
            after = {**before, "state": "approved", "work_days": result["work_days"],
                     "days": ql.day_statuses(conn, lv["employee_id"], lv["date_from"], lv["date_to"])}
        else:
            ql.set_decision(conn, leave_id, "rejected", actor, comment)
            after = {**before, "state": "rejected"}
        audit.record(conn, actor, "leave.decide", lv["nip"], comment, before=before, after=after)
    if approve_it:
        freshness.work_days_changed(rt)
    today = clock.today(config.zone)
    if approve_it and lv["date_from"] <= today <= lv["date_to"]:
        try:
            live.rebuild(rt, today)
        except redis.RedisError:
            pass  # the worker's periodic rebuild catches up
    return after
