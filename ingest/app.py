"""The ingest process: the mobile check-in API (FastAPI) under /api/v1, the employee's
web page at /app/ (a client of that API), and the terminals' push protocol at the root
paths they use (/iclock/...). Run by the Procfile:

    gunicorn --worker-class ingest.serving.Worker "ingest.app:create_app()"

Each worker process boots once (settings, config, servers, migrations) and, when Redis
has no live state for today or one it did not count itself (restored from a snapshot),
rebuilds it from Postgres; a watcher does the same every few seconds.
"""
from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from foundation import clock
from queries import db

from . import employee_page, live
from .api import check_in_batch, check_ins, devices, errors, events, health, leaves, me
from .api.bodylimit import BodyLimit
from .api.ratelimit import RateLimits
from .api.schemas import CheckInBody
from .api.writer import Writer
from .terminals.push import router as terminal_router

API = "/api/v1"
LIVE_CATCH_UP_S = 5.0
log = logging.getLogger("pantau.api")

DESCRIPTION = """
The contract for the mobile attendance app (presensi). Activate the phone once with the
code from BKPP, then send check-ins with `Authorization: Bearer <token>`.

Every refusal is `{"error": {"code", "message_id", "message_en", "fields"?}}` in Indonesian
and English, `fields` naming each bad field: 400 for a body that is not JSON, 415 for a
Content-Type the operation does not read, 422 for a field outside its type or range (the
ranges are in each field's description; numbers must be JSON numbers, flags true / false,
times RFC 3339 with their UTC offset, dates YYYY-MM-DD). 429 and 503 carry `Retry-After`. A check-in's verdict is in the 201 reply; sending the same
`event_id` again returns the original verdict with 200 and writes nothing.
"""


def create_app(runtime=None):
    """The ASGI app; `runtime` for tests (one region's app), otherwise boot every region of
    the installation from the environment: one region, its app as ever; several, a
    dispatcher over one app per region (ingest/regions.py)."""
    from foundation.runtime import boot_regions

    if runtime is not None:
        return region_app(runtime)
    runtimes = boot_regions()
    app = serve(runtimes)
    # a frozen or overloaded Postgres: 503 + Retry-After within the budget, not a hang
    # (one process-wide limit: the installation's own region's)
    db.answer_within(next(iter(runtimes.values())).config.database.api_wait_s)
    # What boot made (modules, config, the app) lives as long as the process: out of the
    # collector's sight, so a full collection under the rush does not walk it all again.
    gc.freeze()
    return app


def serve(runtimes: dict):
    """The app for these regions ({code: Runtime}, own first): a single region's own app,
    or the dispatcher over one app per region."""
    apps = {code: region_app(rt) for code, rt in runtimes.items()}
    own = next(iter(apps))
    if len(apps) == 1:
        return apps[own]
    from .regions import Dispatcher

    return Dispatcher(apps, own)


def region_app(rt) -> FastAPI:
    """One region's API, employee page and terminal receiver."""
    live.rebuild_if_stale(rt, clock.today(rt.config.zone))

    @asynccontextmanager
    async def lifespan(app):
        import anyio.to_thread

        # Blocking work (Postgres, Redis) runs in threads; no more of them than connections.
        anyio.to_thread.current_default_thread_limiter().total_tokens = rt.settings.api_threads
        watcher = asyncio.create_task(_watch_live(rt))
        yield
        watcher.cancel()
        app.state.check_in_writer.close()

    # No OpenTelemetry here: FastAPI's own would look up the global providers on every request
    # (a few per cent of a worker's CPU under the 07:00 rush) to find them unconfigured.
    app = FastAPI(title="Pantau check-in API", version="1.0", description=DESCRIPTION,
                  openapi_url=f"{API}/openapi.json", docs_url=f"{API}/docs", redoc_url=None, lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.rt = rt
    app.state.limits = RateLimits(rt)
    app.state.check_in_writer = Writer(partial(check_in_batch.record_batch, app.state), threads=rt.settings.api_writers,
                                       wait_s=rt.config.database.api_wait_s)
    app.state.now = clock.now   # the server's now (the demo's accelerated clock); tests pin it
    errors.install(app)
    app.add_middleware(check_ins.Shortcut, path=f"{API}/check-ins")   # added first: inside the body limit
    app.add_middleware(BodyLimit)
    for module in (devices, check_ins, me, leaves, events):
        app.include_router(module.router, prefix=API)
    app.include_router(health.router)
    # terminals speak their own protocol, not the app's contract: kept out of the OpenAPI document
    app.include_router(terminal_router, include_in_schema=False)
    employee_page.mount(app)
    app.openapi = lambda: _openapi(app)
    return app


async def _watch_live(rt, every_s: float = LIVE_CATCH_UP_S) -> None:
    """Bring the live state back after a Redis outage even if no check-in arrives."""
    from fastapi.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(live.catch_up, rt, clock.today(rt.config.zone))
        except Exception:  # a watcher must not die; the next round tries again
            log.exception("live catch-up failed")


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document plus the check-in body, which the route reads itself (JSON or multipart)."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema = CheckInBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        components.update(schema.pop("$defs", {}))
        components["CheckInBody"] = schema
        # which leave types need a document is the region's configuration
        doc["paths"][f"{API}/leaves"]["post"]["requestBody"] = leaves.request_body(
            app.state.rt.config.rules.leave_document_required)
        app.openapi_schema = doc
    return app.openapi_schema
