"""Who is calling: the bearer token's phone, after the IP and device rate limits."""
from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest import devices

from .errors import ApiError

bearer = HTTPBearer(auto_error=False, description="the token from POST /api/v1/devices/activate")

STATUS = {"invalid_token": 401, "device_revoked": 401, "employee_inactive": 401,
          "activation_failed": 401, "unknown_employee": 404, "device_already_bound": 409}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refused(exc: devices.DeviceError) -> ApiError:
    status = STATUS.get(exc.code, 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ApiError(status, exc.code, exc.message_id, exc.message_en, headers=headers)


def phone(state, ip: str, credentials: HTTPAuthorizationCredentials | None) -> devices.Device:
    """The authenticated phone. Blocking (Postgres, Redis): call from a worker thread."""
    state.limits.check("ip", ip)
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "missing_token", "Token tidak ada. Aktifkan aplikasi dengan kode dari BKPP",
                       "No bearer token. Activate the app with a code from BKPP",
                       headers={"WWW-Authenticate": "Bearer"})
    try:
        found = devices.authenticate(state.rt, credentials.credentials)
    except devices.DeviceError as exc:
        raise refused(exc) from None
    state.limits.check("device", str(found.device_ref))
    return found
