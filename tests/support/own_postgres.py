"""A Postgres server of the test's own, which the test may stop, restart and freeze.

Never the system server: a fresh cluster (pgserver's bundled binaries) in a temporary
directory, listening on 127.0.0.1 at a free port, so the app reaches it over TCP as it
would in production (keepalives and tcp_user_timeout only apply to TCP).

    with own_postgres() as pg:          # started; stopped and removed afterwards
        url = pg.url("pantau")          # postgresql+psycopg2://postgres@127.0.0.1:PORT/pantau
        pg.freeze(); pg.thaw()          # SIGSTOP / SIGCONT to every server process
        pg.stop(); pg.start()           # a fast shutdown and a start on the same port
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.support.servers import free_port

# pgserver is a dependency of the embedded set-up: its initdb, pg_ctl and psql are there on
# a fresh clone (each a function running that binary, `-D pgdata` added when given)
import pgserver

SERVER_USER = "pgserver"   # initdb refuses to run as root; pgserver makes this user too


class OwnPostgres:
    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.frozen: list[psutil.Process] = []

    # --- the server ---------------------------------------------------------------------

    def init(self) -> None:
        pgserver.initdb(["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"], pgdata=self.data,
                        **_as_server_user())

    def start(self) -> None:
        pgserver.pg_ctl(["-l", str(self.log), "-w", "-t", "60",
                         "-o", f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off "
                               "-c max_connections=200 -c shared_buffers=32MB", "start"],
                        pgdata=self.data, timeout=120, **_as_server_user())

    def stop(self, mode: str = "fast") -> None:
        pgserver.pg_ctl(["-m", mode, "-w", "-t", "60", "stop"], pgdata=self.data, timeout=120, **_as_server_user())

    def pids(self) -> list[psutil.Process]:
        """The postmaster and every process it started (backends, checkpointer, ...)."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> None:
        """SIGSTOP every server process: connections stay open, nothing answers."""
        self.frozen = self.pids()
        for proc in self.frozen:
            proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for proc in self.frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGCONT)
        self.frozen = []

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        pgserver.psql(["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                       "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"'], timeout=60)
        return self.url(name)


def _as_server_user() -> dict:
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True)
    return {"user": SERVER_USER}


def _owned_by_server_user(directory: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVER_USER)
        os.chown(directory, entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def own_postgres():
    """A started server of this test's own; stopped (thawed first) and removed afterwards."""
    _as_server_user()
    # under /tmp, not pytest's tmp_path: the server user must be able to reach it
    directory = Path(tempfile.mkdtemp(prefix="pantau-own-pg-"))
    _owned_by_server_user(directory)
    server = OwnPostgres(directory, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.thaw()
        with contextlib.suppress(subprocess.SubprocessError):
            if (server.data / "postmaster.pid").exists():
                server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_server():
    """The module's own Postgres (see own_postgres)."""
    with own_postgres() as server:
        yield server


def wait_until(check, timeout_s: float = 60, every_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every_s)
    return check()
