"""GET /api/v1/me/today: the employee's day so far, as the phone shows it."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from foundation.config import zone_label
from ingest import recap
from foundation.leave_types import LEAVE_TYPES
from ingest.attendance import person_for
from ingest.rules.work_day import STATUS_LABELS
from ingest.rules import review as review_rules
from queries import attendance as q
from queries import review as qr

from . import auth
from .errors import documented, invalid_field
from .schemas import (DAY_PAST_DAYS, Day, DayCheckIn, Employee, Labels, Month, MonthDay, MonthReview, MyOffice,
                      MyOffices, Today, WorkDay, day_problem)

router = APIRouter(tags=["me"])


@router.get("/me/today", response_model=Today, responses=documented(401, 422, 429, 503))
def today(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer),
          date: Day | None = Query(None, description=(
              f"another work date, YYYY-MM-DD, at most {DAY_PAST_DAYS} days before today and not after "
              "tomorrow (default: today in the office's zone)"))) -> Today:
    """Check-ins (refused ones too), their verdicts, lateness in minutes and the work day."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    zone = state.rt.config.unit_zone(device.unit_code)
    today = state.now().astimezone(zone).date()
    day = date or today
    if bad := day_problem(day, today, DAY_PAST_DAYS, 1):
        raise invalid_field("date", "date_range", *bad)
    with state.rt.connection() as conn:
        rows = q.today_for_employee(conn, device.employee_id, day)
        work_day = q.work_day(conn, device.employee_id, day)
    prefix = f"mobile:{device.employee_id}:"
    return Today(
        employee=Employee(nip=device.nip, name=device.name, unit_code=device.unit_code),
        work_date=day, zone=zone_label(zone.key),
        work_day=WorkDay(**{k: work_day[k] for k in WorkDay.model_fields}) if work_day else None,
        check_ins=[DayCheckIn(event_id=r["event_key"][len(prefix):] if r["event_key"].startswith(prefix) else None,
                              review_label=review_rules.label(r["review"], r["review_note"]),
                              **{k: r[k] for k in DayCheckIn.model_fields if k not in ("event_id", "review_label")})
                   for r in rows])


@router.get("/me/month", response_model=Month, responses=documented(401, 422, 429, 503))
def month(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer),
          month: str | None = Query(None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description=(
              f"YYYY-MM, a month that has days at most {DAY_PAST_DAYS} days before today and not after "
              "tomorrow (default: this month in the office's zone)"))) -> Month:
    """The employee's month: each work day's status and bands, and the recap row BKPP's
    monthly file will hold for them, with the deduction so far."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    zone = state.rt.config.unit_zone(device.unit_code)
    today = state.now().astimezone(zone).date()
    month = month or today.strftime("%Y-%m")
    try:
        first, last = recap.month_range(month)
    except ValueError:
        raise invalid_field("month", "month_range", "bulan harus YYYY-MM dengan bulan 01-12, mis. 2026-12",
                            "month must be YYYY-MM with a month 01-12, e.g. 2026-12") from None
    lo = today - dt.timedelta(days=DAY_PAST_DAYS)
    if last < lo or first > today + dt.timedelta(days=1):   # no day of it inside the /me/today window
        raise invalid_field("month", "month_range", f"bulan harus antara {lo:%Y-%m} dan {today:%Y-%m}",
                            f"month must lie between {lo:%Y-%m} and {today:%Y-%m}")
    with state.rt.connection() as conn:
        days = q.work_days_for_employee(conn, device.employee_id, first, last)
        reviewed = qr.reviewed_of_employee(conn, device.employee_id, first, last)
        columns, rows = recap.employee_recap(conn, state.rt.config, first, last, employee_id=device.employee_id)
        row = next(iter(rows), None)
    summary = {c: (float(row[c]) if hasattr(row[c], "is_finite") else row[c]) for c in columns[4:]} if row else {}
    return Month(employee=Employee(nip=device.nip, name=device.name, unit_code=device.unit_code),
                 month=month, zone=zone_label(zone.key),
                 days=[_month_day(d, reviewed) for d in days], recap=summary)


def _month_day(day: dict, reviewed: list[dict]) -> MonthDay:
    """A work day with its check-ins under review; the day waits while any of them does."""
    mine = [MonthReview(captured_at=r["captured_at"], session=r["session"], review=r["review_state"],
                        label=review_rules.label(r["review_state"], r["note"]), note=r["note"])
            for r in reviewed if r["work_date"] == day["work_date"]]
    states = {r.review for r in mine}
    state = next((s for s in (review_rules.PENDING, review_rules.TOLAK, review_rules.SAH) if s in states), "none")
    return MonthDay(**{k: day[k] for k in MonthDay.model_fields if k not in ("review", "reviews")},
                    review=state, reviews=mine)


@router.get("/me/offices", response_model=MyOffices, responses=documented(401, 429, 503))
def offices(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> MyOffices:
    """Where this employee may check in (own unit's offices and assignments), for the page's map."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    with state.rt.connection() as conn:
        employee = q.employee(conn, device.employee_id)
    default_m = state.rt.config.rules.geofence.default_radius_m
    return MyOffices(offices=[
        MyOffice(code=o.code, name=o.name, lat=o.lat, lon=o.lon, polygon=o.polygon,
                 radius_m=None if o.polygon else (o.radius_m or default_m))
        for o in person_for(state.rt.config, employee).offices])


@router.get("/labels", response_model=Labels)
def labels() -> Labels:
    """The words a client shows for the codes in these replies (no login: nothing personal)."""
    return Labels(statuses=STATUS_LABELS, leave_types={k: v[0] for k, v in LEAVE_TYPES.items()},
                  leave_states={"pending": "Menunggu persetujuan", "approved": "Disetujui", "rejected": "Ditolak",
                                "cancelled": "Dibatalkan"},
                  verdicts={"accepted": "Diterima", "flagged": "Diterima, menunggu tinjauan",
                            "refused": "Ditolak"}, reviews=dict(review_rules.LABELS))
