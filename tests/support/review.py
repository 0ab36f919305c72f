"""A seeded city with check-ins under review: a lone flag in DINKES (with a selfie), a
titip-absen pair across DINKES and DAMKAR (a pattern finding), a face flag in SETDA."""
from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from dashboard.auth import hash_password
from ingest import review, selfies
from ingest.work_days import rebuild_range
from queries import db, users
from queries import patterns as qp
from tests.support.city import PASSWORD, seed_city


def selfie_jpeg() -> bytes:
    """A small real JPEG (a grey gradient), so the page shows an image, not a broken one."""
    img = Image.linear_gradient("L").resize((120, 160)).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def seed_review(rt) -> dict:
    data = seed_city(rt)
    with rt.transaction() as conn:
        users.add_user(conn, "inspektur", hash_password(PASSWORD), "inspektorat", None, "Inspektur Pembantu")
        users.add_user(conn, "admindinkes", hash_password(PASSWORD), "admin_unit", "DINKES", "Admin Dinkes")
    day = data["today"] - dt.timedelta(days=14)   # before seed_city's days: only these check-ins
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    people = data["people"]
    who = {"lone": people["DINKES"][1], "pair_a": people["DINKES"][2], "pair_b": people["DAMKAR"][0],
           "setda": people["SETDA"][0]}
    sha = selfies.store(rt.settings.selfie_dir, selfie_jpeg())
    ids = {name: _add_check_in(rt, p, day, "07:12:04" if name == "pair_b" else "07:12",
                               sha if name == "lone" else None) for name, p in who.items()}
    with rt.transaction() as conn:
        rebuild_range(conn, rt.config, day, day, employee_ids=[p["id"] for p in who.values()], closed=True)
        qp.add_findings(conn, [{"kind": "arrive_together", "work_date": day,
                                "employee_ids": sorted([who["pair_a"]["id"], who["pair_b"]["id"]]),
                                "check_in_ids": sorted([ids["pair_a"], ids["pair_b"]]), "evidence": {"seconds": 4},
                                "message_id": "Dua pegawai presensi dalam 4 detik di titik yang sama, 5 dari 6 hari",
                                "message_en": "Two employees checked in 4 s apart at one spot, 5 of 6 days"}])
    review.add_flags(rt, [
        {"check_in_id": ids["lone"], "source": "judge", "kind": "clock_skew", "weight": 20},
        {"check_in_id": ids["pair_a"], "source": "pattern", "kind": "arrive_together", "weight": 50},
        {"check_in_id": ids["pair_b"], "source": "pattern", "kind": "arrive_together", "weight": 50},
        # as the scan does: trust 100 - 50 is under rules.patterns.review_below, so both wait
        {"check_in_id": ids["pair_a"], "source": "trust", "kind": "low_trust", "weight": 0, "evidence": {"score": 50}},
        {"check_in_id": ids["pair_b"], "source": "trust", "kind": "low_trust", "weight": 0, "evidence": {"score": 50}},
        {"check_in_id": ids["setda"], "source": "face", "kind": "face_mismatch", "weight": 30},
    ])
    return {**data, "review_day": day, "review": ids, "selfie": sha, "who": who}


def _add_check_in(rt, person: dict, day: dt.date, hm: str, selfie: str | None) -> int:
    """An accepted phone check-in 60 m north of the office's centre; its id."""
    office = rt.config.unit_offices(person["unit_code"])[0]
    at = dt.datetime.combine(day, dt.time.fromisoformat(hm), rt.config.zone)
    with rt.transaction() as conn:
        return db.scalar(conn, """
            INSERT INTO check_ins (event_key, source, employee_id, captured_at, work_date, session, verdict, reasons,
                                   office_code, distance_m, lat, lon, accuracy_m, selfie_sha256, payload)
            VALUES (:k, 'mobile', :e, :at, :d, 'in', 'accepted', '{}', :o, 60, :lat, :lon, 8, :s, '{}')
            RETURNING id""", k=f"test:review:{person['id']}:{day}", e=person["id"], at=at, d=day, o=office.code,
            lat=office.lat + 0.00054, lon=office.lon, s=selfie)
