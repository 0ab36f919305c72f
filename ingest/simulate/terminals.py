"""Simulated fingerprint terminals speaking the ZKTeco PUSH protocol over HTTP (httpx only).

For `pantau demo`, alongside the phones: each terminal handshakes, sends a heartbeat and
answers the commands it is given, pushes every punch as it happens, and now and then
loses a reply (and sends the batch again). One can be stuck at the wrong time zone
(firmware at UTC+8 in a WIB office: the dashboard shows it clock-drifted), one reboots
mid-morning and sends its whole log again (nothing is counted twice).

    fleet = plan(rt, staff_by_office, wrong_zone=1, rebooting=1)   # approves the terminals
    report = await morning(url, fleet, until=end, now=foundation.clock.now)
"""
from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import httpx

from foundation import clock as server_clock


@dataclass
class SimTerminal:
    sn: str
    office_code: str
    utc_offset_minutes: int                    # the terminal's own clock
    schedule: list[tuple[dt.datetime, str, int]] = field(default_factory=list)  # (UTC moment, PIN, state)
    log: list[str] = field(default_factory=list)     # ATTLOG lines it holds
    sent: int = 0                                    # lines the server acknowledged
    reboot_at: dt.datetime | None = None
    lose_reply_rate: float = 0.05

    def local(self, moment: dt.datetime) -> dt.datetime:
        return (moment.astimezone(dt.timezone.utc) + dt.timedelta(minutes=self.utc_offset_minutes)).replace(tzinfo=None)

    def line(self, pin: str, moment: dt.datetime, state: int) -> str:
        return f"{pin}\t{self.local(moment):%Y-%m-%d %H:%M:%S}\t{state}\t1\t0\t0"


@dataclass
class Report:
    lines: int = 0
    uploads: int = 0
    resent_batches: int = 0
    reboots: int = 0
    heartbeats: int = 0
    commands: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)


def plan(rt, staff_by_office: dict[str, list[str]], *, day_start: dt.datetime, spread_min: int = 90,
         wrong_zone: int = 1, rebooting: int = 1, seed: int = 7, prefix: str = "DEMO",
         arrivals: dict[str, dt.datetime] | None = None) -> list[SimTerminal]:
    """One approved terminal per office with its staff's morning punches (PINs: mapped or NIPs),
    at `arrivals[pin]` when given, else spread evenly over `spread_min` from `day_start`.

    The first `wrong_zone` terminals run at UTC+8 while the registry says the office's zone;
    the next `rebooting` ones reboot halfway through and resend everything.
    """
    from ingest.terminals import registry

    rnd = random.Random(seed)
    fleet = []
    for n, (office, pins) in enumerate(sorted(staff_by_office.items())):
        zone = rt.config.office_zone(rt.config.office_by_code[office])
        sn = f"{prefix}{n + 1:04d}"
        registry.approve(rt, sn, office, actor="demo", reason="simulated terminal")
        offset = 480 if n < wrong_zone else int(day_start.astimezone(zone).utcoffset().total_seconds() // 60)
        term = SimTerminal(sn, office, offset)
        for pin in pins:
            spread = day_start + dt.timedelta(seconds=rnd.randint(0, spread_min * 60))
            term.schedule.append(((arrivals or {}).get(pin, spread), pin, 0))
        term.schedule.sort()
        if wrong_zone <= n < wrong_zone + rebooting:
            term.reboot_at = day_start + dt.timedelta(minutes=spread_min // 2)
        fleet.append(term)
    return fleet


async def _post(client: httpx.AsyncClient, term: SimTerminal, lines: list[str], report: Report) -> bool:
    r = await client.post("/iclock/cdata", params={"SN": term.sn, "table": "ATTLOG",
                                                   "Stamp": str(term.sent + len(lines))},
                          content=("\n".join(lines) + "\n").encode())
    report.uploads += 1
    if r.status_code != 200 or not r.text.startswith("OK"):
        report.errors[r.status_code] += 1
        return False
    return True


async def _upload(client: httpx.AsyncClient, term: SimTerminal, report: Report, rnd: random.Random) -> None:
    pending = term.log[term.sent:]
    if not pending:
        return
    if not await _post(client, term, pending, report):
        return
    if rnd.random() < term.lose_reply_rate:      # the reply never reached the terminal
        report.resent_batches += 1
        if not await _post(client, term, pending, report):
            return
    term.sent += len(pending)
    report.lines += len(pending)


async def _heartbeat(client: httpx.AsyncClient, term: SimTerminal, report: Report) -> None:
    r = await client.get("/iclock/getrequest", params={"SN": term.sn, "INFO": "Ver 6.60 Demo,0,0,0,10.0.0.1"})
    report.heartbeats += 1
    results = []
    for line in r.text.splitlines():
        if line.startswith("C:"):
            _, cid, command = line.split(":", 2)
            report.commands[command.split("=")[0]] += 1
            # a stuck firmware acknowledges a time sync too, and keeps its wrong zone
            results.append(f"ID={cid}&Return=0&CMD={command.split(' ')[0]}")
    if results:
        await client.post("/iclock/devicecmd", params={"SN": term.sn}, content=("\n".join(results) + "\n").encode())


async def morning(url: str, fleet: list[SimTerminal], *, until: dt.datetime,
                  now: Callable[[], dt.datetime] = server_clock.now, tick_s: float = 0.5,
                  heartbeat_every: int = 10, seed: int = 11, host: str | None = None) -> Report:
    """Run the fleet until every scheduled punch is sent or the (demo) clock reaches `until`.
    `host`: the Host header (a region's `<code>.localhost:port`), as for the phones."""
    report = Report()
    rnd = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"Host": host} if host else None) as client:
        for term in fleet:
            await client.get("/iclock/cdata", params={"SN": term.sn, "options": "all", "pushver": "2.4.1",
                                                      "language": "69"})
        ticks = 0
        while True:
            moment = now()
            for term in fleet:
                while term.schedule and term.schedule[0][0] <= moment:
                    at, pin, state = term.schedule.pop(0)
                    term.log.append(term.line(pin, at, state))
                if term.reboot_at is not None and moment >= term.reboot_at and term.sent:
                    term.reboot_at, term.sent = None, 0          # forgets its stamp: sends it all again
                    report.reboots += 1
                    await client.get("/iclock/cdata", params={"SN": term.sn, "options": "all"})
                try:
                    await _upload(client, term, report, rnd)
                    if ticks % heartbeat_every == 0:
                        await _heartbeat(client, term, report)
                except httpx.HTTPError as exc:
                    report.errors[type(exc).__name__] += 1
            ticks += 1
            done = all(not t.schedule and t.sent == len(t.log) and t.reboot_at is None for t in fleet)
            if done or moment >= until:
                return report
            await asyncio.sleep(tick_s)
