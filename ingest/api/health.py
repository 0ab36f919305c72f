"""GET /healthz: Postgres and Redis, each on its own line of the report.

Only whether each answered and how fast: a connection error names hosts and ports, which
a health probe reachable from outside must not tell. The error goes to the log instead.
"""
from __future__ import annotations

import logging
import time
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from queries import mobile as q

from .errors import RETRY_AFTER

router = APIRouter(tags=["health"])
log = logging.getLogger("pantau.api")


class Probe(BaseModel):
    ok: bool
    latency_ms: float = Field(ge=0, description="how long the probe took, answered or not")


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    postgres: Probe
    redis: Probe


def _timed(name: str, probe) -> dict:
    started = time.perf_counter()
    try:
        ok = bool(probe())
    except Exception as exc:   # the report must come back whatever the failure
        log.error("healthz: %s unavailable: %s", name, exc)
        ok = False
    return {"ok": ok, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _postgres(rt) -> bool:
    with rt.connection() as conn:
        return q.ping(conn)


@router.get("/healthz", response_model=Health, responses={
    503: {"model": Health, "description": "Postgres is down: check-ins cannot be stored (Retry-After)",
          "headers": RETRY_AFTER}})
def healthz(request: Request) -> JSONResponse:
    """200 while check-ins can be stored (Redis down is 'degraded': check-ins still land)."""
    rt = request.app.state.rt
    pg, rd = _timed("postgres", lambda: _postgres(rt)), _timed("redis", lambda: rt.redis.ping())
    status = "ok" if pg["ok"] and rd["ok"] else "degraded" if pg["ok"] else "down"
    return JSONResponse({"status": status, "postgres": pg, "redis": rd}, status_code=200 if pg["ok"] else 503,
                        headers=None if pg["ok"] else {"Retry-After": "5"})
