"""The end-to-end bench commands run in their short modes on the test servers and write
what they report (the figures themselves are not asserted: no timed assertions)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench_env(server_url, redis_url):
    """The commands' environment on the test servers, and the databases they make, dropped after."""
    tag = uuid.uuid4().hex[:8]
    names: list[str] = []

    def database(label: str) -> str:
        names.append(f"pantau_t_bench_{tag}_{label}")
        return names[-1]

    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(DATABASE_URL=server_url, REDIS_URL=redis_url, PANTAU_REDIS_PREFIX=f"pantau-t-bench-{tag}",
               PYTHON=sys.executable)
    yield env, database
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}_app"'))
    admin.dispose()


def run(command: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(ROOT / "bench" / command), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.parametrize("command", ["wall_latency", "wall_day", "rush_dashboard"])
def test_help_names_the_flags(command, bench_env):
    env, _ = bench_env
    out = run(command, env, "--help").stdout
    assert "--json" in out and "--database" in out


def test_wall_latency_short(bench_env, tmp_path):
    env, database = bench_env
    report = tmp_path / "wall.json"
    out = run("wall_latency", env, "--rates", "4", "--seconds", "2", "--idle", "1", "--tick-settle", "2",
              "--database", database("wall"), "--json", str(report)).stdout
    row = json.loads(report.read_text())["results"][0]["rows"][0]
    assert row["acknowledged"] > 0 and row["tile"]["n"] + row["tile_never_shown"] == row["counted"]
    assert row["tile"]["n"] > 0 and "| 500 | 4 |" in out   # config.yaml's tick


def test_wall_day_short(bench_env, tmp_path):
    env, database = bench_env
    png, report = tmp_path / "day.png", tmp_path / "day.json"
    out = run("wall_day", env, "--hours", "0.5", "--speed", "600", "--employees", "60",
              "--database", database("day"), "--png", str(png), "--json", str(report)).stdout
    result = json.loads(report.read_text())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["still_ticks"] is True and len(result["series"]) >= 3 and result["check_ins_acknowledged"] > 0
    assert "still ticks at the end | | True" in out


def test_rush_dashboard_short(bench_env, tmp_path):
    env, database = bench_env
    report = tmp_path / "rush.json"
    out = run("rush_dashboard", env, "--employees", "60", "--days", "20", "--rate", "20", "--load-seconds", "4",
              "--warmup", "1", "--load-employees", "40", "--repeat", "8", "--database", database("city"),
              "--ingest-database", database("ingest"), "--json", str(report)).stdout
    phases = json.loads(report.read_text())["phases"]
    assert set(phases) == {"quiet before", "under load", "quiet after"}
    assert phases["under load"]["ingest"]["acknowledged_per_s"] > 0
    assert any(name.startswith("trends") for name in phases["quiet before"]["times"])
    assert "| trends 30 days, cold |" in out
