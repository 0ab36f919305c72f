"""Fixtures of the terminal tests: the server clock at START, the real `ingest` server
(gunicorn, one uvicorn worker) on it, and an HTTP client of that server."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, runtime_env
from tests.support.servers import free_port
from tests.support.terminals import START


@pytest.fixture(scope="module")
def demo_clock():
    """The server clock fixed at START (and running), in this process and the ones it starts."""
    from foundation import clock

    spec = clock.demo_spec(START, 1.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(clock.ENV, spec)
        yield spec



@pytest.fixture(scope="module")
def server(runtime, demo_clock, tmp_path_factory):
    """The real `ingest` server (gunicorn, one uvicorn worker) on the demo clock."""
    import httpx

    port = free_port()
    env = {**runtime_env(runtime), "PANTAU_DEMO_CLOCK": demo_clock}
    log_path = tmp_path_factory.mktemp("ingest") / "server.log"
    server_log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "uvicorn.workers.UvicornWorker",
         "--bind", f"127.0.0.1:{port}", "ingest.app:create_app()"],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/iclock/ping?SN=probe", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"ingest server did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    server_log.close()
    print(log_path.read_text()[-5000:])     # shown by pytest when a test of the module failed


@pytest.fixture
def client(server):
    import httpx

    with httpx.Client(base_url=server, timeout=30) as c:
        yield c
