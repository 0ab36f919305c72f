"""A small city for the dashboard tests: people in every unit, today and past closed days,
located check-ins, one login per role and a kiosk link. Written through queries/."""
from __future__ import annotations

import datetime as dt
import itertools
import random

from dashboard.auth import hash_password, hash_token
from foundation import clock
from queries import dashboard as qd
from queries import dashboard_seed as seed
from queries import users

PASSWORD = "rahasia-yang-panjang"
KIOSK_TOKEN = "kiosk-test-token-0123456789abcdef"
_nip = itertools.count(1)
UNITS = {"SETDA": 4, "DINKES": 5, "PKM-CLG": 4, "DAMKAR": 3}
OFFICE = {"SETDA": "KANTOR-WALIKOTA", "DINKES": "DINKES-1", "PKM-CLG": "PKM-CLG-1", "DAMKAR": "DAMKAR-1"}


def _nip_for(i: int) -> str:
    return f"19800101200501{1 + i % 2}{i % 1000:03d}"


def _day(rt, emp_id: int, unit: str, day: dt.date, status: str, minutes_late: int, closed: bool) -> dict:
    zone = rt.config.unit_zone(unit)
    first_in = (dt.datetime.combine(day, dt.time(7, 30), zone) + dt.timedelta(minutes=minutes_late - 12)
                if status == "hadir" else None)
    late_band = ("TL1" if minutes_late <= 30 else "TL2") if status == "hadir" and minutes_late > 0 else None
    return {"employee_id": emp_id, "work_date": day, "unit_code": unit, "schedule_code": "reguler",
            "day_type": "biasa", "is_work_day": True, "first_in": first_in,
            "last_out": first_in + dt.timedelta(hours=8, minutes=40) if first_in and closed else None,
            "minutes_late": max(minutes_late, 0) if status == "hadir" else 0, "minutes_early": 0,
            "late_band": late_band, "early_band": None, "status": status,
            "leave_type": status if status == "cuti_tahunan" else None,
            "deduction_percent": 0.5 if late_band == "TL1" else (1.0 if late_band else (5 if status == "tk" else 0)),
            "closed": closed}


def live_city(rt) -> tuple:
    """(rt, seed_city(rt)) with today's live state (the wall's) rebuilt from what was seeded."""
    from ingest import live

    data = seed_city(rt)
    live.rebuild(rt, data["today"])
    return rt, data


def seed_city(rt, past_days: int = 10, units: dict | None = None, offices: dict | None = None,
              label: str = "Pegawai") -> dict:
    """Employees, work days (today open, the past closed), check-ins; returns what tests need.
    Another region's config: its `units` ({code: head count}), their `offices` and a `label`
    its people's names (and logins' full names) start with, apart from the first region's."""
    units, offices = units or UNITS, offices or OFFICE
    rnd = random.Random(6)
    config = rt.config
    today = clock.today(config.zone)
    people: dict[str, list[dict]] = {}
    with rt.transaction() as conn:
        for unit, n in units.items():
            rows = [{"nip": _nip_for(next(_nip)), "name": f"{label} {unit} {i + 1}", "unit_code": unit,
                     "position": "Pelaksana"} for i in range(n)]
            for row, emp_id in zip(rows, seed.add_employees(conn, rows)):
                people.setdefault(unit, []).append({**row, "id": emp_id})
        work_days, check_ins = [], []
        days = [today - dt.timedelta(days=k) for k in range(past_days, -1, -1)]
        for unit, emps in people.items():
            office = config.office_by_code[offices[unit]]
            for i, e in enumerate(emps):
                for day in days:
                    is_today = day == today
                    if is_today:
                        status = ["hadir", "hadir", "belum", "cuti_tahunan", "hadir"][i % 5]
                        late = [0, 14, 0, 0, 45][i % 5]
                    else:
                        status = rnd.choices(["hadir", "tk", "cuti_tahunan"], [85, 5, 10])[0]
                        late = rnd.choice([0, 0, 0, 5, 20, 40])
                    wd = _day(rt, e["id"], unit, day, status, late, closed=not is_today)
                    work_days.append(wd)
                    if wd["first_in"]:
                        check_ins.append({
                            "event_key": f"test:{e['id']}:{day}", "source": "mobile", "employee_id": e["id"],
                            "captured_at": wd["first_in"], "work_date": day, "session": "in",
                            "verdict": "accepted", "reasons": [], "minutes_late": wd["minutes_late"],
                            "office_code": office.code, "distance_m": 20.0 + i,
                            "lat": office.lat + 0.0001 * i, "lon": office.lon + 0.0001 * i,
                            "selfie_sha256": None})
        # one refused attempt outside the geofence today
        e = people["DINKES" if "DINKES" in people else next(iter(people))][0]
        check_ins.append({"event_key": f"test:refused:{e['id']}", "source": "mobile", "employee_id": e["id"],
                          "captured_at": dt.datetime.combine(today, dt.time(7, 0), config.zone),
                          "work_date": today, "session": "in", "verdict": "refused",
                          "reasons": ["outside_geofence"], "minutes_late": None, "office_code": offices[e["unit_code"]],
                          "distance_m": 900.0, "lat": -6.0110, "lon": 106.0600, "selfie_sha256": None})
        seed.add_work_days(conn, work_days)
        seed.add_check_ins(conn, check_ins)
        logins = {}
        for username, role, unit in (("kada", "kepala_daerah", None), ("sekda", "sekda", None),
                                     ("bkpp", "bkpp", None), ("kadinkes", "kepala_unit", "DINKES"),
                                     ("kadamkar", "kepala_unit", "DAMKAR")):
            if unit and unit not in units:
                continue
            full_name = username.title() if label == "Pegawai" else f"{label} {username}"
            logins[username] = users.add_user(conn, username, hash_password(PASSWORD), role, unit, full_name)
        kiosk = users.add_kiosk_token(conn, "TV Wali Kota", hash_token(KIOSK_TOKEN), True, "test")
    with rt.transaction() as conn:   # after the commit, as the worker does (dashboard.refresh_rollups)
        qd.refresh_rollups(conn)
    return {"today": today, "people": people, "logins": logins, "kiosk": kiosk, "days": days}
