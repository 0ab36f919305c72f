"""POST /api/v1/events/{id}/attend: attend an apel, upacara or sosialisasi by its QR code."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from ingest import events
from ingest.rules.judge import DEVICE_SHARED

from . import auth
from .errors import ApiError, documented
from .schemas import AttendBody, AttendVerdict

router = APIRouter(tags=["events"])


@router.post("/events/{event}/attend", response_model=AttendVerdict, status_code=201,
             dependencies=[Depends(auth.json_body)], responses={
                 200: {"model": AttendVerdict, "description": "a retry, or already attended: the original verdict"},
                 **documented(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)})
def attend(body: AttendBody, request: Request, response: Response,
           event: int = Path(ge=1, le=2**31 - 1, description="the event's number"),
           credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> AttendVerdict:
    """Checks the QR token's signature and age, the event's window, the invitation and the
    place; answers like a check-in (accepted or refused with reason codes)."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    if device.shared:   # one phone, one account: the second account on a phone scans nothing
        raise ApiError(403, "device_shared", *DEVICE_SHARED)
    loc = body.location
    try:
        found = events.attend(state.rt, device.employee_id, event, body.token, lat=loc.lat, lon=loc.lon,
                              accuracy_m=loc.accuracy_m, mock=loc.mock,
                              attempt_key=f"qr:{device.employee_id}:{body.event_id}", now=state.now())
    except events.EventError as exc:
        raise ApiError(exc.status, exc.code, exc.message_id, exc.message_en) from None
    response.status_code = 200 if found["duplicate"] else 201
    return AttendVerdict(event_id=body.event_id, event=found["event_id"],
                         **{k: found.get(k) for k in AttendVerdict.model_fields if k not in ("event_id", "event")})
