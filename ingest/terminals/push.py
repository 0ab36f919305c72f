"""The ZKTeco PUSH (ADMS / iclock) receiver: the root paths a terminal calls, unchanged.

Replies are `text/plain` starting at byte 0, as firmware expects; the server (uvicorn or
nginx in front) adds the `Date:` header terminals set their clock from. Bodies are read
as bytes whatever the Content-Type says (often none, sometimes a wrong one).
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from foundation import clock
from queries import db
from queries import terminals as q

from . import protocol, punches, registry

log = logging.getLogger("pantau.terminals")
router = APIRouter(include_in_schema=False)

MAX_BODY = 16 * 1024 * 1024


def text(body: str, status: int = 200) -> Response:
    # no charset suffix: some firmware compares the Content-Type literally
    return Response(content=body.encode("utf-8"), status_code=status, headers={"Content-Type": "text/plain"})


def _runtime(request: Request):
    return request.app.state.rt


def _params(request: Request) -> dict[str, str]:
    # NUL cannot be stored in Postgres text or jsonb; no real parameter carries one
    return {k.lower(): v.replace("\x00", "") for k, v in request.query_params.items()}


async def _handle(request: Request, work, *, body: bool = False) -> Response:
    """Common frame: SN check, body read, the work in a thread, errors as plain text."""
    params = _params(request)
    sn = (params.get("sn") or "").strip()
    if not protocol.valid_sn(sn):
        return text("ERROR: SN (serial number) is missing or not valid", 400)
    data = b""
    if body:
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > MAX_BODY:
            return text(f"ERROR: body larger than {MAX_BODY} bytes", 413)
        data = await request.body()
        if len(data) > MAX_BODY:
            return text(f"ERROR: body larger than {MAX_BODY} bytes", 413)
    try:
        reply = await run_in_threadpool(work, _runtime(request), sn, params, data)
    except db.DatabaseUnavailable as exc:
        log.warning("terminal %s: database unavailable (%s); it will retry", sn, exc)
        return text("ERROR: server busy, retry later", 503)
    return text(reply)


# --- handshake and uploads -------------------------------------------------------------------

@router.get("/iclock/cdata")
async def handshake(request: Request) -> Response:
    return await _handle(request, _handshake)


def _handshake(rt, sn: str, params: dict, _body: bytes) -> str:
    now = clock.now()
    seen = {k: params[k] for k in ("pushver", "language", "pushcommkey", "devicetype") if params.get(k)}
    with rt.transaction() as conn:
        terminal = punches.touch(conn, sn, now, heartbeat=True, info=seen)
    settings = rt.config.terminals
    return protocol.handshake_reply(
        sn, attlog_stamp=terminal["attlog_stamp"], operlog_stamp=terminal["operlog_stamp"],
        timezone_hours=registry.offset_hours(registry.clock_zone(rt.config, terminal), now),
        delay_s=settings.heartbeat_s, error_delay_s=settings.error_delay_s,
        trans_interval_min=settings.trans_interval_min)


@router.post("/iclock/cdata")
async def upload(request: Request) -> Response:
    return await _handle(request, _upload, body=True)


def _upload(rt, sn: str, params: dict, body: bytes) -> str:
    table = (params.get("table") or "ATTLOG").upper()
    stamp = params.get("stamp")
    if table == "ATTLOG":
        records, bad = protocol.parse_attlog(body)
        outcome = punches.receive(rt, sn, records, bad, via="push", stamp=stamp)
        if bad:
            log.info("terminal %s: %d malformed line(s) kept as rejected, first: %s", sn, len(bad), bad[0].reason)
        return f"OK:{outcome.lines}"
    if table == "ATTPHOTO":
        photo = protocol.parse_photo(body, params.get("pin"))
        now = clock.now()
        with rt.transaction() as conn:
            punches.touch(conn, sn, now)
            q.insert_photo(conn, sn, _as_dict(photo), now)
        return "OK"
    return f"OK:{_store_operlog(rt, sn, table, body, stamp)}"


def _store_operlog(rt, sn: str, table: str, body: bytes, stamp: str | None) -> int:
    lines = protocol.parse_operlog(body)
    now = clock.now()
    with rt.transaction() as conn:
        punches.touch(conn, sn, now)
        q.insert_operlogs(conn, sn, table, [_as_dict(x) for x in lines], now)
        if stamp and table == "OPERLOG":
            q.set_operlog_stamp(conn, sn, stamp)
    return len(lines)


def _as_dict(obj) -> dict:
    return {name: getattr(obj, name) for name in obj.__slots__}


@router.post("/iclock/querydata")
async def query_data(request: Request) -> Response:
    """Answers to DATA QUERY commands (users, ...): kept like OPERLOG lines."""
    return await _handle(request, lambda rt, sn, params, body: (
        f"OK:{_store_operlog(rt, sn, (params.get('type') or params.get('tablename') or 'QUERY').upper(), body, None)}"),
        body=True)


# --- heartbeat and commands --------------------------------------------------------------------

@router.get("/iclock/getrequest")
async def heartbeat(request: Request) -> Response:
    return await _handle(request, _heartbeat)


def _heartbeat(rt, sn: str, params: dict, _body: bytes) -> str:
    now = clock.now()
    info = protocol.parse_info(params.get("info"))
    settings = rt.config.terminals
    with rt.transaction() as conn:
        terminal = punches.touch(conn, sn, now, heartbeat=True, info={"device": info} if info else None,
                                 firmware=info.get("firmware"))
        if terminal["status"] != "active":
            return "OK"
        due = q.take_due_commands(conn, sn, now, settings.command_retry_s, max_attempts=3)
    terminal_now = now.astimezone(registry.clock_zone(rt.config, terminal)).replace(tzinfo=None)
    return protocol.commands_reply([protocol.wire_command(c["id"], c["kind"], c["command"], terminal_now)
                                    for c in due])


@router.post("/iclock/devicecmd")
async def command_results(request: Request) -> Response:
    return await _handle(request, _command_results, body=True)


def _command_results(rt, sn: str, _params: dict, body: bytes) -> str:
    now = clock.now()
    with rt.transaction() as conn:
        terminal = punches.touch(conn, sn, now, heartbeat=True)
        for result in protocol.parse_command_results(body):
            done = q.record_command_result(conn, sn, result.id, result.code,
                                           (result.command + "\n" + result.data).strip(), now)
            if done is None:
                log.info("terminal %s: result for unknown command %s ignored", sn, result.id)
                continue
            if done["kind"] == "time_sync" and result.code == 0:
                q.reset_drift(conn, sn)
            device_time = protocol.device_time(result.data)
            if device_time is not None:
                moment = device_time.replace(tzinfo=registry.clock_zone(rt.config, terminal))
                q.set_drift(conn, sn, round((moment - now).total_seconds(), 1))
    return "OK"


@router.api_route("/iclock/ping", methods=["GET", "POST"])
async def ping(request: Request) -> Response:
    """Keep-alive some firmware sends while uploading a long backlog."""
    return await _handle(request, _ping)


def _ping(rt, sn: str, _params: dict, _body: bytes) -> str:
    with rt.transaction() as conn:
        punches.touch(conn, sn, clock.now(), heartbeat=True)
    return "OK"


@router.api_route("/iclock/{other:path}", methods=["GET", "POST"])
async def other(request: Request, other: str) -> Response:
    """Paths of newer or OEM firmware we do not use (fdata, registry, ...): acknowledged."""
    log.info("terminal request /iclock/%s acknowledged without action", other)
    return text("OK")
