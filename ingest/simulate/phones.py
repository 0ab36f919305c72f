"""A fleet of simulated phones speaking the check-in API over HTTP (httpx only).

Used by `pantau demo` (a live morning), by bench/ingest and by the end-to-end tests.
Each phone behaves like the app: it activates once with its BKPP code, makes one
event_id per check-in and keeps it on every retry, keeps its queue while the server
answers 5xx / 429 or cannot be reached (honouring Retry-After), and sends what it
queued without signal as one offline burst later.

    phones = [Phone(nip, code, lat, lon) for ...]          # codes from ingest.devices.issue_code
    await activate_all(url, phones)
    report = await morning(url, phones, duration_s=120)   # captured_at from foundation.clock.now
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import httpx

from foundation import clock

API = "/api/v1"
MODELS = ("Samsung Galaxy A14", "Xiaomi Redmi 12C", "OPPO A17", "vivo Y16", "realme C55", "Infinix Hot 30")
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class Phone:
    nip: str
    code: str | None
    lat: float                      # the office where this employee checks in
    lon: float
    device_id: str = field(default_factory=lambda: f"android-{uuid.uuid4().hex[:16]}")
    model: str = field(default_factory=lambda: random.choice(MODELS))
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Report:
    statuses: Counter = field(default_factory=Counter)      # final HTTP status per check-in
    verdicts: Counter = field(default_factory=Counter)      # accepted / flagged / refused
    reasons: Counter = field(default_factory=Counter)
    acknowledged: dict[str, dict] = field(default_factory=dict)   # event_id -> first verdict seen
    latencies_s: list[float] = field(default_factory=list)  # per HTTP request
    requests: int = 0
    retries: int = 0
    duplicates_answered: int = 0
    gave_up: int = 0

    def note(self, event_id: str, status: int, reply: dict | None) -> None:
        self.statuses[status] += 1
        if status in (200, 201) and reply is not None:
            if reply.get("duplicate"):
                self.duplicates_answered += 1
            if event_id not in self.acknowledged:
                self.acknowledged[event_id] = reply
                self.verdicts[reply["verdict"]] += 1
                self.reasons.update(reply["reasons"])

    def percentile_ms(self, p: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def client(base_url: str, concurrency: int = 100, timeout_s: float = 30.0, host: str | None = None
           ) -> httpx.AsyncClient:
    """`host`: the Host header to send (a region's `<code>.localhost:port` while connecting to
    127.0.0.1: not every resolver knows *.localhost)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout_s,
                             headers={"Host": host} if host else None)


async def activate_all(base_url: str, phones: list[Phone], concurrency: int = 32, host: str | None = None
                       ) -> list[Phone]:
    """Activate every phone with its code; returns those that got a token."""
    gate = asyncio.Semaphore(concurrency)
    async with client(base_url, concurrency, host=host) as http:
        async def one(phone: Phone) -> None:
            async with gate:
                for attempt in range(20):
                    try:
                        r = await http.post(f"{API}/devices/activate", json={
                            "nip": phone.nip, "code": phone.code, "device_id": phone.device_id,
                            "device_model": phone.model})
                    except httpx.TransportError:
                        r = None
                    if r is not None and r.status_code not in RETRY_STATUSES:
                        break
                    await asyncio.sleep(_retry_after(r, attempt))
                if r is not None and r.status_code == 201:
                    phone.token = r.json()["token"]
        await asyncio.gather(*(one(p) for p in phones))
    return [p for p in phones if p.token]


def check_in_body(phone: Phone, captured_at, rng: random.Random, kind: str = "normal",
                  offline: bool = False, event_id: str | None = None) -> dict:
    """A realistic body: GPS scatter inside the fence; `kind` mock / outside / poor_fix for the odd ones."""
    spread = {"outside": 400.0}.get(kind, 40.0)
    bearing = rng.uniform(0, 2 * math.pi)
    metres = spread + rng.uniform(0, 200) if kind == "outside" else rng.uniform(0, spread)
    lat = phone.lat + metres * math.cos(bearing) / 111_195
    lon = phone.lon + metres * math.sin(bearing) / (111_195 * max(0.2, math.cos(math.radians(phone.lat))))
    accuracy = rng.uniform(80, 300) if kind == "poor_fix" else rng.uniform(4, 25)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "captured_at": captured_at.isoformat(timespec="seconds"),
        "location": {"lat": round(lat, 7), "lon": round(lon, 7), "accuracy_m": round(accuracy, 1),
                     "mock": kind == "mock", "provider": "gps" if kind != "poor_fix" else "network"},
        "offline": offline,
        "face": {"score": round(rng.uniform(0.86, 0.99), 3), "liveness": True},
    }


def selfie_bytes(rng: random.Random, size: int | None = None) -> bytes:
    """JPEG-framed bytes of a phone selfie's typical size (the server checks the magic bytes)."""
    size = size or rng.randint(40_000, 120_000)
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size - 13) + b"\xff\xd9"


def _retry_after(response: httpx.Response | None, attempt: int = 0) -> float:
    try:
        return min(30.0, float(response.headers["Retry-After"]))
    except (AttributeError, KeyError, TypeError, ValueError):
        return min(5.0, 0.2 * 2 ** attempt)


async def send(http: httpx.AsyncClient, phone: Phone, body: dict, report: Report,
               selfie: bytes | None = None, deadline: float | None = None) -> int:
    """Send one check-in as the app does: same event_id on every retry, until acknowledged,
    refused for good (4xx), or the deadline passes. Returns the final HTTP status (0: gave up)."""
    attempt = 0
    while True:
        started = time.perf_counter()
        try:
            if selfie is None:
                r = await http.post(f"{API}/check-ins", json=body, headers=phone.headers)
            else:
                r = await http.post(f"{API}/check-ins", headers=phone.headers,
                                    files={"data": (None, json.dumps(body), "application/json"),
                                           "selfie": ("selfie.jpg", selfie, "image/jpeg")})
            status = r.status_code
        except httpx.TransportError:
            r, status = None, 0
        report.requests += 1
        report.latencies_s.append(time.perf_counter() - started)
        if status and status not in RETRY_STATUSES:
            report.note(body["event_id"], status, r.json() if status in (200, 201) else None)
            return status
        if deadline is not None and time.monotonic() > deadline:
            report.gave_up += 1
            report.statuses[status] += 1
            return 0
        report.retries += 1
        # not delivered: from now on it waits in the phone's queue, an offline check-in as the app
        # sends it (judged at its capture time; the lag is then offline_upload, not a wrong clock)
        body = {**body, "offline": True}
        await asyncio.sleep(_retry_after(r, attempt))
        attempt += 1


@dataclass
class Shares:
    """The odd ones in a morning (fractions of phones)."""

    offline: float = 0.05     # no signal at the office: queued, sent later as one burst
    retry: float = 0.02       # the reply was lost: the app sends the same event_id again
    mock: float = 0.01        # a fake-GPS app
    outside: float = 0.02     # still on the road
    poor_fix: float = 0.01    # indoors, a network fix
    selfie: float = 0.10


async def morning(base_url: str, phones: list[Phone], *, now: Callable[[], dt.datetime] = clock.now,
                  duration_s: float = 60.0,
                  seed: int = 7, shares: Shares = Shares(), concurrency: int = 100,
                  give_up_after_s: float = 600.0, arrivals: list[float] | None = None,
                  host: str | None = None) -> Report:
    """Every phone checks in once, arrivals bunched in the middle of `duration_s` (real
    seconds), as a morning bunches between 07:00 and 07:45. Offline phones capture on time
    and upload together at the end. `now` must agree with the server's clock (PANTAU_DEMO_CLOCK).
    `arrivals`: each phone's own delay (real seconds) instead, e.g. from its owner's habits.
    Returns what the server acknowledged."""
    rng = random.Random(seed)
    report = Report()
    gate = asyncio.Semaphore(concurrency)
    start = time.monotonic()
    deadline = start + give_up_after_s
    offline_queue: list[tuple[Phone, dict]] = []

    async with client(base_url, concurrency, host=host) as http:
        async def one(index: int, phone: Phone, delay: float) -> None:
            await asyncio.sleep(delay)
            # each phone draws from its own stream: the same phones misbehave whatever the timing
            rng = random.Random(f"{seed}:{index}")
            roll = rng.random()
            kind = ("mock" if roll < shares.mock else
                    "outside" if roll < shares.mock + shares.outside else
                    "poor_fix" if roll < shares.mock + shares.outside + shares.poor_fix else "normal")
            if rng.random() < shares.offline:
                offline_queue.append((phone, check_in_body(phone, now(), rng, kind, offline=True)))
                return
            body = check_in_body(phone, now(), rng, kind)
            selfie = selfie_bytes(rng) if rng.random() < shares.selfie else None
            async with gate:
                await send(http, phone, body, report, selfie, deadline)
                if rng.random() < shares.retry:
                    await send(http, phone, body, report, selfie, deadline)

        # Triangular arrivals: few early, most in the middle, a tail of latecomers.
        delays = arrivals or [rng.triangular(0, duration_s, duration_s * 0.55) for _ in phones]
        await asyncio.gather(*(one(i, p, delay) for i, (p, delay) in enumerate(zip(phones, delays))))

        async def burst(phone: Phone, body: dict) -> None:
            async with gate:
                await send(http, phone, body, report, None, deadline)
        await asyncio.gather(*(burst(p, b) for p, b in offline_queue))
    return report
