"""The embedded default: real Postgres and Redis under ./var, shared and kept across restarts."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = r"""
import json, sys, time
from foundation.runtime import boot
from queries import audit, db
rt = boot()
with rt.transaction() as conn:   # as the app's role: it may append to the audit log, not create tables
    audit.record(conn, "probe", "probe", sys.argv[1])
    seen = db.scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'probe'")
with db.connection(rt.urls.owner_url) as conn:   # a superuser's setting
    data_dir = db.scalar(conn, "SELECT setting FROM pg_settings WHERE name = 'data_directory'")
rt.redis.incr(rt.key("probe"))
print(json.dumps({"data_dir": data_dir, "redis": rt.urls.redis_url, "embedded": rt.urls.embedded_database,
                  "seen": seen, "hits": int(rt.redis.get(rt.key("probe")))}))
time.sleep(float(sys.argv[2]))
from foundation.services import stop_embedded
stop_embedded(rt)   # as a process that exits cleanly does: the last one out stops the servers
"""


def _env(var_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PANTAU_VAR_DIR=str(var_dir), PANTAU_REDIS_PREFIX="probe", PYTHONPATH=str(ROOT))
    return env


def _start(var_dir, who, hold):
    return subprocess.Popen([sys.executable, "-c", PROBE, who, str(hold)], env=_env(var_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_two_processes_starting_at_once_share_one_server_and_data_survives_restart(tmp_path):
    first, second = _start(tmp_path, "a", 2), _start(tmp_path, "b", 2)
    outs = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert outs[0]["embedded"] and outs[1]["embedded"]
    assert outs[0]["data_dir"] == outs[1]["data_dir"] == str(tmp_path / "pg")
    assert outs[0]["redis"] == outs[1]["redis"]
    assert sorted(o["hits"] for o in outs) == [1, 2]          # one Redis, two increments

    again = _start(tmp_path, "c", 0)                          # both stopped: a fresh start
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["seen"] == 3   # rows a, b kept, c added
    assert _servers_in(tmp_path / "redis") == []            # the last one out stopped Redis too


def _servers_in(directory) -> list[int]:
    """Pids of processes working in `directory` (a daemonised redis-server chdirs to its data)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(directory):
                found.append(int(pid))
        except OSError:
            continue
    return found
