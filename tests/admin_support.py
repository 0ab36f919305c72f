"""Helpers for the administration tests: documents, TK days, multipart leave requests."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from ingest.app import create_app
from ingest.work_days import refresh_range

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def close_as_tk(rt, employee_id: int, first: dt.date, last: dt.date) -> None:
    """Write the employee's closed work days (no check-ins: TK on every work day)."""
    with rt.transaction() as conn:
        refresh_range(conn, rt.config, first, last, employee_ids=[employee_id], closed=True)


def leave_form(kind: str, first: dt.date, last: dt.date, reason: str = "keperluan keluarga") -> dict:
    return {"type": kind, "date_from": first.isoformat(), "date_to": last.isoformat(), "reason": reason}


@pytest.fixture(scope="module")
def app(runtime, request):
    """The API in process, judging at the test module's NOW."""
    app, now = create_app(runtime), request.module.NOW
    app.state.now = lambda: now
    return app


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c
