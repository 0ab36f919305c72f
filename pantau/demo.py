"""`pantau demo`: everything a visitor needs to see Pantau work, in one command.

Embedded servers (unless DATABASE_URL / REDIS_URL are set), migrations, the sample city
with history, the Procfile's processes (web, ingest, worker), then a live morning on an
accelerated clock: phones through the mobile API and terminals through the push protocol,
the same code paths as real check-ins. Ctrl-C stops everything cleanly.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import signal
import time

from foundation import clock
from .processes import Children, port_free, procfile
from foundation.runtime import Runtime, boot

log = logging.getLogger("pantau.demo")

HISTORY_SEED = 7                  # demo_data.populate's seed: the habits of the history
TERMINAL_KINDS = ("sekolah",)     # schools without internet use the fingerprint terminal
DEMO_USERS = (("sekda", "sekda", None), ("bkpp", "bkpp", None), ("inspektorat", "inspektorat", None),
              ("kadinkes", "kepala_unit", "DINKES"))


def morning_date(rt: Runtime) -> dt.date:
    """The first regular work day from today on: the morning must be one to show anything."""
    from ingest.rules.calendar import calendar_for

    day = clock.today(rt.config.zone)
    calendar = calendar_for(rt.config)
    while calendar.plan(rt.config.default_schedule, day, rt.config.zone) is None:
        day += dt.timedelta(days=1)
    return day


def _ensure_data(rt: Runtime, employees: int, days: int, day: dt.date) -> None:
    from ingest.synthetic.demo_data import populate, work_days_back
    from queries import synthetic as qs

    last = day - dt.timedelta(days=1)
    with rt.connection() as conn:
        have = len(qs.active_employees(conn))
        history = qs.check_in_count(conn, work_days_back(rt.config, last, days), last)
    if have >= employees and history:
        print(f"data in place: {have} employees, {history} check-ins of history (kept from the last run)")
        return
    print(f"generating the sample city: {employees} employees, {days} work days of history ...", flush=True)
    stats = populate(rt, employees, days, last)
    print(f"  {stats['check_ins']} check-ins, {stats['leaves']} leaves in {stats['seconds']} s")


def _ensure_access(rt: Runtime) -> tuple[dict[str, str], str]:
    """Demo logins (fresh passwords each run, printed once) and a kiosk link for the wall."""
    from dashboard.auth import hash_password, hash_token, new_kiosk_token
    from queries import audit
    from queries import users as qu

    passwords = {}
    with rt.transaction() as conn:
        for username, role, unit in DEMO_USERS:
            passwords[username] = secrets.token_urlsafe(9)
            user = qu.user_by_username(conn, username)
            if user is None:
                qu.add_user(conn, username, hash_password(passwords[username]), role, unit, f"Demo {role}")
                audit.record(conn, "demo", "user.add", username, after={"role": role, "unit_code": unit})
            else:
                qu.set_password(conn, user["id"], hash_password(passwords[username]))
                audit.record(conn, "demo", "user.password", username, reason="demo restart")
        kiosk = new_kiosk_token()
        row = qu.add_kiosk_token(conn, "Demo: layar ruang kepala daerah", hash_token(kiosk), True, "demo")
        audit.record(conn, "demo", "kiosk.add", f"kiosk:{row['id']}", after={"show_names": True})
    return passwords, kiosk


def _child_env(rt: Runtime, args, clock_spec: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        **rt.database_env(), REDIS_URL=rt.urls.redis_url,
        PANTAU_REDIS_PREFIX=rt.settings.redis_prefix, PANTAU_CONFIG=str(rt.settings.config_path),
        PANTAU_VAR_DIR=str(rt.settings.var_dir), PANTAU_SECRET_KEY=rt.settings.secret_key,
        PANTAU_DEMO_CLOCK=clock_spec, PORT=str(args.web_port), INGEST_PORT=str(args.ingest_port),
        PANTAU_EMBEDDED_SERVERS="1" if rt.urls.embedded_database else "0",
        # every simulated phone comes from 127.0.0.1: per-IP limits would throttle the fleet
        PANTAU_RATE_IP="1000000/minute", PANTAU_RATE_ACTIVATE_IP="1000000/minute",
    )
    return env


def morning_cast(rt: Runtime, day: dt.date, start: dt.datetime, end: dt.datetime, seed: int = HISTORY_SEED
                 ) -> tuple[list[tuple[str, object, dt.datetime]], dict[str, list[str]], dict[str, dt.datetime]]:
    """Who checks in this morning: (NIP, office, arrival) by phone, and the PINs punched per
    school terminal office: the employee's terminal PIN, the NIP only when none is mapped (as
    a terminal enrolled by NIP would send it), with each PIN's arrival. Each arrival follows the employee's own habit,
    drawn as the history drew it, so the live morning is as late as the past weeks."""
    import random

    from ingest.rules.calendar import calendar_for
    from ingest.synthetic.history import habit
    from queries import synthetic as qs

    config = rt.config
    calendar = calendar_for(config)
    with rt.connection() as conn:
        staff = qs.active_employees(conn)
    web = web_page_employee(config, staff)
    mobile, at_terminal, punched_at = [], {}, {}
    for emp in staff:
        if web is not None and emp["id"] == web["id"]:
            continue          # kept for the person trying the employee's page: no simulated phone
        zone = config.unit_zone(emp["unit_code"])
        plan = calendar.plan(emp["schedule_code"], day, zone)
        if plan is None or not (start <= plan.start <= end):
            continue          # off today, or a shift that does not start this morning
        office = config.unit_offices(emp["unit_code"])[0]
        rng = random.Random(seed * 1_000_003 + emp["id"])     # history.load's stream for this employee
        h = habit(rng)
        arrival = min(max(plan.start + dt.timedelta(minutes=rng.gauss(h.arrive, h.arrive_spread)), start), end)
        if config.unit_by_code[emp["unit_code"]].kind in TERMINAL_KINDS:
            pin = emp["terminal_pin"] or emp["nip"].strip()
            at_terminal.setdefault(office.code, []).append(pin)
            punched_at[pin] = arrival
        else:
            mobile.append((emp["nip"], office, arrival))
    return mobile, at_terminal, punched_at


def web_page_employee(config, staff: list[dict]) -> dict | None:
    """The employee the demo leaves to a person trying /app/: the first one checking in by phone."""
    return min((e for e in staff if config.unit_by_code[e["unit_code"]].kind not in TERMINAL_KINDS),
               key=lambda e: e["id"], default=None)


def _web_page_code(rt: Runtime) -> tuple[str, str] | None:
    """A fresh activation code for the web page's demo employee (a new browser each start)."""
    from ingest import devices
    from queries import synthetic as qs

    with rt.connection() as conn:
        employee = web_page_employee(rt.config, qs.active_employees(conn))
    if employee is None:
        return None
    devices.reset(rt, employee["nip"], by="demo", reason="demo restart: the web page binds a new browser")
    return employee["nip"], devices.issue_code(rt, employee["nip"], "demo").code


async def _play_morning(rt: Runtime, ingest_url: str, day: dt.date, start: dt.datetime, end: dt.datetime,
                        speed: float) -> str:
    from ingest import devices
    from ingest.simulate import phones as sim_phones
    from ingest.simulate import terminals as sim_terminals

    mobile, at_terminal, punched_at = morning_cast(rt, day, start, end)
    # a phone from an earlier run is still bound: release it as BKPP would for a new phone
    for nip, _, _ in mobile:
        devices.reset(rt, nip, by="demo", reason="demo restart: new simulated phone")
    codes = devices.issue_codes(rt, [nip for nip, _, _ in mobile], issued_by="demo")
    phones = [sim_phones.Phone(nip, codes[nip], office.lat, office.lon) for nip, office, _ in mobile]
    print(f"activating {len(phones)} simulated phones; {sum(map(len, at_terminal.values()))} staff at "
          f"{len(at_terminal)} school terminals ...", flush=True)
    await sim_phones.activate_all(ingest_url, phones)
    clock_start = clock.now()     # the demo clock, started just before the window
    arrivals = [max(0.0, (at - clock_start).total_seconds() / speed) for _, _, at in mobile]
    fleet = sim_terminals.plan(rt, at_terminal, day_start=start, spread_min=int((end - start).total_seconds() // 60),
                               arrivals=punched_at)
    duration_s = (end - start).total_seconds() / speed
    progress = asyncio.create_task(_progress(rt, day, rt.config.zone))
    try:
        phone_report, terminal_report = await asyncio.gather(
            sim_phones.morning(ingest_url, phones, now=clock.now, duration_s=duration_s, arrivals=arrivals),
            sim_terminals.morning(ingest_url, fleet, until=end, now=clock.now),
        )
    finally:
        progress.cancel()
    return morning_summary(phone_report, terminal_report)


async def _progress(rt: Runtime, day: dt.date, zone, every_s: float = 10.0) -> None:
    """A line every few seconds while the morning plays: the demo clock and what is stored."""
    from queries import synthetic as qs

    def stored() -> int:
        with rt.connection() as conn:
            return qs.check_in_count(conn, day, day)
    while True:
        await asyncio.sleep(every_s)
        n = await asyncio.to_thread(stored)
        print(f"  {clock.now().astimezone(zone):%H.%M}: {n:,} check-ins stored so far".replace(",", "."), flush=True)


STATUS_WORDS = {201: "stored", 200: "answered again (a retry of a stored check-in)", 429: "throttled",
                409: "refused as a conflict", 422: "refused as malformed"}


def morning_summary(phone_report, terminal_report) -> str:
    """The morning in words: what happened to the phones' check-ins and the terminals' lines."""
    statuses = phone_report.statuses
    sent = sum(statuses.values())
    parts = [f"{n:,} {STATUS_WORDS.get(code, f'answered HTTP {code}')}" for code, n in sorted(
        statuses.items(), key=lambda kv: -kv[1])]
    verdicts = ", ".join(f"{n:,} {v}" for v, n in phone_report.verdicts.most_common())
    return (f"phones sent {sent:,} check-ins: {'; '.join(parts) or 'none'}"
            + (f" (verdicts: {verdicts})" if verdicts else "")
            + f"; {phone_report.retries:,} retried after a busy answer.\n"
            f"  school terminals sent {terminal_report.lines:,} punches in {terminal_report.uploads:,} uploads "
            f"({terminal_report.resent_batches:,} resent, {terminal_report.reboots:,} reboot(s)).")


BOOT_S, ACTIVATE_S = 15.0, 0.02     # generous: the servers' start, one phone's activation (s)


def _phone_count(rt: Runtime, day: dt.date, start: dt.datetime, end: dt.datetime) -> int:
    return len(morning_cast(rt, day, start, end)[0])


def _already_replayed(rt: Runtime, day: dt.date) -> int:
    """Check-ins already stored for the morning's date: a same-day restart would add nothing
    visible (the first check-in of the day counts), so it says so instead."""
    from queries import synthetic as qs

    with rt.connection() as conn:
        return qs.check_in_count(conn, day, day)


def _stop_requested(signum, frame):
    raise KeyboardInterrupt


def run_demo(args) -> int:
    for port in (args.web_port, args.ingest_port):
        if not port_free(port):
            print(f"error: port {port} is in use (choose another with --web-port / --ingest-port)")
            return 2
    children = rt = None
    signal.signal(signal.SIGTERM, _stop_requested)   # a service manager stops it as Ctrl-C does
    # started in the background from a script, SIGINT arrives ignored: Ctrl-C / kill -INT must still stop it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        rt = boot()
        day = morning_date(rt)
        _ensure_data(rt, args.employees, args.days, day)
        zone = rt.config.zone
        start = dt.datetime.combine(day, dt.time(7, 0), tzinfo=zone)
        end = dt.datetime.combine(day, dt.time(8, 0), tzinfo=zone)
        # the servers start and every phone activates before 06:58 on the demo clock, so no
        # one arrives late only because activation took real minutes
        lead_s = 0.0 if args.no_morning else BOOT_S + ACTIVATE_S * _phone_count(rt, day, start, end)
        spec = clock.demo_spec(start - dt.timedelta(minutes=2), args.speed, real=time.time() + lead_s)
        os.environ[clock.ENV] = spec   # this process plays the morning on the same clock
        passwords, kiosk = _ensure_access(rt)
        children = Children(_child_env(rt, args, spec))
        web = f"http://127.0.0.1:{args.web_port}"
        ingest = f"http://127.0.0.1:{args.ingest_port}"
        commands = procfile()
        for name in ("ingest", "web", "worker"):
            children.start(name, commands[name])
        children.wait_http("ingest", f"{ingest}/healthz")
        children.wait_http("web", f"{web}/login")
        print("\nPantau demo is running:")
        print(f"  wall display   {web}/wall?kiosk={kiosk}")
        print(f"  dashboard      {web}/   logins: " + ", ".join(f"{u} / {p}" for u, p in passwords.items()))
        print(f"  mobile API     {ingest}/api/v1/docs   (health: {ingest}/healthz)")
        web_code = _web_page_code(rt)
        if web_code:
            print(f"  employee page  {ingest}/app/   activate with NIP {web_code[0]} and code {web_code[1]}")
        print(f"  terminals      {ingest}/iclock/cdata  (ZKTeco push protocol)")
        replayed = _already_replayed(rt, day) if not args.no_morning else 0
        if replayed:
            print(f"  morning        {day} was already replayed by an earlier start ({replayed:,} check-ins "
                  f"stored); the wall shows it as it ended. Nothing is replayed again.", flush=True)
        elif not args.no_morning:
            print(f"  morning        {day} 07:00-08:00 at {args.speed:g}x: "
                  f"{(end - start).total_seconds() / args.speed / 60:.1f} minutes.", flush=True)
        print("  Ctrl-C stops everything.\n", flush=True)
        if not args.no_morning and not replayed:
            summary = asyncio.run(_play_morning(rt, ingest, day, start, end, args.speed))
            print(f"morning done: {summary}", flush=True)
        while True:
            dead = children.check()
            if dead:
                print(f"error: the {dead} process stopped; stopping the demo")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        if children is not None:
            children.stop()
        from foundation.services import stop_embedded

        stop_embedded(rt)
