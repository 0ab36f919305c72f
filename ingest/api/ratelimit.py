"""Rate limits per device and per IP (fixed windows in Redis, via the `limits` library).

Fail-open: when Redis is down a check-in must still land, so limits are skipped, and for
a few seconds not even tried (no connect timeout on every request during an outage).
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time

import redis
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from .errors import ApiError

log = logging.getLogger("pantau.api.ratelimit")

# An office of hundreds of phones may sit behind one NAT address: the IP limit is wide.
DEFAULTS = {
    "device": ("PANTAU_RATE_DEVICE", "60/minute"),
    "ip": ("PANTAU_RATE_IP", "3000/minute"),
    "activate_ip": ("PANTAU_RATE_ACTIVATE_IP", "120/minute"),
    "activate_nip": ("PANTAU_RATE_ACTIVATE_NIP", "10/hour"),
}
PAUSE_AFTER_FAILURE_S = 5.0


class RateLimits:
    def __init__(self, rt):
        storage = RedisStorage("redis://", connection_pool=rt.redis.connection_pool, key_prefix=rt.key("rl"))
        self._limiter = FixedWindowRateLimiter(storage)
        self._items = {name: parse(os.environ.get(env) or default) for name, (env, default) in DEFAULTS.items()}
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def check(self, name: str, identity: str) -> None:
        """Count one request; raise 429 with Retry-After when over the limit."""
        if time.monotonic() < self._paused_until:
            return
        item = self._items[name]
        try:
            if self._limiter.hit(item, name, identity):
                return
            reset = self._limiter.get_window_stats(item, name, identity).reset_time
        except redis.RedisError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            log.warning("rate limits skipped: Redis unreachable (%s)", exc)
            return
        retry = max(1, math.ceil(reset - time.time()))
        raise ApiError(429, "rate_limited",
                       f"Terlalu banyak permintaan; coba lagi dalam {retry} detik",
                       f"Too many requests; try again in {retry} s",
                       headers={"Retry-After": str(retry)})
