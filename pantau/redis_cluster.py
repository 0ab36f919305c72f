"""A local Redis Cluster for tests, CI and trying things: Redis 7's own cluster mode (Debian's
redis-server), primaries only, on loopback, each node in its own directory.

`up` starts the nodes (daemonised, pid files in the directory), joins them with
`redis-cli --cluster create` and waits until every node reports `cluster_state:ok`; `down`
stops the nodes it finds pid files for. Nothing is saved: a cluster's data is the live
state, rebuilt from Postgres.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

DEFAULT_PORTS = (18601, 18602, 18603)


class ClusterError(RuntimeError):
    pass


def url(ports, host: str = "127.0.0.1") -> str:
    """The REDIS_URL of a cluster on `ports` (every node a seed)."""
    return "redis+cluster://" + ",".join(f"{host}:{p}" for p in ports)


def up(directory: Path, ports=DEFAULT_PORTS, bus_ports=None, timeout_s: float = 30) -> str:
    """Start a cluster of len(ports) primaries (at least 3); returns its REDIS_URL.
    bus_ports: the nodes' cluster bus ports (default: port + 10000, as Redis does)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        raise ClusterError("redis-server and redis-cli are needed (Debian: apt-get install redis-server)")
    if len(ports) < 3:
        raise ClusterError("a Redis Cluster needs at least 3 primaries")
    bus_ports = bus_ports or [p + 10000 for p in ports]
    directory = Path(directory).resolve()
    for port, bus in zip(ports, bus_ports):
        node = directory / str(port)
        if (node / "redis.pid").exists():
            raise ClusterError(f"a node already runs from {node} (pantau dev redis-cluster down first)")
        node.mkdir(parents=True, exist_ok=True)
        (node / "nodes.conf").unlink(missing_ok=True)   # a fresh cluster, not an old one's slots
        start_node(directory, port, bus, timeout_s)
    created = subprocess.run(
        [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0",
         "--cluster-yes"], capture_output=True, text=True)
    if created.returncode != 0:
        down(directory)
        raise ClusterError(f"redis-cli --cluster create failed:\n{created.stdout}{created.stderr}")
    wait_ok(ports, timeout_s)
    return url(ports)


def start_node(directory: Path, port: int, bus_port: int, timeout_s: float = 30) -> None:
    """Start one node from `directory`/`port`; a node that was in a cluster rejoins it with
    its slots (nodes.conf) and no data (nothing is saved)."""
    node = Path(directory).resolve() / str(port)
    subprocess.run(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--cluster-port", str(bus_port),
         "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
         "--cluster-node-timeout", "5000", "--dir", str(node), "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(node / "redis.pid"), "--logfile", str(node / "redis.log")],
        check=True)
    _wait(lambda: _cli(shutil.which("redis-cli") or "redis-cli", port, "ping") == "PONG", timeout_s,
          f"node {port} did not start; see {node / 'redis.log'}")


def wait_ok(ports, timeout_s: float = 30) -> None:
    """Until every node reports cluster_state:ok (all slots served)."""
    cli = shutil.which("redis-cli") or "redis-cli"
    for port in ports:
        _wait(lambda: "cluster_state:ok" in _cli(cli, port, "cluster", "info"), timeout_s,
              f"node {port} never reported cluster_state:ok")


def down(directory: Path) -> list[int]:
    """Stop the nodes started from `directory` (by their pid files); returns their ports."""
    stopped = []
    for pidfile in sorted(Path(directory).glob("*/redis.pid")):
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):   # SIGTERM: the node exits (it saves nothing: --save "")
                os.kill(pid, 0)
                time.sleep(0.05)
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)
        stopped.append(int(pidfile.parent.name))
    return stopped


def _cli(cli: str, port: int, *args: str) -> str:
    done = subprocess.run([cli, "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True)
    return done.stdout.strip()


def _wait(ready, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise ClusterError(what)
        time.sleep(0.1)
