"""POST /api/v1/devices/activate: trade a one-time code for a bearer token."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ingest import devices

from . import auth
from .errors import documented
from .schemas import ActivationBody, Activation, Employee

router = APIRouter(tags=["devices"])


@router.post("/devices/activate", response_model=Activation, status_code=201,
             dependencies=[Depends(auth.json_body)], responses={
                 **documented(400, 404, 413, 415, 422, 429, 503),
                 401: {**documented(401)[401], "description": "activation_failed: wrong, used or expired code"},
                 409: {**documented(409)[409], "description": "device_already_bound: the account is bound to another phone"}})
def activate(body: ActivationBody, request: Request) -> Activation:
    """Bind this phone to the employee. One account, one phone: a second phone gets 409
    until BKPP resets the binding (`pantau devices reset NIP`). The token is shown once."""
    state = request.app.state
    state.limits.check("activate_ip", auth.client_ip(request))
    state.limits.check("activate_nip", body.nip)
    try:
        token, employee = devices.activate(state.rt, body.nip, body.code, body.device_id, body.device_model)
    except devices.DeviceError as exc:
        raise auth.refused(exc) from None
    return Activation(token=token, employee=Employee(nip=employee["nip"], name=employee["name"],
                                                     unit_code=employee["unit_code"]))
