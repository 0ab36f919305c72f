"""Helpers for the administration tests: documents, TK days, leave forms, manual entries."""
from __future__ import annotations

import datetime as dt

from ingest import manual
from ingest.work_days import refresh_range

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def close_as_tk(rt, employee_id: int, first: dt.date, last: dt.date) -> None:
    """Write the employee's closed work days (no check-ins: TK on every work day)."""
    with rt.transaction() as conn:
        refresh_range(conn, rt.config, first, last, employee_ids=[employee_id], closed=True)


def leave_form(kind: str, first: dt.date, last: dt.date, reason: str = "keperluan keluarga") -> dict:
    return {"type": kind, "date_from": first.isoformat(), "date_to": last.isoformat(), "reason": reason}


def manual_entry(rt, nip: str, moment: dt.datetime, now: dt.datetime, scope=None, **kw):
    """A manual entry by DINKES's administrator (an "in" after a terminal failure unless told)."""
    args = dict(session="in", reason_code="terminal_failure", note="mesin sidik jari mati")
    args.update(kw)
    return manual.write_entry(rt, "admin:dinkes", scope, nip, moment, args.pop("session"), args.pop("reason_code"),
                              args.pop("note"), now=now, **args)
