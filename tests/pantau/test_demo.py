"""`pantau demo` end to end: it serves the printed URLs, plays a morning, stops on Ctrl-C,
and a second start finds the data in place."""
from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.conftest import ROOT
from tests.support.servers import free_port


def _run_until(proc: subprocess.Popen, pattern: str, timeout_s: float) -> str:
    """Read the demo's output until a line matches; return everything read.

    Lines come from a reader thread: select() on the pipe misses lines that an earlier
    readline() already pulled into Python's buffer, so two lines printed together looked
    like one that never came."""
    lines = _lines(proc)
    seen, deadline = "", time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None and lines.empty():
                break
            continue
        if line is None:
            break
        seen += line
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"no line matching {pattern!r} in:\n{seen[-3000:]}")


def _lines(proc: subprocess.Popen) -> queue.Queue:
    """One reader thread per process, feeding its output line by line (None at the end)."""
    if not hasattr(proc, "_lines"):
        proc._lines = queue.Queue()

        def read() -> None:
            for line in proc.stdout:
                proc._lines.put(line)
            proc._lines.put(None)

        threading.Thread(target=read, daemon=True).start()
    return proc._lines


def _demo(var_dir, web, ingest) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PANTAU_DEMO_CLOCK")}
    env.update(PANTAU_VAR_DIR=str(var_dir), PANTAU_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "pantau", "demo", "--employees", "60", "--days", "3", "--speed", "900",
         "--web-port", str(web), "--ingest-port", str(ingest)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _stop(proc: subprocess.Popen) -> int:
    os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C in a terminal reaches the whole group
    return proc.wait(timeout=60)


def test_demo_serves_plays_a_morning_and_restarts_with_its_data(tmp_path):
    web, ingest = free_port(), free_port()
    proc = _demo(tmp_path, web, ingest)
    try:
        out = _run_until(proc, r"morning done", 420)
        wall = re.search(r"wall display\s+(\S+)", out).group(1)
        assert httpx.get(wall, timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{web}/login", timeout=10).status_code == 200
        health = httpx.get(f"http://127.0.0.1:{ingest}/healthz", timeout=10).json()
        assert health["postgres"]["ok"] and health["redis"]["ok"]
        assert httpx.get(f"http://127.0.0.1:{ingest}/api/v1/openapi.json", timeout=10).status_code == 200
        # the employee's page and a code that activates it, for a person trying the demo
        page, nip, code = re.search(r"employee page\s+(\S+)\s+activate with NIP (\d{18}) and code (\S+)", out).groups()
        assert httpx.get(page, timeout=10).status_code == 200
        activated = httpx.post(f"http://127.0.0.1:{ingest}/api/v1/devices/activate", timeout=10, json={
            "nip": nip, "code": code, "device_id": "demo-browser", "device_model": "test"})
        assert activated.status_code == 201, activated.text
        done = re.search(r"morning done: phones sent ([\d,]+) check-ins: ([\d,]+) stored", out)
        assert int(done.group(2).replace(",", "")) > 0          # check-ins acknowledged over HTTP, in words
        assert "{" not in out.split("morning done")[1].splitlines()[0]
    finally:
        code = _stop(proc)
    assert code == 0
    assert not any(f"{tmp_path}" in line for line in subprocess.run(
        ["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines() if "postgres" in line)

    again = _demo(tmp_path, web, ingest)
    try:
        out = _run_until(again, r"data in place|generating the sample city", 180)
        assert "data in place: 60 employees" in out
        out = _run_until(again, r"Ctrl-C stops everything", 180)
        assert "ERROR" not in out                               # each gunicorn without a shared control socket
        assert "was already replayed by an earlier start" in out   # says so instead of a silent replay
    finally:
        assert _stop(again) == 0
