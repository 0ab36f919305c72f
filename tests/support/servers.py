"""A web process under test: started, probed until it answers, stopped with the test."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


@contextlib.contextmanager
def serving(cmd: list[str], cwd: Path, env: dict, probe_url: str, log_path: Path, timeout_s: float = 60):
    """Run `cmd`, yield once `probe_url` answers, terminate afterwards; output goes to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)   # tests/artifacts is not in a fresh clone
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while not _answers(probe_url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{cmd[-1]} did not start; see {log_path}")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
