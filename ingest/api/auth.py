"""Who is calling: the bearer token's phone, after the IP and device rate limits.

A token's phone is cached in the process for a few seconds, so a phone's burst (retries,
an offline queue) costs one Postgres lookup. Revocation stays immediate: every
revocation bumps a counter in Redis (ingest.devices.tokens_revoked), read in the same
round trip as the rate limits; when it moved, or Redis cannot be asked, the cache is
not trusted and Postgres answers.
"""
from __future__ import annotations

import threading
import time

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest import devices

from .errors import ApiError
from .ratelimit import UNREACHABLE

bearer = HTTPBearer(auto_error=False, description="the token from POST /api/v1/devices/activate")

STATUS = {"invalid_token": 401, "device_revoked": 401, "employee_inactive": 401,
          "activation_failed": 401, "unknown_employee": 404, "device_already_bound": 409}
CACHE_S = 15.0          # also bounds how long a deactivated employee's phone still works
CACHE_MAX = 50_000


class TokenCache:
    """token hash -> (device, revocation counter when cached, monotonic expiry)."""

    def __init__(self):
        self._held: dict[str, tuple[devices.Device, str, float]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> tuple[devices.Device, str] | None:
        held = self._held.get(token_hash)
        if held is None or held[2] < time.monotonic():
            return None
        return held[0], held[1]

    def put(self, token_hash: str, device: devices.Device, revocations: str) -> None:
        with self._lock:
            if len(self._held) >= CACHE_MAX:
                self._held.clear()
            self._held[token_hash] = (device, revocations, time.monotonic() + CACHE_S)

    def drop_all(self) -> None:
        with self._lock:
            self._held.clear()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refused(exc: devices.DeviceError) -> ApiError:
    status = STATUS.get(exc.code, 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ApiError(status, exc.code, exc.message_id, exc.message_en, headers=headers)


def phone(state, ip: str, credentials: HTTPAuthorizationCredentials | None) -> devices.Device:
    """The authenticated phone. Blocking (Postgres, Redis): call from a worker thread."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        state.limits.check("ip", ip)
        raise ApiError(401, "missing_token", "Token tidak ada. Aktifkan aplikasi dengan kode dari BKPP",
                       "No bearer token. Activate the app with a code from BKPP",
                       headers={"WWW-Authenticate": "Bearer"})
    revoked_key = devices.revocations_key(state.rt)
    token_hash = devices.token_hash(credentials.credentials)
    cached = state.tokens.get(token_hash)
    if cached is not None:   # one round trip: both limits and the revocation counter
        found, seen = cached
        now = state.limits.hit([("ip", ip), ("device", str(found.device_ref))], revoked_key)
        if now is not UNREACHABLE and now == seen:
            return found
        state.tokens.drop_all()   # something was revoked (or we cannot tell): ask Postgres
        found = _lookup(state, credentials.credentials)
    else:
        now = state.limits.hit([("ip", ip)], revoked_key)
        found = _lookup(state, credentials.credentials)
        state.limits.check("device", str(found.device_ref))
    if now is not UNREACHABLE:
        state.tokens.put(token_hash, found, now)
    return found


def _lookup(state, token: str) -> devices.Device:
    try:
        return devices.authenticate(state.rt, token)
    except devices.DeviceError as exc:
        raise refused(exc) from None
