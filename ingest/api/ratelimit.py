"""Rate limits per device and per IP: fixed windows in Redis, all the limits of a batch
of requests in one round trip (a Lua script). The `limits` library counts one limit per
call; a batch of 200 check-ins would cost 400 round trips. On a Redis Cluster a region's
counters live in one hash slot (one node), so the script still sees all its keys.

Fail-open: when Redis is down a check-in must still land, so limits are skipped, and for
a few seconds not even tried (no connect timeout on every request during an outage).
"""
from __future__ import annotations

import logging
import threading
import time
from functools import cached_property

import redis
from limits import parse

from .errors import ApiError

log = logging.getLogger("pantau.api.ratelimit")

PAUSE_AFTER_FAILURE_S = 5.0

# KEYS: one window counter per limit. ARGV: each window's length in seconds. Returns the
# count and seconds left of each window.
_HIT = """
local out = {}
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  local ttl = redis.call('TTL', KEYS[i])
  if ttl < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""

class RateLimits:
    def __init__(self, rt):
        self._rt = rt
        self._items = {name: parse(spec) for name, spec in rt.settings.rate_limits.items()}
        self._paused_until = 0.0
        self._lock = threading.Lock()

    @cached_property
    def _script(self):
        # first asked inside hit_many's try: a cluster's client connects when made
        return self._rt.redis.register_script(_HIT)

    def check(self, name: str, identity: str) -> None:
        """Count one request; raise 429 with Retry-After when over the limit."""
        refused = self.hit_many([[(name, identity)]])[0]
        if refused is not None:
            raise refused

    def hit_many(self, requests: list[list[tuple[str, str]]]) -> list[ApiError | None]:
        """Count each request against each of its (limit, identity), all in one round trip.
        Per request: None, or the 429 (with Retry-After) to answer when any limit is over.
        When Redis cannot be asked the limits are skipped (all None)."""
        if time.monotonic() < self._paused_until or not any(requests):
            return [None] * len(requests)
        flat = [(self._items[name], identity, name) for limits in requests for name, identity in limits]
        # one region's counters share a hash slot: the script's keys stay on one cluster node
        group = ("rl", self._rt.config.region.code)
        keys = [self._rt.slot_key(group, name, identity, item.amount, item.get_expiry())
                for item, identity, name in flat]
        try:
            out = self._script(keys=keys, args=[item.get_expiry() for item, _, _ in flat])
        except redis.RedisError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            log.warning("rate limits skipped: Redis unreachable (%s)", exc)
            return [None] * len(requests)
        answers, at = [], 0
        for limits in requests:
            over = [max(1, int(out[2 * k + 1])) for k in range(at, at + len(limits))
                    if int(out[2 * k]) > flat[k][0].amount]
            at += len(limits)
            answers.append(_too_many(max(over)) if over else None)
        return answers


def _too_many(retry: int) -> ApiError:
    return ApiError(429, "rate_limited", f"Terlalu banyak permintaan; coba lagi dalam {retry} detik",
                    f"Too many requests; try again in {retry} s", headers={"Retry-After": str(retry)})
