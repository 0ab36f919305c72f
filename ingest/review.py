"""The review queue: what waits (worst first), the evidence, and the decisions.

A decision (`sah` or `tolak`, with a note) is insert-only in review_decisions, audit-logged,
and re-derives the check-in's work day in the same transaction, so the recap and the
employee's month follow at once; the wall is rebuilt when the day is today. Flags added by
face matching, the pattern scan or the trust score go through `add_flags` here, which
re-derives the days they touch (a pending check-in stops counting unless config says so).
"""
from __future__ import annotations

import datetime as dt
import logging

import redis

from foundation import clock, freshness
from queries import attendance as qa
from queries import audit
from queries import faces as qf
from queries import patterns as qp
from queries import review as q

from . import live
from .attendance import refresh_work_day
from .rules import review as rules

log = logging.getLogger(__name__)
QUEUE_DAYS = 62          # the queue looks this far back (two months: the recap being closed and this one)
NOTE_MAX = 1000


class ReviewRefused(ValueError):
    def __init__(self, code: str, message_id: str, message_en: str, status: int = 422):
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.status = code, message_id, message_en, status


def may_review(config, role: str, user_unit: str | None, employee_unit: str) -> bool:
    """BKPP and the inspectorate review everyone; a kepala_unit the employees of their subtree."""
    if role in ("bkpp", "inspektorat"):
        return True
    return role == "kepala_unit" and user_unit in config.unit_by_code and employee_unit in config.subtree(user_unit)


def weight(config, item: dict) -> float:
    """An item's weight: its flags' weights plus the weights of the pattern kinds found that
    no flag carries yet (the pattern scan may write findings before flags) and of the judge's
    own reasons (clock_skew, late_upload: on the check-in, not written as flags), each once."""
    rules = config.rules.patterns
    carried = set(item["flag_kinds"])
    extra = {k: rules.weights.get(k, 0.0) for k in item["pattern_kinds"] if k not in carried}
    extra.update({k: rules.judge_weights[k] for k in (item.get("reasons") or ())
                  if k in rules.judge_weights and k not in carried})
    return float(item["flag_weight"]) + sum(extra.values())


def queue(rt, unit_codes: list[str] | None, today: dt.date | None = None, limit: int = 500) -> list[dict]:
    """Waiting check-ins of these units (None: all), worst first: by weight, then the oldest."""
    today = today or clock.today(rt.config.zone)
    with rt.connection() as conn:
        items = q.queue(conn, today - dt.timedelta(days=QUEUE_DAYS), unit_codes, limit)
    deadline_days = rt.config.rules.review.deadline_days
    for item in items:
        item["weight"] = weight(rt.config, item)
        item["deadline"] = rules.deadline(item["work_date"], deadline_days)
    return sorted(items, key=lambda i: (-i["weight"], i["captured_at"]))


def evidence(rt, check_in_id: int) -> dict | None:
    """Everything the page shows beside one item: the check-in, its flags and findings (with
    the other employee of a pair), the employee's reference face and the server's match of this
    selfie, and the employee's week of check-ins."""
    with rt.connection() as conn:
        head = q.check_in(conn, check_in_id)
        if head is None:
            return None
        monday = head["work_date"] - dt.timedelta(days=head["work_date"].weekday())
        return {"check_in": head, "flags": q.flags_of(conn, check_in_id), "findings": q.findings_of(conn, check_in_id),
                "face": qf.current_enrolments(conn, [head["employee_id"]]).get(head["employee_id"]),
                "match": qf.match_of(conn, check_in_id),
                "week": q.timeline(conn, head["employee_id"], monday, monday + dt.timedelta(days=6))}


def decide(rt, check_in_id: int, decision: str, note: str, actor: str, *, role: str,
           user_unit: str | None = None) -> dict:
    """Record `sah` or `tolak` (a note is required) and re-derive the work day; returns the
    day's status before and after. Refuses out-of-scope items as if they did not exist."""
    config = rt.config
    note = (note or "").strip()
    if decision not in rules.DECISIONS:
        raise ReviewRefused("bad_decision", "Keputusan harus sah atau tolak", "The decision must be sah or tolak")
    if not note:
        raise ReviewRefused("note_required", "Catatan wajib diisi", "A note is required")
    if len(note) > NOTE_MAX:
        raise ReviewRefused("note_too_long", f"Catatan terlalu panjang (maks. {NOTE_MAX} karakter)",
                            f"The note is too long (max {NOTE_MAX} characters)")
    with rt.transaction() as conn:
        head = q.check_in(conn, check_in_id)
        if head is None or not may_review(config, role, user_unit, head["unit_code"]):
            raise ReviewRefused("not_found", f"Presensi {check_in_id} tidak ditemukan",
                                f"No check-in {check_in_id}", status=404)
        qa.lock_employee(conn, head["employee_id"])
        employee = qa.employee(conn, head["employee_id"])
        before_day = qa.work_day(conn, head["employee_id"], head["work_date"])
        q.add_decision(conn, check_in_id, decision, note, actor)
        day = refresh_work_day(conn, config, employee, head["work_date"])
        before = {"check_in_id": check_in_id, "review": head["review_state"],
                  "status": before_day and before_day["status"], "late_band": before_day and before_day["late_band"]}
        after = {"check_in_id": check_in_id, "review": decision, "status": day.status, "late_band": day.late_band,
                 "work_date": head["work_date"].isoformat()}
        audit.record(conn, actor, "review.decide", head["nip"], note, before=before, after=after)
    after_change(rt, {head["work_date"]})
    return after


def add_flags(rt, flags: list[dict]) -> int:
    """Store flags (queries.review.add_flags) and re-derive the work days they touch; how many were new."""
    if not flags:
        return 0
    with rt.transaction() as conn:
        new, dates = store_flags(conn, rt.config, flags)
    after_change(rt, dates)
    return new


def store_flags(conn, config, flags: list[dict]) -> tuple[int, set[dt.date]]:
    """In the caller's transaction: store flags and re-derive the days of the check-ins they
    send to review (a pattern flag alone changes no day). How many were new, and the dates;
    the caller passes the dates to after_change once committed."""
    new = q.add_flags(conn, flags)
    queueing = [f["check_in_id"] for f in flags if f["source"] in rules.QUEUEING]
    return new, _refresh_days(conn, config, q.employee_days(conn, queueing) if queueing else [])


def settle_overdue(rt, today: dt.date, actor: str = rules.SYSTEM_DEADLINE) -> int:
    """Past the deadline (rules.review), decide what config says for the reviewers (audited);
    `after_deadline: pending` leaves them waiting. Returns how many were decided."""
    review = rt.config.rules.review
    if review.after_deadline not in rules.DECISIONS:
        return 0
    with rt.transaction() as conn:
        waiting = q.overdue(conn, today - dt.timedelta(days=review.deadline_days))
        due = [w for w in waiting if rules.overdue_decision(w["work_date"], today, review.deadline_days,
                                                            review.after_deadline)]
        note = f"Batas tinjauan {review.deadline_days} hari terlewati"
        q.add_decisions(conn, [w["id"] for w in due], review.after_deadline, note, actor)
        dates = _refresh_days(conn, rt.config, [(w["employee_id"], w["work_date"]) for w in due])
        if due:
            audit.record(conn, actor, "review.deadline", today.isoformat(), note,
                         after={"decision": review.after_deadline, "check_in_ids": [w["id"] for w in due]})
    after_change(rt, dates)
    return len(due)


def _refresh_days(conn, config, employee_days: list[tuple[int, dt.date]]) -> set[dt.date]:
    """Re-derive these (employee, work date) days (employee locks in id order); their dates."""
    pairs = sorted(set(employee_days))
    for employee_id in sorted({e for e, _ in pairs}):
        qa.lock_employee(conn, employee_id)
    for employee_id, work_date in pairs:
        refresh_work_day(conn, config, qa.employee(conn, employee_id), work_date)
    return {d for _, d in pairs}


def after_change(rt, dates: set[dt.date]) -> None:
    if not dates:
        return
    freshness.work_days_changed(rt)
    today = clock.today(rt.config.zone)
    if today in dates:
        try:
            live.rebuild(rt, today)
        except redis.RedisError as exc:   # Postgres holds the truth; the worker's rebuild catches up
            log.warning("review changed today's work days, live state not rebuilt (%s)", exc)


# the month's findings per unit for the inspectorate (`pantau patterns export`, the review page)
FINDING_COLUMNS = ["tanggal", "pola", "nip", "nama", "unit_kode", "unit_nama", "keterangan", "presensi", "temuan"]


def month_findings(rt, first: dt.date, last: dt.date, unit_codes: list[str] | None) -> list[dict]:
    """Pattern findings in [first, last], one row per employee involved, unit by unit."""
    with rt.connection() as conn:
        return qp.findings(conn, first, last, unit_codes)
