"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by tests/support/schema_fuzz.py).

What the OpenAPI document states in words because JSON Schema cannot: a time or date
relative to the server's clock, a leave's last day not before its first, a file that
really is a JPEG or a PDF. Only the cases schemathesis means to be valid (positive mode)
are touched, and only those values: everything else is left as generated, so the
negative cases still probe every type, range and pattern the document gives.
"""
from __future__ import annotations

import datetime as dt
import random

import schemathesis
from schemathesis import GenerationMode

WIB = dt.timezone(dt.timedelta(hours=7))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _now() -> dt.datetime:
    return dt.datetime.now(WIB)   # the server under test runs on the real clock


def _moment(rnd: random.Random) -> str:
    """Inside the default window (30 days back, 10 minutes ahead), well clear of both ends."""
    return (_now() - dt.timedelta(seconds=rnd.randint(-60, 2 * 86400))).replace(microsecond=0).isoformat()


def _day(rnd: random.Random, back: int = 30, ahead: int = 0) -> dt.date:
    return _now().date() + dt.timedelta(days=rnd.randint(-back, ahead))


def _check_in(rnd: random.Random, body: dict) -> None:
    data = body.get("data") if "data" in body else body
    if isinstance(data, dict) and "captured_at" in data:
        data["captured_at"] = _moment(rnd)
    if "selfie" in body:
        body["selfie"] = JPEG


def _leave(rnd: random.Random, body: dict) -> None:
    first = _day(rnd, back=30, ahead=60)
    body["date_from"] = first.isoformat()
    body["date_to"] = (first + dt.timedelta(days=rnd.randint(0, 3))).isoformat()
    if isinstance(body.get("attachments"), list):
        body["attachments"] = [PDF for _ in body["attachments"]]


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    rnd = random.Random(repr((case.operation.label, case.body, case.query)))   # the run's seed decides
    path, method = case.operation.path, case.operation.method.upper()
    if isinstance(case.body, dict):
        if (method, path) == ("POST", "/api/v1/check-ins"):
            _check_in(rnd, case.body)
        elif (method, path) == ("POST", "/api/v1/leaves"):
            _leave(rnd, case.body)
    if path == "/api/v1/me/today" and isinstance(case.query, dict) and "date" in case.query:
        case.query["date"] = _day(rnd).isoformat()
    if path == "/api/v1/me/month" and isinstance(case.query, dict) and "month" in case.query:
        case.query["month"] = f"{_day(rnd, back=300):%Y-%m}"
    return case
