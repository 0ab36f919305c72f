"""The dispatcher of a multi-region ingest process on its own (no servers): the routing
rules, and the lifespans of the regions' apps (ingest/regions.py)."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest

from foundation.regions import host_region
from ingest.regions import AmbiguousSerial, Dispatcher, serial_region

A, B = "3672", "8271"


def test_the_host_names_a_region_by_its_first_label_never_by_an_ip_address():
    codes = {A, B, "82"}
    assert host_region("8271.localhost:8000", codes) == B
    assert host_region("8271.pantau.example", codes) == B
    assert host_region("82.165.1.2:8000", codes) is None and host_region("[::1]:8000", codes) is None
    assert host_region("pantau.example", codes) is None and host_region("", codes) is None


def test_a_serial_goes_to_its_approved_region_and_ties_are_refused():
    assert serial_region(None, "X") is None
    assert serial_region({A: "pending", B: "active"}, "X") == B
    assert serial_region({A: "retired", B: "pending"}, "X") == A
    with pytest.raises(AmbiguousSerial, match=f"{A} and {B}"):
        serial_region({A: "active", B: "active"}, "X")


def test_the_dispatcher_starts_and_stops_every_region_and_names_one_that_fails():
    events_seen = []

    def fake(code: str, fails: bool = False):
        @asynccontextmanager
        async def lifespan(app):
            if fails:
                raise RuntimeError("Redis unreachable")
            events_seen.append(("start", code))
            yield
            events_seen.append(("stop", code))
        return SimpleNamespace(state=SimpleNamespace(rt=SimpleNamespace(settings=SimpleNamespace(api_threads=4))),
                               router=SimpleNamespace(lifespan_context=lifespan))

    async def run(apps) -> list:
        inbox = asyncio.Queue()
        for kind in ("lifespan.startup", "lifespan.shutdown"):
            inbox.put_nowait({"type": kind})
        sent = []

        async def send(message):
            sent.append(message)
        try:
            await Dispatcher(apps, A)({"type": "lifespan"}, inbox.get, send)
        except RuntimeError:
            pass
        return sent

    sent = asyncio.run(run({A: fake(A), B: fake(B)}))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events_seen == [("start", A), ("start", B), ("stop", B), ("stop", A)]
    events_seen.clear()
    sent = asyncio.run(run({A: fake(A), B: fake(B, fails=True)}))
    assert sent[0]["type"] == "lifespan.startup.failed" and B in sent[0]["message"]
    assert events_seen == [("start", A), ("stop", A)]      # the region already started is stopped again


def test_an_activation_body_names_its_nip_and_code_or_nothing():
    from ingest.regions import activation_fields

    nip = "198501012010011001"
    assert activation_fields(f'{{"nip": "{nip}", "code": "K7QMP-2XPAD", "device_id": "x"}}'.encode()) == \
        (nip, "K7QMP-2XPAD")
    for body in (b"", b"[]", b"\xff\xfe", b'{"nip": 198501012010011001, "code": "K7QMP-2XPAD"}',
                 f'{{"nip": "{nip[:-1]}", "code": "K7QMP-2XPAD"}}'.encode(), f'{{"nip": "{nip}", "code": "K7"}}'.encode(),
                 f'{{"nip": "{nip}"}}'.encode()):
        assert activation_fields(body) is None, body
