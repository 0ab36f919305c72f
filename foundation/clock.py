"""The server's notion of now.

Normally the system clock. The demo replays a morning on an accelerated clock, and every
process (API, wall, worker) must agree on it, so it is set once in the environment:
PANTAU_DEMO_CLOCK="<start ISO time>|<real epoch seconds at start>|<speed>".
"""
from __future__ import annotations

import datetime as dt
import os
import time

ENV = "PANTAU_DEMO_CLOCK"


def now() -> dt.datetime:
    """Aware UTC now (or the demo's accelerated now)."""
    spec = os.environ.get(ENV)
    if not spec:
        return dt.datetime.now(dt.timezone.utc)
    start, real, speed = _parse(spec)
    return start + dt.timedelta(seconds=(time.time() - real) * speed)


def demo_spec(start: dt.datetime, speed: float, real: float | None = None) -> str:
    return f"{start.astimezone(dt.timezone.utc).isoformat()}|{real if real is not None else time.time():.3f}|{speed:g}"


def _parse(spec: str) -> tuple[dt.datetime, float, float]:
    try:
        start, real, speed = spec.split("|")
        return dt.datetime.fromisoformat(start), float(real), float(speed)
    except ValueError:
        raise ValueError(f"{ENV} must be '<start ISO>|<real epoch>|<speed>', got {spec!r}") from None


def today(zone) -> dt.date:
    return now().astimezone(zone).date()
