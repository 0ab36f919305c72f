"""GET /healthz: Postgres and Redis, each on its own line of the report."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from queries import mobile as q
from queries.db import DatabaseUnavailable

router = APIRouter(tags=["health"])


def _postgres(rt) -> dict:
    try:
        with rt.connection() as conn:
            return {"ok": q.ping(conn)}
    except DatabaseUnavailable as exc:
        return {"ok": False, "error": str(exc).splitlines()[0][:200]}


def _redis(rt) -> dict:
    import redis

    try:
        return {"ok": bool(rt.redis.ping())}
    except redis.RedisError as exc:
        return {"ok": False, "error": str(exc)[:200]}


@router.get("/healthz", responses={503: {"description": "Postgres is down: check-ins cannot be stored"}})
def healthz(request: Request) -> JSONResponse:
    """200 while check-ins can be stored (Redis down is 'degraded': check-ins still land)."""
    rt = request.app.state.rt
    pg, rd = _postgres(rt), _redis(rt)
    status = "ok" if pg["ok"] and rd["ok"] else "degraded" if pg["ok"] else "down"
    return JSONResponse({"status": status, "postgres": pg, "redis": rd}, status_code=200 if pg["ok"] else 503,
                        headers=None if pg["ok"] else {"Retry-After": "5"})
