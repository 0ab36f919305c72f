"""A lean load generator for bench/ingest: raw HTTP/1.1 keep-alive sockets, prebuilt parts.

The httpx client of the phone simulator costs 2.4-3.4 ms of CPU per request, a third of
this 2-core machine; here a request costs tens of microseconds, so the bench measures the
API and not its client. It still sends what phones send: a fresh event_id per check-in,
captured_at from the server's clock, GPS scatter inside the fence, many tokens, 10 % with
a unique JPEG selfie as multipart, 2 % sent again with the same event_id. Like the app,
it keeps a check-in until acknowledged, honouring Retry-After on 429 / 503.
"""
from __future__ import annotations

import asyncio
import gc
import math
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

PATH = "/api/v1/check-ins"
RETRY = {429, 500, 502, 503, 504}
BOUNDARY = "pantau-bench-7d1f0b"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@dataclass
class Load:
    statuses: Counter = field(default_factory=Counter)      # final status per check-in
    verdicts: Counter = field(default_factory=Counter)      # accepted / flagged / refused (first reply)
    acknowledged: set = field(default_factory=set)          # event_ids answered 200/201
    # event_id -> (epoch s of its first 200/201, verdict, work date "YYYY-MM-DD" the server gave it)
    acked_at: dict = field(default_factory=dict)
    latencies_s: list = field(default_factory=list)         # per HTTP request
    sent_at: list = field(default_factory=list)             # monotonic start of each, same order
    requests: int = 0
    retries: int = 0
    duplicates_answered: int = 0
    gave_up: int = 0
    phone_of: dict = field(default_factory=dict)            # event_id -> index of the phone that sent it

    def slow_seconds(self, p: float = 99, top: int = 5) -> list[tuple[int, int]]:
        """(second of the run, requests slower than the p-th percentile sent then), the
        `top` seconds with most: one stall or a steady tail?"""
        if not self.sent_at:
            return []
        limit, first = self.percentile_ms(p) / 1000, min(self.sent_at)
        slow = Counter(int(t - first) for t, lat in zip(self.sent_at, self.latencies_s) if lat > limit)
        return slow.most_common(top)

    def percentile_ms(self, p: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


class Requests:
    """Builds requests from parts made once: per-phone header lines, a pool of selfies."""

    def __init__(self, host: str, phones: list, rng: random.Random, selfies: int = 64):
        self.host = host
        self.rng = rng
        self.phones = [(f"Authorization: Bearer {p.token}\r\n".encode(), p.lat, p.lon,
                        111_195 * max(0.2, math.cos(math.radians(p.lat)))) for p in phones]
        self.selfies = [JPEG_HEAD + rng.randbytes(rng.randint(40_000, 120_000) - 29) + b"\xff\xd9"
                        for _ in range(selfies)]
        self.turn = 0
        self.phone_of: dict[str, int] = {}   # event_id -> index in `phones` (who sent it)

    def body(self, lat: float, lon: float, lon_m: float, captured_at: str) -> tuple[str, str]:
        rng = self.rng
        bearing, metres = rng.uniform(0, 2 * math.pi), rng.uniform(0, 40.0)
        event_id = str(uuid.uuid4())
        return event_id, (
            f'{{"event_id":"{event_id}","captured_at":"{captured_at}","location":{{'
            f'"lat":{lat + metres * math.cos(bearing) / 111_195:.7f},'
            f'"lon":{lon + metres * math.sin(bearing) / lon_m:.7f},'
            f'"accuracy_m":{rng.uniform(4, 25):.1f},"mock":false,"provider":"gps"}},'
            f'"offline":false,"face":{{"score":{rng.uniform(0.86, 0.99):.3f},"liveness":true}}}}')

    def next(self, captured_at: str, selfie: bool) -> tuple[str, bytes]:
        """(event_id, the whole request) for the next phone in turn."""
        auth, lat, lon, lon_m = self.phones[self.turn % len(self.phones)]
        event_id, body = self.body(lat, lon, lon_m, captured_at)
        self.phone_of[event_id] = self.turn % len(self.phones)
        self.turn += 1
        if selfie:   # unique bytes, as every real selfie: the server hashes and fsyncs each
            photo = self.rng.choice(self.selfies)
            photo = photo[:13] + uuid.uuid4().bytes + photo[29:]
            payload = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"\r\n"
                       f"Content-Type: application/json\r\n\r\n{body}\r\n--{BOUNDARY}\r\n"
                       f"Content-Disposition: form-data; name=\"selfie\"; filename=\"selfie.jpg\"\r\n"
                       f"Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{BOUNDARY}--\r\n".encode()
            ctype = f"multipart/form-data; boundary={BOUNDARY}"
        else:
            payload, ctype = body.encode(), "application/json"
        head = (f"POST {PATH} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(payload)}\r\n").encode()
        return event_id, head + auth + b"\r\n" + payload


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> tuple[int, dict, bytes]:
        """(status, the headers we read, body); reconnects once when the server closed."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(request)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.lower() in (b"content-length", b"retry-after", b"connection"):
                headers[name.lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection") == b"close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _field(body: bytes, name: str) -> str:
    """A string field of the answer's JSON, found without parsing it ("?" if absent)."""
    key = b'"' + name.encode() + b'":"'
    at = body.find(key)
    return body[at + len(key):body.index(b'"', at + len(key))].decode() if at >= 0 else "?"


async def send(conn: Connection, event_id: str, request: bytes, load: Load, deadline: float,
               queued_s: float = 0.0) -> None:
    """Until acknowledged or refused for good, as the app does (same event_id each time).
    `queued_s`: time the check-in already waited for a connection (open loop)."""
    attempt = 0
    while True:
        started = time.perf_counter() - queued_s
        queued_s = 0.0
        try:
            status, headers, body = await conn.exchange(request)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            conn.close()
            status, headers, body = 0, {}, b""
        load.requests += 1
        load.latencies_s.append(time.perf_counter() - started)
        load.sent_at.append(time.monotonic() - (time.perf_counter() - started))
        if status and status not in RETRY:
            load.statuses[status] += 1
            if status in (200, 201):
                if b'"duplicate":true' in body:
                    load.duplicates_answered += 1
                if event_id not in load.acknowledged:
                    load.acknowledged.add(event_id)
                    verdict = _field(body, "verdict")
                    load.verdicts[verdict] += 1
                    # wall clock: the browser's Date.now() is too
                    load.acked_at[event_id] = (time.time(), verdict, _field(body, "work_date"))
            return
        if time.monotonic() > deadline:
            load.gave_up += 1
            load.statuses[status] += 1
            return
        load.retries += 1
        try:
            wait = min(30.0, float(headers[b"retry-after"]))
        except (KeyError, ValueError):
            wait = min(5.0, 0.2 * 2 ** attempt)
        await asyncio.sleep(wait)
        attempt += 1


async def drive(host: str, port: int, phones: list, now: Callable, seconds: float, concurrency: int,
                selfie_share: float, retry_share: float, seed: int, rate: float | None = None,
                count: int | None = None) -> Load:
    """Closed loop (default): `concurrency` connections, each sending its next check-in at
    once. Open loop (`rate`): Poisson arrivals over a pool of `concurrency` connections;
    a check-in's latency then includes its wait for a free connection. `count` (closed
    loop): stop after that many check-ins, whatever the time (a fixed amount of work to
    count the server's CPU or instructions on)."""
    rng = random.Random(seed)
    build = Requests(f"{host}:{port}", phones, rng)
    gc.freeze()   # the phones and selfies stay: a full collection must not walk them (a pause is latency)
    load = Load()
    load.phone_of = build.phone_of
    stop = time.monotonic() + seconds
    clock = {"at": 0.0, "text": ""}

    def captured_at() -> str:   # the phone's clock, formatted at most once a second
        t = time.monotonic()
        if t - clock["at"] >= 1.0:
            clock["at"], clock["text"] = t, now().isoformat(timespec="seconds")
        return clock["text"]

    async def one(conn: Connection, queued_s: float = 0.0) -> None:
        event_id, request = build.next(captured_at(), rng.random() < selfie_share)
        await send(conn, event_id, request, load, stop + 30, queued_s)
        if rng.random() < retry_share:
            await send(conn, event_id, request, load, stop + 30)

    conns = [Connection(host, port) for _ in range(concurrency)]
    try:
        if rate is None:
            left = [count if count is not None else -1]

            async def lane(conn: Connection) -> None:
                while time.monotonic() < stop and left[0] != 0:
                    left[0] -= 1
                    await one(conn)
            await asyncio.gather(*(lane(c) for c in conns))
            return load
        free: asyncio.Queue = asyncio.Queue()
        for c in conns:
            free.put_nowait(c)

        async def arrival() -> None:
            started = time.perf_counter()
            conn = await free.get()
            try:   # queueing for a free connection counts in the latency
                await one(conn, time.perf_counter() - started)
            finally:
                free.put_nowait(conn)
        pending = set()
        due = time.monotonic()
        while due < stop:
            task = asyncio.create_task(arrival())
            pending.add(task)
            task.add_done_callback(pending.discard)
            # on a schedule, not sleep after sleep: each sleep overshoots, which offered ~10 % less
            due += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await asyncio.gather(*pending)
        return load
    finally:
        for c in conns:
            c.close()


def run(host: str, port: int, phones: list, now: Callable, **kwargs) -> Load:
    """Drive on uvloop when installed (uvicorn[standard] brings it): a cheaper event loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(drive(host, port, phones, now, **kwargs))
    return uvloop.run(drive(host, port, phones, now, **kwargs))
