"""GET /api/v1/me/today: the employee's day so far, as the phone shows it."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from foundation.config import zone_label
from queries import attendance as q

from . import auth
from .schemas import DayCheckIn, Employee, ErrorEnvelope, Today, WorkDay

router = APIRouter(tags=["me"])


@router.get("/me/today", response_model=Today,
            responses={s: {"model": ErrorEnvelope} for s in (401, 422, 429, 503)})
def today(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer),
          date: dt.date | None = Query(None, description="another work date (default: today in the office's zone)")
          ) -> Today:
    """Check-ins (refused ones too), their verdicts, lateness in minutes and the work day."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    zone = state.rt.config.unit_zone(device.unit_code)
    day = date or state.now().astimezone(zone).date()
    with state.rt.connection() as conn:
        rows = q.today_for_employee(conn, device.employee_id, day)
        work_day = q.work_day(conn, device.employee_id, day)
    prefix = f"mobile:{device.employee_id}:"
    return Today(
        employee=Employee(nip=device.nip, name=device.name, unit_code=device.unit_code),
        work_date=day, zone=zone_label(zone.key),
        work_day=WorkDay(**{k: work_day[k] for k in WorkDay.model_fields}) if work_day else None,
        check_ins=[DayCheckIn(event_id=r["event_key"][len(prefix):] if r["event_key"].startswith(prefix) else None,
                              **{k: r[k] for k in DayCheckIn.model_fields if k != "event_id"}) for r in rows])
