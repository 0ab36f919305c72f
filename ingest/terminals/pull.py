"""Pull mode: read terminals that cannot push, over TCP 4370, with the `pyzk` library.

The terminal's whole log comes back on every read (the protocol has no "since"), so only
records at or after the last stored position go into the store-and-apply path; the
unique (SN, PIN, time) key absorbs the overlap at the boundary.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from foundation import clock
from queries import terminals as q

from . import protocol, punches, registry
from .protocol import AttLog, BadLine

log = logging.getLogger("pantau.terminals")


@dataclass
class PullResult:
    sn: str
    host: str
    read: int
    outcome: punches.Outcome
    drift_s: float | None


class PullError(RuntimeError):
    pass


def connect_pyzk(host: str, port: int, password: int, timeout: int):
    """An open pyzk connection (the library speaks ZKTeco's binary protocol over TCP/UDP)."""
    from zk import ZK
    from zk.exception import ZKError

    try:
        return ZK(host, port=port, timeout=timeout, password=password, ommit_ping=True).connect()
    except (ZKError, OSError) as exc:
        raise PullError(f"cannot connect to terminal {host}:{port}: {exc}") from exc


def to_records(attendances) -> tuple[list[AttLog], list[BadLine]]:
    """pyzk Attendance objects (user_id, timestamp, status = verify, punch = state) as ATTLOG lines."""
    records, bad = [], []
    for n, a in enumerate(attendances, 1):
        when = a.timestamp.strftime("%Y-%m-%d %H:%M:%S") if isinstance(a.timestamp, dt.datetime) else str(a.timestamp)
        parsed = protocol.parse_attlog_line(f"{str(a.user_id).strip()}\t{when}\t{a.punch}\t{a.status}", n)
        (records if isinstance(parsed, AttLog) else bad).append(parsed)
    return records, bad


def pull(rt, host: str, port: int = 4370, *, password: int = 0, timeout: int = 10, connect=connect_pyzk
         ) -> PullResult:
    """Read one terminal, store what is new, remember where it stopped."""
    device = connect(host, port, password, timeout)
    try:
        device.disable_device()           # no punches while its log is read
        try:
            sn = str(device.get_serialnumber()).strip()
            firmware = str(device.get_firmware_version() or "").strip() or None
            device_time = device.get_time()
            read_at = clock.now()
            attendances = device.get_attendance() or []
        finally:
            device.enable_device()
    finally:
        device.disconnect()
    if not protocol.valid_sn(sn):
        raise PullError(f"terminal {host}:{port} reported serial number {sn!r}, which is not valid")

    with rt.transaction() as conn:
        terminal = punches.touch(conn, sn, read_at, heartbeat=True, firmware=firmware)
        q.save_pull_source(conn, sn, host, port)
        since = q.pull_source(conn, sn)["last_local_time"]
    records, bad = to_records(attendances)
    fresh = [r for r in records if since is None or r.local_time >= since]
    outcome = punches.receive(rt, sn, fresh, bad if since is None else [], via="pull", now=read_at,
                              defer_live=False)
    outcome.duplicate += len(records) - len(fresh)
    drift = None
    if isinstance(device_time, dt.datetime):
        zone = registry.clock_zone(rt.config, terminal)
        drift = round((device_time.replace(tzinfo=zone) - read_at).total_seconds(), 1)
    with rt.transaction() as conn:
        q.save_pull_position(conn, sn, last_local_time=max((r.local_time for r in records), default=None),
                             count=len(attendances), error=None, now=read_at)
        if drift is not None:
            q.set_drift(conn, sn, drift)
    return PullResult(sn, host, len(attendances), outcome, drift)


def pull_known(rt, *, password: int = 0, timeout: int = 10, connect=connect_pyzk) -> list[PullResult | PullError]:
    """Read every terminal pulled before; one unreachable terminal does not stop the others."""
    with rt.connection() as conn:
        sources = q.pull_sources(conn)
    out: list[PullResult | PullError] = []
    for source in sources:
        try:
            out.append(pull(rt, source["host"], source["port"], password=password, timeout=timeout,
                            connect=connect))
        except PullError as exc:
            with rt.transaction() as conn:
                q.save_pull_position(conn, source["sn"], last_local_time=None, count=None, error=str(exc),
                                     now=clock.now())
            log.warning("%s", exc)
            out.append(exc)
    return out
