"""A province with one city under it, seeded through the real check-in pipeline: the
installation of the /provinsi tests (Maluku Utara 82, Kota Ternate 8271 under it, Kota
Makassar 7371 beside it with no parent; the own region config.yaml has no parent either).

Ternate, Monday 14 June 2027 at 09.00 WIT: nine staff expected, six in (two late), three
not yet; on the four days before it (Tue-Fri) the four SETDA staff came, one of them late.
"""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from ingest import attendance
from ingest.rules.judge import Attempt
from tests.support import factories

WIT = ZoneInfo("Asia/Jayapura")
DAY = dt.date(2027, 6, 14)                                      # a Monday, no holiday
PAST = [dt.date(2027, 6, d) for d in (8, 9, 10, 11)]            # Tue-Fri of the week before
CLOCK_AT = dt.datetime.combine(DAY, dt.time(9, 0), WIT)
OFFICE = {"SETDA": "KANTOR-WALIKOTA", "SATPOLPP": "SATPOLPP-1", "DINDIKBUD": "DINDIKBUD-1"}
# Ternate's staff and their arrival today (None: not yet); start 07.30
STAFF = [("SETDA", "07:15"), ("SETDA", "07:20"), ("SETDA", "07:25"), ("SETDA", "07:50"),
         ("SATPOLPP", "07:10"), ("SATPOLPP", "08:05"), ("SATPOLPP", None),
         ("DINDIKBUD", None), ("DINDIKBUD", None)]
TODAY = {"expected": 9, "present": 6, "late": 2, "absent": 0, "leave": 0, "not_yet": 3}
MONTH = {"present": 6 + 4 * 4, "late": 2 + 4}                   # 22 days present, 6 of them late
UNITS = {"SETDA": (4, 4, 1, 0), "SATPOLPP": (3, 2, 1, 1), "DINDIKBUD": (2, 0, 0, 2)}   # expected, present, late, not yet


def check_in(rt, person: dict, moment: dt.datetime) -> None:
    office = rt.config.office_by_code[OFFICE[person["unit_code"]]]
    attempt = Attempt(source="mobile", captured_at=moment, received_at=moment, lat=office.lat, lon=office.lon,
                      accuracy_m=8)
    done = attendance.record(rt, person["id"], attempt, f"mobile:{uuid.uuid4()}", payload={})
    assert done.verdict["verdict"] == "accepted", done.verdict


def seed(regions: dict) -> dict:
    """Ternate's staff and days; one person of the province's own (who no page may show it)."""
    ternate, malut = regions["8271"], regions["82"]
    # the staff first: the day's live state counts who is expected when its first check-in builds it
    people = [{**factories.employee(ternate, unit, name=f"Siti Ternate Abubakar {i + 1}"), "unit_code": unit}
              for i, (unit, _) in enumerate(STAFF)]
    for person, (_, arrival) in zip(people, STAFF):
        if arrival:
            check_in(ternate, person, dt.datetime.combine(DAY, dt.time.fromisoformat(arrival), WIT))
    for day in PAST:
        for i, person in enumerate(people[:4]):
            check_in(ternate, person, dt.datetime.combine(day, dt.time(7, 45) if i == 0 else dt.time(7, 10), WIT))
    own = {**factories.employee(malut, "SETDA", name="Yusuf Provinsi Malut"), "unit_code": "SETDA"}
    check_in(malut, own, dt.datetime.combine(DAY, dt.time(7, 5), WIT))
    return {"ternate": people, "malut": [own]}


def identities(seeded: dict) -> list[str]:
    """Every name and NIP of the seeded people (the page must show none of them)."""
    return [v for group in seeded.values() for p in group for v in (p["name"], p["nip"])]
