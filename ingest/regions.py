"""One ingest process for every region of an installation (docs/regions.md).

Each region keeps its own FastAPI app (ingest/app.py, built on its own Runtime: schema, role,
Redis prefix, selfie dir, writer, watcher); this ASGI dispatcher only picks which one a
request is for, in this order:

1. the Host's first label is a region code (`8271.pantau.example`);
2. the bearer token names a region (`<code>~<secret>`, foundation/regions.py); a region this
   installation does not have is refused here (401), never forwarded;
3. a terminal's push (/iclock/... ?SN=): the region whose terminals table holds the serial;
4. a phone's first activation (no token yet): the one region where that NIP has that code
   open (a query per region: activations are rare);
5. anything else (/app/, /healthz, the OpenAPI document, an activation no region or several
   regions would take): the installation's own region, as a single-region installation answers it.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from contextlib import AsyncExitStack
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.concurrency import run_in_threadpool

from foundation.regions import host_region, token_region
from queries import devices as qd
from queries import terminals as q
from queries.db import DatabaseUnavailable

from . import devices
from .api.auth import refused
from .terminals import protocol
from .terminals.push import text

log = logging.getLogger("pantau.regions")

TERMINAL_PATHS = "/iclock/"
ACTIVATE_PATH = "/api/v1/devices/activate"
ACTIVATION_BODY_MAX = 16 * 1024   # a larger body is not an activation: the own region refuses it
_NIP = re.compile(r"[0-9]{18}")
BY_BODY = object()   # _route's answer for an activation: the region is in its body
SERIALS_MAX_AGE_S = 60.0   # a serial found: the map is re-read this often (a terminal approved elsewhere)
SERIALS_MISS_S = 3.0       # a serial not found, or only waiting for approval: at most this often
# Which of a serial's rows decides: one BKPP approved over one it retired over one the
# terminal made itself by calling (pending, waiting for approval).
RANK = {"active": 2, "retired": 1, "pending": 0}


class AmbiguousSerial(Exception):
    def __init__(self, sn: str, codes: list[str], status: str):
        super().__init__(f"terminal {sn} is {status} in regions {' and '.join(codes)}")
        self.sn, self.codes, self.status = sn, codes, status


def bearer_token(authorization: str) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def activation_fields(body: bytes) -> tuple[str, str] | None:
    """(nip, code) of an activation's JSON body (pure), or None when it has none worth asking
    the regions about (the region's app then answers what is wrong with it)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    nip, code = data.get("nip"), data.get("code")
    if isinstance(nip, str) and _NIP.fullmatch(nip) and isinstance(code, str) and 4 <= len(code) <= 32:
        return nip, code
    return None


def serial_region(found: dict[str, str] | None, sn: str) -> str | None:
    """The region of a serial from its status in each region that has it (pure). None: no
    region has it. Two regions at the same best rank: AmbiguousSerial (never guess)."""
    if not found:
        return None
    best = max(RANK.get(s, 0) for s in found.values())
    top = sorted(code for code, s in found.items() if RANK.get(s, 0) == best)
    if len(top) > 1:
        raise AmbiguousSerial(sn, top, next(s for c, s in found.items() if c == top[0]))
    return top[0]


class Serials:
    """The serial -> {region: status} map of every region's terminals table, re-read now and
    then (a terminal pushes every few seconds; Postgres is asked at most every SERIALS_MISS_S)."""

    def __init__(self, runtimes: dict):
        self.runtimes = runtimes
        self.by_region: dict[str, dict[str, str]] = {}
        self.merged: dict[str, dict[str, str]] = {}
        self.read_at = float("-inf")
        self.complete = False
        self.lock = threading.Lock()

    def lookup(self, sn: str) -> dict[str, str] | None:
        found = self.merged.get(sn)
        return found if not self._due(found) else None

    def _due(self, found) -> bool:
        age = time.monotonic() - self.read_at
        settled = found and max(RANK.get(s, 0) for s in found.values()) > RANK["pending"]
        return age > SERIALS_MAX_AGE_S or (not settled and age > SERIALS_MISS_S)

    def fresh(self, sn: str) -> tuple[dict[str, str] | None, bool]:
        """Blocking (Postgres): the serial's regions after a re-read if one is due, and
        whether every region could be asked."""
        with self.lock:
            if self._due(self.merged.get(sn)):
                self._read()
            return self.merged.get(sn), self.complete

    def _read(self) -> None:
        complete = True
        for code, rt in self.runtimes.items():
            try:
                with rt.connection() as conn:
                    self.by_region[code] = q.serial_states(conn)
            except DatabaseUnavailable as exc:   # keep what was read before; say so below
                log.warning("region %s: terminals not readable (%s)", code, exc)
                complete = False
        merged: dict[str, dict[str, str]] = {}
        for code, states in self.by_region.items():
            for sn, status in states.items():
                merged.setdefault(sn, {})[code] = status
        self.merged, self.complete, self.read_at = merged, complete, time.monotonic()


class Dispatcher:
    """ASGI: every request to one region's app; every app's lifespan run together."""

    def __init__(self, apps: dict, own: str):
        self.apps, self.own = apps, own
        self.serials = Serials({code: app.state.rt for code, app in apps.items()})
        self._warned: dict[str, float] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return await self.apps[self.own](scope, receive, send)
        target = await self._route(scope)
        if target is BY_BODY:
            target, receive = await self._activation(receive)
        if isinstance(target, str):
            return await self.apps[target](scope, receive, send)
        await target(scope, receive, send)

    async def _route(self, scope):
        """The region code a request is for, or the reply that refuses it."""
        host = authorization = b""
        for key, value in scope["headers"]:   # read once, raw: this runs before every request
            if key == b"host":
                host = value
            elif key == b"authorization":
                authorization = value
        code = host_region(host.decode("latin-1"), self.apps)
        if code:
            return code
        token = bearer_token(authorization.decode("latin-1"))
        named = token_region(token) if token else None
        if named is not None:
            if named in self.apps:
                return named
            return refused(devices.unknown_token()).response()
        if scope["path"].startswith(TERMINAL_PATHS):
            return await self._terminal(scope)
        if scope["path"] == ACTIVATE_PATH and scope["method"] == "POST" and len(self.apps) > 1:
            return BY_BODY
        return self.own

    async def _activation(self, receive):
        """(the region an activation is for, a receive that hands its app the body again)."""
        messages, size, whole = [], 0, False
        while size <= ACTIVATION_BODY_MAX:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break                 # the client went away: the app sees that too
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                whole = size <= ACTIVATION_BODY_MAX
                break
        queued = iter(messages)

        async def replay():
            return next(queued, None) or await receive()

        fields = activation_fields(b"".join(m.get("body", b"") for m in messages)) if whole else None
        region = await run_in_threadpool(self._code_region, *fields) if fields else self.own
        return region, replay

    def _code_region(self, nip: str, code: str) -> str:
        """Blocking (Postgres): the one region where the NIP has the code open, else the own."""
        found = []
        for region, app in self.apps.items():
            rt = app.state.rt
            try:
                with rt.connection() as conn:
                    if qd.open_code_exists(conn, nip, devices.code_hash(rt.settings.secret_key, code)):
                        found.append(region)
            except DatabaseUnavailable as exc:   # that region's phones wait for its database
                log.warning("region %s: activation codes not readable (%s)", region, exc)
        return found[0] if len(found) == 1 else self.own

    async def _terminal(self, scope):
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        sn = next((v.strip() for k, v in params if k.lower() == "sn"), "")
        if not protocol.valid_sn(sn):
            return self.own           # the own region's app answers the protocol's 400
        found = self.serials.lookup(sn)
        complete = True
        if found is None:
            found, complete = await run_in_threadpool(self.serials.fresh, sn)
        try:
            code = serial_region(found, sn)
        except AmbiguousSerial as exc:
            self._warn(exc)
            return text(f"ERROR: {exc}; BKPP must keep it active in one region only", 409)
        if code is None and not complete:   # it may be in the region that could not be read
            return text("ERROR: server busy, retry later", 503)
        return code or self.own       # an unknown serial waits for approval in the own region

    def _warn(self, exc: AmbiguousSerial) -> None:
        """One log line a minute per serial (a terminal calls every few seconds)."""
        now = time.monotonic()
        if now - self._warned.get(exc.sn, float("-inf")) >= 60:
            self._warned[exc.sn] = now
            log.error("%s: its pushes are refused until it is active in one region only "
                      "(pantau --region CODE terminals approve|retire %s)", exc, exc.sn)

    async def _lifespan(self, receive, send) -> None:
        """Start every region's app (writer, live watcher), stop them all at shutdown."""
        await receive()   # lifespan.startup
        stack = AsyncExitStack()
        for code, app in self.apps.items():
            try:
                await stack.enter_async_context(app.router.lifespan_context(app))
            except BaseException as exc:
                await stack.aclose()   # the regions already started stop as at a shutdown
                await send({"type": "lifespan.startup.failed", "message": f"region {code}: {exc!r}"})
                raise
        try:
            # each app set the blocking threads to its own count; every region has a connection
            # pool of its own (its role, its schema), so the process may run their sum
            anyio.to_thread.current_default_thread_limiter().total_tokens = sum(
                app.state.rt.settings.api_threads for app in self.apps.values())
            await send({"type": "lifespan.startup.complete"})
            await receive()   # lifespan.shutdown
        finally:
            await stack.aclose()
        await send({"type": "lifespan.shutdown.complete"})
