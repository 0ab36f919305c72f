"""Helpers for the mobile API tests: phones, bodies, a real gunicorn on a set clock."""
from __future__ import annotations

import contextlib
import datetime as dt
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from ingest import devices
from foundation.clock import ENV as CLOCK_ENV, demo_spec
from tests.support.servers import free_port
from tests.support import factories
from tests.conftest import ROOT, runtime_env

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000 + b"\xff\xd9"


def new_phone(rt, client, unit: str = "DINKES", device_id: str | None = None, **emp) -> dict:
    """An employee with an activated phone: {'employee', 'headers', 'token', 'device_id'}."""
    employee = factories.employee(rt, unit, **emp)
    code = devices.issue_code(rt, employee["nip"], "test").code
    device_id = device_id or f"android-{uuid.uuid4().hex[:12]}"
    r = client.post("/api/v1/devices/activate", json={
        "nip": employee["nip"], "code": code, "device_id": device_id, "device_model": "Samsung Galaxy A14"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    return {"employee": employee, "token": token, "device_id": device_id,
            "headers": {"Authorization": f"Bearer {token}"}}


def body(rt, moment: dt.datetime, office: str = "DINKES-1", north_m: float = 0.0, **kw) -> dict:
    """A check-in body at an office (optionally `north_m` metres north of it)."""
    o = rt.config.office_by_code[office]
    location = {"lat": o.lat + north_m / 111_195, "lon": o.lon, "accuracy_m": 8.0, "mock": False,
                "provider": "fused"}
    location.update(kw.pop("location", {}))
    out = {"event_id": str(uuid.uuid4()), "captured_at": moment.isoformat(), "location": location,
           "offline": False}
    out.update(kw)
    return out


class Server:
    """A running API: its URL and the clock it judges by (PANTAU_DEMO_CLOCK, speed 1)."""

    def __init__(self, url: str, start: dt.datetime | None, real: float, log: Path | None = None):
        self.url, self.start, self.real, self.log = url, start, real, log

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's own log, for a failing test's message."""
        return self.log.read_text(errors="replace")[-chars:] if self.log and self.log.exists() else ""

    def now(self) -> dt.datetime:
        if self.start is None:
            return dt.datetime.now(dt.timezone.utc)
        return self.start + dt.timedelta(seconds=time.time() - self.real)


@contextlib.contextmanager
def gunicorn(rt, clock_at: dt.datetime | None = None, env: dict | None = None, workers: int = 2):
    """The Procfile's ingest process on a free port, against the runtime's servers."""
    port = free_port()
    full_env = runtime_env(rt)
    full_env.update(PANTAU_LOG_LEVEL="WARNING", **(env or {}))
    real = time.time()
    if clock_at is not None:
        full_env[CLOCK_ENV] = demo_spec(clock_at, 1.0, real)
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
           "--worker-class", "ingest.serving.Worker", "--bind", f"127.0.0.1:{port}",
           "--graceful-timeout", "5", "ingest.app:create_app()"]
    log = Path(rt.settings.var_dir) / f"gunicorn-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, workers, log)
        yield Server(base, clock_at, real, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc, base: str, workers: int, log: Path) -> None:
    """Until /healthz answers from every worker (each boots on its own)."""
    deadline = time.monotonic() + 90
    seen_ok = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                seen_ok += 1
                if seen_ok >= 3 * workers:
                    return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready: {log.read_text()[-3000:]}")
