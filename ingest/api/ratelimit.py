"""Rate limits per device and per IP: fixed windows in Redis, all of a request's limits
in one round trip (a Lua script), which also reads the token revocation counter.

Fail-open: when Redis is down a check-in must still land, so limits are skipped, and for
a few seconds not even tried (no connect timeout on every request during an outage).
"""
from __future__ import annotations

import logging
import os
import threading
import time

import redis
from limits import parse

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

# KEYS: one window counter per limit, then the key to read back. ARGV: each window's
# length in seconds. Returns the count and seconds left of each window, then the value
# read ('' when unset).
_HIT = """
local out = {}
for i = 1, #KEYS - 1 do
  local n = redis.call('INCR', KEYS[i])
  local ttl = redis.call('TTL', KEYS[i])
  if ttl < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
out[#out + 1] = redis.call('GET', KEYS[#KEYS]) or ''
return out
"""

UNREACHABLE = object()


class RateLimits:
    def __init__(self, rt):
        self._rt = rt
        self._script = rt.redis.register_script(_HIT)
        self._items = {name: parse(os.environ.get(env) or default) for name, (env, default) in DEFAULTS.items()}
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def check(self, name: str, identity: str) -> None:
        """Count one request; raise 429 with Retry-After when over the limit."""
        self.hit([(name, identity)])

    def hit(self, limits: list[tuple[str, str]], read_key: str | None = None):
        """Count one request against each (limit, identity) in one round trip; raise 429 with
        Retry-After when any is over. Returns the value of `read_key` ('' when unset), or
        UNREACHABLE when Redis could not be asked (limits skipped)."""
        if time.monotonic() < self._paused_until:
            return UNREACHABLE
        items = [self._items[name] for name, _ in limits]
        keys = [self._rt.key("rl", name, identity, item.amount, item.get_expiry())
                for (name, identity), item in zip(limits, items)]
        try:
            out = self._script(keys=[*keys, read_key or self._rt.key("rl", "none")],
                               args=[item.get_expiry() for item in items])
        except redis.RedisError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            log.warning("rate limits skipped: Redis unreachable (%s)", exc)
            return UNREACHABLE
        over = [max(1, int(out[2 * i + 1])) for i, item in enumerate(items) if int(out[2 * i]) > item.amount]
        if over:
            retry = max(over)
            raise ApiError(429, "rate_limited",
                           f"Terlalu banyak permintaan; coba lagi dalam {retry} detik",
                           f"Too many requests; try again in {retry} s",
                           headers={"Retry-After": str(retry)})
        return out[-1]
