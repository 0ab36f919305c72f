"""Pull mode: read terminals that cannot push, over TCP 4370, with the `pyzk` library.

The terminal's whole log comes back on every read (the protocol has no "since"); every
record goes into the store-and-apply path and the unique (SN, PIN, time) key absorbs what
was stored before. (Filtering on the last stored time lost the punches a terminal wrote
after its clock was set back.) Nothing is stored until the read is complete, and the
terminal's log is never cleared, so a read cut off half-way is simply read again.

Each read runs in its own thread under a deadline: pyzk's socket timeout is per receive,
so a terminal that answers slowly but steadily would otherwise hold the pull for ever, and
a line closed mid-read made pyzk wait for the missing bytes in an endless loop.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from foundation import clock
from queries import terminals as q

from . import protocol, punches, registry
from .protocol import AttLog, BadLine

log = logging.getLogger("pantau.terminals")

DEADLINE_S = 120.0      # one terminal's whole read; a LAN read of 100,000 records takes seconds
PULL_WORKERS = 8        # terminals read at the same time by pull_known


@dataclass
class PullResult:
    sn: str
    host: str
    read: int
    outcome: punches.Outcome
    drift_s: float | None


@dataclass
class Reading:
    sn: str
    firmware: str | None
    device_time: object
    read_at: dt.datetime
    attendances: list


class PullError(RuntimeError):
    pass


class _Line:
    """pyzk's socket, except that a connection closed by the terminal raises instead of
    returning no bytes (pyzk waits for the rest of a data packet in a loop that never ends)."""

    def __init__(self, sock):
        self._sock = sock

    def recv(self, size: int, *flags) -> bytes:
        data = self._sock.recv(size, *flags)
        if not data and size:
            raise ConnectionError("the terminal closed the connection")
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


_SOCKET = "_ZK__sock"     # pyzk keeps its socket in this private attribute


def connect_pyzk(host: str, port: int, password: int, timeout: int):
    """An open pyzk connection (the library speaks ZKTeco's binary protocol over TCP/UDP)."""
    from zk import ZK
    from zk.exception import ZKError

    try:
        device = ZK(host, port=port, timeout=timeout, password=password, ommit_ping=True).connect()
    except (ZKError, OSError) as exc:
        raise PullError(f"cannot connect to terminal {host}:{port}: {exc}") from exc
    sock = getattr(device, _SOCKET, None)
    if isinstance(sock, socket.socket):
        setattr(device, _SOCKET, _Line(sock))
    return device


def _hang_up(device) -> None:
    """Cut a read that overran its deadline: pyzk's blocked receive then fails at once."""
    sock = getattr(device, _SOCKET, None)
    if sock is None:
        return
    for close in (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
        try:
            close()
        except OSError:
            pass


def _quietly(step, what: str, host: str) -> None:
    # after a failed read the line is often gone: its error, not this one, is the news
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - pyzk raises its own, socket and struct errors
        log.warning("terminal %s: %s failed (%s)", host, what, exc)


def _read(device, host: str) -> Reading:
    try:
        device.disable_device()           # no punches while its log is read
        try:
            sn = str(device.get_serialnumber()).strip()
            firmware = str(device.get_firmware_version() or "").strip() or None
            device_time = device.get_time()
            read_at = clock.now()
            attendances = device.get_attendance() or []
        finally:
            _quietly(device.enable_device, "enabling the terminal again", host)
    finally:
        _quietly(device.disconnect, "disconnecting", host)
    return Reading(sn, firmware, device_time, read_at, list(attendances))


def read(host: str, port: int, *, password: int = 0, timeout: int = 10, deadline_s: float = DEADLINE_S,
         connect=connect_pyzk) -> Reading:
    """The terminal's serial number, clock and whole log, or PullError (nothing half-read)."""
    box: dict = {}

    def work() -> None:
        try:
            box["device"] = connect(host, port, password, timeout)
            box["reading"] = _read(box["device"], host)
        except Exception as exc:  # noqa: BLE001 - any failure of the read is reported as PullError
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"pull {host}:{port}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        _hang_up(box.get("device"))
        raise PullError(f"terminal {host}:{port} did not finish its read within {deadline_s:g} s; "
                        "nothing of it was stored")
    error = box.get("error")
    if isinstance(error, PullError):
        raise error
    if error is not None:
        raise PullError(f"reading terminal {host}:{port} failed ({type(error).__name__}: {error}); "
                        "nothing of it was stored") from error
    return box["reading"]


def to_records(attendances) -> tuple[list[AttLog], list[BadLine]]:
    """pyzk Attendance objects (user_id, timestamp, status = verify, punch = state) as ATTLOG lines."""
    records, bad = [], []
    for n, a in enumerate(attendances, 1):
        when = a.timestamp.strftime("%Y-%m-%d %H:%M:%S") if isinstance(a.timestamp, dt.datetime) else str(a.timestamp)
        parsed = protocol.parse_attlog_line(f"{str(a.user_id).strip()}\t{when}\t{a.punch}\t{a.status}", n)
        (records if isinstance(parsed, AttLog) else bad).append(parsed)
    return records, bad


def pull(rt, host: str, port: int = 4370, *, password: int = 0, timeout: int = 10,
         deadline_s: float = DEADLINE_S, connect=connect_pyzk) -> PullResult:
    """Read one terminal whole, then store what is new and remember where it stopped."""
    reading = read(host, port, password=password, timeout=timeout, deadline_s=deadline_s, connect=connect)
    sn, read_at = reading.sn, reading.read_at
    if not protocol.valid_sn(sn):
        raise PullError(f"terminal {host}:{port} reported serial number {sn!r}, which is not valid")

    with rt.transaction() as conn:
        terminal = punches.touch(conn, sn, read_at, heartbeat=True, firmware=reading.firmware)
        q.save_pull_source(conn, sn, host, port)
    records, bad = to_records(reading.attendances)
    outcome = punches.receive(rt, sn, records, bad, via="pull", now=read_at, defer_live=False)
    drift = None
    if isinstance(reading.device_time, dt.datetime):
        zone = registry.clock_zone(rt.config, terminal)
        drift = round((reading.device_time.replace(tzinfo=zone) - read_at).total_seconds(), 1)
    with rt.transaction() as conn:
        # the terminal's row before its pull source, as in every other transaction here:
        # two pulls of one terminal at once (cron and a hand-run pull) must not deadlock
        punches.touch(conn, sn, read_at)
        if drift is not None:
            q.set_drift(conn, sn, drift)
        q.save_pull_position(conn, sn, last_local_time=max((r.local_time for r in records), default=None),
                             count=len(reading.attendances), error=None, now=read_at)
    return PullResult(sn, host, len(reading.attendances), outcome, drift)


def pull_known(rt, *, password: int = 0, timeout: int = 10, deadline_s: float = DEADLINE_S,
               connect=connect_pyzk, workers: int = PULL_WORKERS) -> list[PullResult | PullError]:
    """Read every terminal pulled before, several at once; one unreachable or slow terminal
    does not hold up the others."""
    with rt.connection() as conn:
        sources = q.pull_sources(conn)

    def one(source: dict) -> PullResult | PullError:
        try:
            return pull(rt, source["host"], source["port"], password=password, timeout=timeout,
                        deadline_s=deadline_s, connect=connect)
        except PullError as exc:
            with rt.transaction() as conn:
                q.save_pull_position(conn, source["sn"], last_local_time=None, count=None, error=str(exc),
                                     now=clock.now())
            log.warning("%s", exc)
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources))), thread_name_prefix="pull") as pool:
        return list(pool.map(one, sources))
