"""Who is calling: the bearer token's phone, after the IP and device rate limits.

A batch of requests (the check-in writer's) costs one Redis round trip for all their
limits and one Postgres round trip for all their tokens. Tokens are always looked up in
Postgres, so a reset or a deactivation holds from the very next request.
"""
from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest import devices

from .errors import ApiError

bearer = HTTPBearer(auto_error=False, description="the token from POST /api/v1/devices/activate")

STATUS = {"invalid_token": 401, "device_revoked": 401, "employee_inactive": 401,
          "activation_failed": 401, "unknown_employee": 404, "device_already_bound": 409,
          "device_in_use": 409}


def json_body(request: Request) -> None:
    """415 for a body sent as anything but JSON (FastAPI would read it and answer 422)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", "Kirim application/json", "Send application/json")


def client_ip(request: Request) -> str:
    """The caller's address for the rate limits: the peer's, unless `proxies.trusted` proxies
    stand in front (the same rule the dashboard's werkzeug ProxyFix applies)."""
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"),
                            request.app.state.rt.config.proxies.trusted)


def forwarded_client(peer: str, forwarded_for: list[str], trusted: int) -> str:
    """Each trusted proxy appends the address it saw to X-Forwarded-For, so the client is the
    `trusted`-th value from the right; anything further left is what the client claimed."""
    values = [v.strip() for header in forwarded_for for v in header.split(",")]
    if trusted and len(values) >= trusted and values[-trusted]:
        return values[-trusted]
    return peer


def refused(exc: devices.DeviceError) -> ApiError:
    status = STATUS.get(exc.code, 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ApiError(status, exc.code, exc.message_id, exc.message_en, headers=headers)


def phone(state, ip: str, credentials: HTTPAuthorizationCredentials | None) -> devices.Device:
    """The authenticated phone. Blocking (Postgres, Redis): call from a worker thread."""
    found = phones(state, [(ip, credentials)])[0]
    if isinstance(found, ApiError):
        raise found
    return found


def phones(state, calls: list[tuple[str, HTTPAuthorizationCredentials | None]]) -> list[devices.Device | ApiError]:
    """Each (client IP, credentials)'s phone, or the refusal to answer (401, 429)."""
    tokens = [_token(credentials) for _, credentials in calls]
    # The device limit counts per token (one token, one bound phone), so it is known before Postgres.
    limited = state.limits.hit_many([[("ip", ip), *([("device", devices.token_hash(t)[:32])] if t else [])]
                                     for (ip, _), t in zip(calls, tokens)])
    asked = [t for t, over in zip(tokens, limited) if t and over is None]
    found = devices.authenticate_many(state.rt, asked, state.now()) if asked else {}
    out: list[devices.Device | ApiError] = []
    for token, over in zip(tokens, limited):
        if over is not None:
            out.append(over)
        elif not token:
            out.append(ApiError(401, "missing_token", "Token tidak ada. Aktifkan aplikasi dengan kode dari BKPP",
                                "No bearer token. Activate the app with a code from BKPP",
                                headers={"WWW-Authenticate": "Bearer"}))
        else:
            device = found[token]
            out.append(refused(device) if isinstance(device, devices.DeviceError) else device)
    return out


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        return None
    return credentials.credentials
