"""A synthetic city for the dashboard benchmarks: ~150 units, N employees, a year of history.

    python -m bench.city --employees 15000 --days 365

15,000 employees and a year of weekdays give ~3.9 M work_days and ~10 M check_ins (in, out,
most at midday, a few refused or flagged, located near the employee's office).

Writes a region config (bench/out/city.yaml) and loads the data through
queries.dashboard_seed (COPY), then refreshes the rollups. Needs DATABASE_URL/REDIS_URL
or uses the embedded servers under PANTAU_VAR_DIR.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LAT0, LON0 = -6.0175, 106.0540


def city_config(path: Path = OUT / "city.yaml") -> Path:
    """config.yaml's rules and schedules with ~150 units and one office each."""
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    units = [{"code": "SETDA", "name": "Sekretariat Daerah", "kind": "sekretariat"}]
    for i in range(1, 25):
        units.append({"code": f"DINAS{i:02d}", "name": f"Dinas {i:02d}", "kind": "dinas"})
    units.append({"code": "DINKES", "name": "Dinas Kesehatan", "kind": "dinas"})
    units.append({"code": "DISDIK", "name": "Dinas Pendidikan", "kind": "dinas"})
    for i in range(1, 21):
        units.append({"code": f"PKM{i:02d}", "name": f"Puskesmas {i:02d}", "kind": "puskesmas",
                      "parent": "DINKES", "schedule": "enam_hari"})
    for i in range(1, 61):
        units.append({"code": f"SD{i:02d}", "name": f"SD Negeri {i:02d}", "kind": "sekolah",
                      "parent": "DISDIK", "schedule": "enam_hari"})
    for k in range(1, 9):
        units.append({"code": f"KEC{k}", "name": f"Kecamatan {k}", "kind": "kecamatan"})
        for j in range(1, 6):
            units.append({"code": f"KEL{k}{j}", "name": f"Kelurahan {k}.{j}", "kind": "kelurahan", "parent": f"KEC{k}"})
    rnd = random.Random(1)
    offices = [{"code": f"{u['code']}-1", "name": f"Kantor {u['name']}", "unit": u["code"],
                "lat": round(LAT0 + rnd.uniform(-0.05, 0.05), 5), "lon": round(LON0 + rnd.uniform(-0.05, 0.05), 5),
                "radius_m": 150} for u in units]
    base.update(units=units, offices=offices)
    base["region"]["name"] = "Kota Bench"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(base, sort_keys=False, allow_unicode=True))
    return path


def _nip(i: int) -> str:
    return f"1980{1 + i % 12:02d}{1 + i % 28:02d}2005{1 + i % 12:02d}{1 + i % 2}{i % 1000:03d}"


CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]  # COPY takes text
STATUSES = ["hadir", "cuti_tahunan", "tk", "dinas_luar"]


def _near(rng, lat: np.ndarray, lon: np.ndarray, metres: np.ndarray) -> tuple[list, list]:
    """Points `metres` away from (lat, lon) in a random direction."""
    angle = rng.random(len(lat)) * 2 * np.pi
    dlat = metres * np.cos(angle) / 111_320
    dlon = metres * np.sin(angle) / (111_320 * np.cos(np.radians(lat)))
    return (lat + dlat).round(6).tolist(), (lon + dlon).round(6).tolist()


class _Day:
    """One day of one city: its work_days rows and check-in rows as plain tuples for COPY."""

    def __init__(self, rng, day: dt.date, zone, city: dict, is_today: bool):
        self.rng, self.day, self.city = rng, day, city
        off = dt.datetime.combine(day, dt.time(12), zone).strftime("%z")
        self.suffix = f"{off[:3]}:{off[3:]}"
        n = len(city["emp"])
        status = rng.choice(len(STATUSES), size=n, p=[0.89, 0.05, 0.02, 0.04])
        self.status = np.array(STATUSES + ["belum"], dtype=object)[
            np.where(rng.random(n) < 0.3, len(STATUSES), status) if is_today else status]
        self.present = self.status == "hadir"
        self.late = np.where(self.present & (rng.random(n) < 0.22), rng.integers(1, 120, n), 0)
        # seconds after midnight; 07:30 is the start; on time = 1..40 minutes early
        self.arrive = 27000 + np.where(self.late > 0, self.late * 60 + rng.integers(0, 60, n),
                                       -rng.integers(60, 2400, n))
        self.leave = None if is_today else 57600 + rng.integers(0, 5400, n)
        self.is_today = is_today

    def stamp(self, seconds: list) -> list:
        return [f"{self.day} {CLOCK[s]}{self.suffix}" for s in seconds]

    def work_days(self) -> list[tuple]:
        c, late = self.city, self.late
        band = np.select([late == 0, late <= 30, late <= 60, late <= 90], [None, "TL1", "TL2", "TL3"], "TL4")
        cut = np.select([late == 0, late <= 30, late <= 60, late <= 90], [0, 0.5, 1, 1.25], 1.5)
        cut = np.where(self.present, cut, np.where(self.status == "tk", 5, 0))
        first = self.stamp(self.arrive.tolist())
        last = [None] * len(first) if self.leave is None else self.stamp(self.leave.tolist())
        leave_type = np.where(np.isin(self.status, ["hadir", "tk", "belum"]), None, self.status)
        closed = not self.is_today
        return [(e, self.day, u, "reguler", "biasa", True, f if p else None, o if p else None, int(m), 0,
                 b, None, s, lt, float(d), closed)
                for e, u, f, o, m, b, s, lt, d, p in zip(
                    c["emp_l"], c["unit_code_l"], first, last, late.tolist(), band.tolist(), self.status.tolist(),
                    leave_type.tolist(), cut.tolist(), self.present.tolist())]

    def check_ins(self) -> list[tuple]:
        """In and out for those present, most at midday too, a few refused attempts outside the
        geofence before the accepted one, a few flagged for poor accuracy, and half of those on
        an official trip checking in far away (flagged)."""
        rng, n = self.rng, len(self.present)
        out: list[tuple] = []
        flagged = rng.random(n) < 0.02
        refused = self.present & (rng.random(n) < 0.03)
        away = (self.status == "dinas_luar") & (rng.random(n) < 0.5)
        midday = self.present & (rng.random(n) < 0.8)
        self._add(out, refused, "in", self.arrive - rng.integers(60, 600, n), "refused", "{outside_geofence}",
                  (250, 3000), "in-refused")
        self._add(out, self.present & ~flagged, "in", self.arrive, "accepted", "{}", (0, 120), "in", self.late)
        self._add(out, self.present & flagged, "in", self.arrive, "flagged", "{poor_accuracy}", (0, 120), "in",
                  self.late)
        self._add(out, away, "in", self.arrive, "flagged", "{outside_geofence}", (5000, 30000), "in")
        if not self.is_today:  # today is still morning (the benches' clock stands at 07:20)
            self._add(out, midday, "midday", 43200 + rng.integers(0, 5400, n), "accepted", "{}", (0, 120),
                      "midday")
            self._add(out, self.present, "out", self.leave, "accepted", "{}", (0, 120), "out")
        return out

    def _add(self, out, mask, session, seconds, verdict, reasons, metres, key, minutes_late=None) -> None:
        idx = np.flatnonzero(mask)
        c = self.city
        unit = c["unit_of"][idx]
        dist = self.rng.uniform(*metres, len(idx))
        lat, lon = _near(self.rng, c["office_lat"][unit], c["office_lon"][unit], dist)
        stamps = self.stamp(seconds[idx].tolist())
        lates = minutes_late[idx].tolist() if minutes_late is not None else [None] * len(idx)
        offices = c["office_code"]
        prefix = f"bench:{self.day}:"
        out.extend((f"{prefix}{e:06d}:{key}", "mobile", e, ts, ts, self.day, session, verdict, reasons, m,
                    offices[u], d, la, lo, None)
                   for e, u, ts, m, d, la, lo in zip(c["emp"][idx].tolist(), unit.tolist(), stamps, lates,
                                                     dist.round(1).tolist(), lat, lon))


def load(rt, employees: int, days: int) -> dict:
    from foundation import clock
    from queries import dashboard as qd
    from queries import dashboard_seed as seed
    from queries import db

    started = time.monotonic()
    config = rt.config
    codes = [u.code for u in config.units]
    weights = np.array([4 if c.startswith(("DINAS", "DIN", "SETDA")) else 1 for c in codes], float)
    rng = np.random.default_rng(7)
    unit_of = rng.choice(len(codes), size=employees, p=weights / weights.sum())
    with rt.transaction() as conn:
        seed.copy_employees(conn, ((_nip(i), f"Pegawai {i:05d}", codes[unit_of[i]], "Pelaksana")
                                   for i in range(employees)))
        ids = np.array([r["id"] for r in seed.employee_ids(conn)])
    offices = [config.offices_by_unit[c][0] for c in codes]
    city = {"emp": ids, "emp_l": ids.tolist(), "unit_of": unit_of,
            "unit_code_l": [codes[u] for u in unit_of.tolist()],
            "office_code": [o.code for o in offices],
            "office_lat": np.array([o.lat for o in offices]), "office_lon": np.array([o.lon for o in offices])}
    today = clock.today(config.zone)
    dates = [today - dt.timedelta(days=k) for k in range(days, -1, -1)]
    dates = [d for d in dates if d.weekday() < 5]
    wd_rows = ci_rows = 0
    for day in dates:
        one = _Day(rng, day, config.zone, city, day == today)
        work_days, check_ins = one.work_days(), one.check_ins()
        with rt.transaction() as conn:
            wd_rows += seed.copy_work_days(conn, work_days)
            ci_rows += seed.copy_check_ins(conn, check_ins, seed.BENCH_CHECK_IN_COLUMNS)
    with rt.transaction() as conn:
        qd.refresh_rollups(conn)
    with db.connection(rt.urls.owner_url) as conn:   # VACUUM needs the tables' owner
        seed.vacuum_analyze(conn)
    return {"employees": employees, "work_days": wd_rows, "check_ins": ci_rows, "dates": len(dates),
            "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=15000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    os.environ["PANTAU_CONFIG"] = str(city_config())
    from foundation.runtime import boot

    rt = boot()
    print(load(rt, args.employees, args.days))


if __name__ == "__main__":
    main()
