"""The bare ceiling for `bench/ingest --sweep`: the ingest process's HTTP stack (gunicorn, its
uvicorn worker, FastAPI, the same database and Redis layers) serving POST /api/v1/check-ins
with nothing but one INSERT (its own transaction and commit) and one HINCRBY per request.
No auth, no validation, no rules, no batching: what the stack costs before Pantau does
anything. Bench only; never served by the product.

    gunicorn --worker-class ingest.serving.Worker "bench.bare_app:create_app()"
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from queries import scratch

REPLY = b'{"duplicate":false,"verdict":"accepted"}'


def create_app() -> FastAPI:
    from foundation.runtime import boot

    rt = boot()
    key = rt.key("bench", "bare")

    @asynccontextmanager
    async def lifespan(app):
        import anyio.to_thread

        # No more threads than pooled connections (as the product's check-in writers): an
        # overflow connection would be opened and closed per request, a backend forked each time.
        anyio.to_thread.current_default_thread_limiter().total_tokens = rt.settings.db_pool
        yield

    # as the product: no OpenTelemetry lookups per request
    app = FastAPI(lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})

    def store(body: bytes) -> None:
        with rt.transaction() as conn:
            scratch.insert_bare(conn, body)
        rt.redis.hincrby(key, "stored", 1)

    @app.post("/api/v1/check-ins", status_code=201)
    async def check_in(request: Request) -> Response:
        await run_in_threadpool(store, await request.body())
        return Response(REPLY, status_code=201, media_type="application/json")

    @app.get("/healthz")
    async def health() -> dict:
        return {"ok": True}

    return app
