"""Approved leave as data: one at a time (CLI, later the approval workflow) or a CSV import.

Approved leave wins over TK, and the covered days are re-derived in the same transaction.
Every input problem is reported at once with its line, in Indonesian and English, and
nothing is written while any remains. Overlapping approved leave is refused.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import redis

from foundation import clock, freshness
from queries import attendance as qa
from queries import audit
from queries import leave as ql

from . import live
from foundation.leave_types import LEAVE_TYPES
from .work_days import refresh_range

_BY_LABEL = {label.lower(): code for code, (label, _) in LEAVE_TYPES.items()}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
HEADERS = {  # column -> accepted header names (Indonesian first)
    "nip": ("nip",),
    "leave_type": ("jenis", "jenis_cuti", "leave_type", "type"),
    "date_from": ("dari", "mulai", "tanggal_mulai", "date_from", "from"),
    "date_to": ("sampai", "selesai", "tanggal_selesai", "date_to", "to"),
    "reason": ("alasan", "keterangan", "reason"),
}


class LeaveError(ValueError):
    """Leave input that cannot be approved; `problems` lists each one with where it is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class LeaveInput:
    where: str          # 'baris 3 / line 3', or 'argumen / argument'
    nip: str
    leave_type: str
    date_from: str | dt.date
    date_to: str | dt.date
    reason: str = ""


def parse_leave_type(value: str) -> str | None:
    """A leave code from its code or Indonesian label ('cuti_tahunan', 'Cuti tahunan')."""
    text = (value or "").strip()
    if text.lower() in LEAVE_TYPES:
        return text.lower()
    return _BY_LABEL.get(text.lower()) or _BY_LABEL.get(text.lower().replace("_", " "))


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime((value or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


def _problem(where: str, id_msg: str, en_msg: str) -> str:
    return f"{where}: {id_msg} / {en_msg}"


def validate(conn, items: list[LeaveInput]) -> list[tuple[dict, str, dt.date, dt.date, str]]:
    """(employee, type, from, to, reason) for every item, or LeaveError listing every problem."""
    nips = [i.nip.strip() for i in items]
    employees = ql.employees_by_nip(conn, nips)
    problems, out = [], []
    batch: dict[int, list[tuple[dt.date, dt.date, str]]] = {}
    for item in items:
        nip, where = item.nip.strip(), item.where
        before = len(problems)
        emp = employees.get(nip)
        if not (len(nip) == 18 and nip.isdigit()):
            problems.append(_problem(where, f"NIP {nip!r} harus 18 angka", f"NIP {nip!r} must be 18 digits"))
        elif emp is None:
            problems.append(_problem(where, f"NIP {nip} tidak terdaftar", f"NIP {nip} is not registered"))
        elif not emp["active"]:
            problems.append(_problem(where, f"pegawai {nip} tidak aktif", f"employee {nip} is not active"))
        code = parse_leave_type(item.leave_type)
        if code is None:
            known = ", ".join(LEAVE_TYPES)
            problems.append(_problem(where, f"jenis {item.leave_type!r} tidak dikenal ({known})",
                                     f"unknown leave type {item.leave_type!r} ({known})"))
        first, last = parse_date(item.date_from), parse_date(item.date_to)
        for value, parsed, id_name, en_name in ((item.date_from, first, "tanggal mulai", "start date"),
                                                (item.date_to, last, "tanggal selesai", "end date")):
            if parsed is None:
                problems.append(_problem(where, f"{id_name} {value!r} bukan tanggal (YYYY-MM-DD atau DD/MM/YYYY)",
                                         f"{en_name} {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
        if first and last and last < first:
            problems.append(_problem(where, f"tanggal selesai {last} sebelum tanggal mulai {first}",
                                     f"end date {last} is before start date {first}"))
        if len(problems) > before:
            continue
        for other in ql.approved_overlapping(conn, emp["id"], first, last):
            problems.append(_problem(
                where, f"bertumpang tindih dengan {other['leave_type']} {other['date_from']}..{other['date_to']} yang sudah disetujui",
                f"overlaps approved {other['leave_type']} {other['date_from']}..{other['date_to']}"))
        for a, b, other_where in batch.get(emp["id"], []):
            if a <= last and first <= b:
                problems.append(_problem(where, f"bertumpang tindih dengan {other_where}", f"overlaps {other_where}"))
        batch.setdefault(emp["id"], []).append((first, last, where))
        out.append((emp, code, first, last, item.reason.strip()))
    if problems:
        raise LeaveError(problems)
    return out


def approve(conn, config, employee: dict, leave_type: str, first: dt.date, last: dt.date, *,
            reason: str, actor: str, source: str, request_id: int | None = None, comment: str = "") -> dict:
    """Store one approved leave (or approve the pending request `request_id`) and re-derive
    the days it covers (the caller validated it). Call inside the caller's transaction."""
    qa.lock_employee(conn, employee["id"])
    overlap = ql.approved_overlapping(conn, employee["id"], first, last)
    if overlap:  # a concurrent approval got there between validation and now
        raise LeaveError([f"{employee['nip']}: bertumpang tindih / overlaps approved leave {overlap[0]['id']}"])
    if request_id is None:
        leave_id = ql.insert_approved(conn, employee_id=employee["id"], leave_type=leave_type, date_from=first,
                                      date_to=last, reason=reason, source=source, decided_by=actor)
    else:
        leave_id = request_id
        ql.set_decision(conn, request_id, "approved", actor, comment)
    days = refresh_range(conn, config, first, last, employee_ids=[employee["id"]])
    work_days = sum(1 for d in days if d["is_work_day"])
    record = {"leave_id": leave_id, "nip": employee["nip"], "leave_type": leave_type,
              "from": first.isoformat(), "to": last.isoformat(), "work_days": work_days, "source": source}
    audit.record(conn, actor, "leave.approve", employee["nip"], reason, after=record)
    return record


def add(rt, items: list[LeaveInput], *, actor: str, source: str) -> list[dict]:
    """Validate then approve every item in one transaction: all or nothing."""
    with rt.transaction() as conn:
        valid = validate(conn, items)
        done = [approve(conn, rt.config, emp, code, first, last, reason=reason, actor=actor, source=source)
                for emp, code, first, last, reason in valid]
    if done:
        freshness.work_days_changed(rt)
    today = clock.today(rt.config.zone)
    if any(first <= today <= last for _, _, first, last, _ in valid):
        try:
            live.rebuild(rt, today)
        except redis.RedisError:
            pass  # the worker's periodic rebuild catches up
    return done


def read_csv(path: Path) -> list[LeaveInput]:
    """Leave rows from a CSV (',' ';' or tab; UTF-8 with or without BOM), header on line 1."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LeaveError([f"{path}: tidak dapat dibaca / cannot be read ({exc})"]) from None
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    columns, problems = {}, []
    for column, names in HEADERS.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None and column != "reason":
            problems.append(f"baris 1 / line 1: kolom {names[0]!r} tidak ada / column {names[0]!r} is missing "
                            f"(header: {', '.join(header) or '(kosong/empty)'})")
        columns[column] = found
    if problems:
        raise LeaveError(problems)
    items = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda c: row[columns[c]] if columns[c] is not None and columns[c] < len(row) else ""  # noqa: E731
        items.append(LeaveInput(f"baris {line} / line {line}", cell("nip"), cell("leave_type"),
                                cell("date_from"), cell("date_to"), cell("reason")))
    if not items:
        raise LeaveError([f"{path}: tidak ada baris data / no data rows"])
    return items
