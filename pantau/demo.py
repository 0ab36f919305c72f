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
from dataclasses import dataclass

from foundation import clock
from .processes import Children, port_free, procfile
from foundation.runtime import Runtime, boot

log = logging.getLogger("pantau.demo")

HISTORY_SEED = 7                  # demo_data.populate's seed: the habits of the history
TERMINAL_KINDS = ("sekolah",)     # schools without internet use the fingerprint terminal
DEMO_USERS = (("sekda", "sekda", None), ("bkpp", "bkpp", None), ("inspektorat", "inspektorat", None),
              ("kadinkes", "kepala_unit", "DINKES"))


def morning_date(rt: Runtime, from_day: dt.date | None = None) -> dt.date:
    """The first regular work day from today (or `from_day`) on: the morning must be one to show anything."""
    from ingest.rules.calendar import calendar_for

    day = from_day or clock.today(rt.config.zone)
    calendar = calendar_for(rt.config)
    while calendar.plan(rt.config.default_schedule, day, rt.config.zone) is None:
        day += dt.timedelta(days=1)
    return day


def _ensure_data(rt: Runtime, employees: int, days: int, day: dt.date, who: str = "",
                 seed: int = HISTORY_SEED) -> None:
    """`who`: the region's label before each line, with several regions ("" with one)."""
    from ingest.synthetic.demo_data import populate, work_days_back
    from queries import synthetic as qs

    last = day - dt.timedelta(days=1)
    with rt.connection() as conn:
        have = len(qs.active_employees(conn))
        history = qs.check_in_count(conn, work_days_back(rt.config, last, days), last)
    if have >= employees and history:
        print(f"{who}data in place: {have} employees, {history} check-ins of history (kept from the last run)")
        return
    print(f"{who}generating the sample city: {employees} employees, {days} work days of history ...", flush=True)
    stats = populate(rt, employees, days, last, seed=seed)
    print(f"  {stats['check_ins']} check-ins, {stats['leaves']} leaves in {stats['seconds']} s")


def _ensure_access(rt: Runtime, users=DEMO_USERS) -> tuple[dict[str, str], str]:
    """Demo logins (fresh passwords each run, printed once) and a kiosk link for the wall."""
    from dashboard.auth import ROLE_LABELS, hash_password, hash_token, new_kiosk_token
    from queries import audit
    from queries import users as qu

    passwords = {}
    with rt.transaction() as conn:
        for username, role, unit in users:
            passwords[username] = secrets.token_urlsafe(9)
            user = qu.user_by_username(conn, username)
            if user is None:
                qu.add_user(conn, username, hash_password(passwords[username]), role, unit,
                            f"Demo {ROLE_LABELS[role]}")   # the top bar shows it: words, not a code
                audit.record(conn, "demo", "user.add", username, after={"role": role, "unit_code": unit})
            else:
                qu.set_password(conn, user["id"], hash_password(passwords[username]))
                audit.record(conn, "demo", "user.password", username, reason="demo restart")
        kiosk = new_kiosk_token()
        row = qu.add_kiosk_token(conn, "Demo: layar ruang kepala daerah", hash_token(kiosk), True, "demo")
        audit.record(conn, "demo", "kiosk.add", f"kiosk:{row['id']}", after={"show_names": True})
    return passwords, kiosk


def _child_env(rt: Runtime, args, clock_spec: str) -> dict[str, str]:
    """The children's environment; with several regions they find them in the demo's regions
    dir and derive each region's role from DATABASE_URL (one app URL would name the own one's)."""
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
    if args.regions > 1:
        env["PANTAU_REGIONS_DIR"] = str(rt.settings.regions_dir)
        if env["DATABASE_URL"]:
            env.pop("PANTAU_APP_DATABASE_URL")
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


@dataclass
class Cast:
    """One region's morning, ready to play: its activated phones and its school terminals."""
    rt: Runtime
    start: dt.datetime
    end: dt.datetime
    phones: list
    arrive_at: list[dt.datetime]        # each phone's arrival on the demo clock
    fleet: list
    host: str | None                    # the Host header naming the region (None: one region)


async def _cast(rt: Runtime, ingest_url: str, day: dt.date, start: dt.datetime, end: dt.datetime,
                host: str | None = None, sn_prefix: str = "DEMO", who: str = "", seed: int = HISTORY_SEED) -> Cast:
    from ingest import devices
    from ingest.simulate import phones as sim_phones
    from ingest.simulate import terminals as sim_terminals

    mobile, at_terminal, punched_at = morning_cast(rt, day, start, end, seed)
    # a phone from an earlier run is still bound: release it as BKPP would for a new phone
    for nip, _, _ in mobile:
        devices.reset(rt, nip, by="demo", reason="demo restart: new simulated phone")
    codes = devices.issue_codes(rt, [nip for nip, _, _ in mobile], issued_by="demo")
    phones = [sim_phones.Phone(nip, codes[nip], office.lat, office.lon) for nip, office, _ in mobile]
    print(f"{who}activating {len(phones)} simulated phones; {sum(map(len, at_terminal.values()))} staff at "
          f"{len(at_terminal)} school terminals ...", flush=True)
    await sim_phones.activate_all(ingest_url, phones, host=host)
    fleet = sim_terminals.plan(rt, at_terminal, day_start=start, spread_min=int((end - start).total_seconds() // 60),
                               arrivals=punched_at, prefix=sn_prefix)
    return Cast(rt, start, end, phones, [at for _, _, at in mobile], fleet, host)


async def _play(cast: Cast, ingest_url: str, speed: float, clock_start: dt.datetime, give_up_s: float) -> str:
    from ingest.simulate import phones as sim_phones
    from ingest.simulate import terminals as sim_terminals

    arrivals = [max(0.0, (at - clock_start).total_seconds() / speed) for at in cast.arrive_at]
    duration_s = (cast.end - cast.start).total_seconds() / speed
    phone_report, terminal_report = await asyncio.gather(
        sim_phones.morning(ingest_url, cast.phones, now=clock.now, duration_s=duration_s, arrivals=arrivals,
                           give_up_after_s=give_up_s, host=cast.host),
        sim_terminals.morning(ingest_url, cast.fleet, until=cast.end, now=clock.now, host=cast.host),
    )
    return morning_summary(phone_report, terminal_report)


async def _play_mornings(regions: list, ingest_url: str, port: int, day: dt.date, speed: float) -> list[str]:
    """Every region's morning on the one demo clock: all phones activate first (in the
    mornings' order; activation load during a morning would make its phones' clocks look
    skewed), then each region's arrivals at its own 07:00-08:00 (with one region, exactly
    the old demo). Returns a summary per region, in `regions`' order."""
    from .demo_regions import host, window

    several = len(regions) > 1
    casts = {r.code: await _cast(r.rt, ingest_url, day, r.start, r.end, host(r.code, port) if several else None,
                                 "DEMO" if r.own else f"D{r.code}-", f"{r.label}: " if several else "", r.seed)
             for r in sorted(regions, key=lambda r: r.start)}
    clock_start = clock.now()     # the demo clock, started just before the first window
    start, end = window(regions)
    give_up_s = 600.0 + ((end - start).total_seconds() / speed if several else 0.0)
    progress = asyncio.create_task(_progress(regions, day))
    try:
        return await asyncio.gather(*(_play(casts[r.code], ingest_url, speed, clock_start, give_up_s)
                                      for r in regions))
    finally:
        progress.cancel()


async def _progress(regions: list, day: dt.date, every_s: float = 10.0) -> None:
    """A line every few seconds while the morning plays: the demo clock and what is stored
    (the own region's time; per region with several)."""
    from queries import synthetic as qs

    zone = regions[0].rt.config.zone

    def stored() -> list[int]:
        counts = []
        for r in regions:
            with r.rt.connection() as conn:
                counts.append(qs.check_in_count(conn, day, day))
        return counts
    while True:
        await asyncio.sleep(every_s)
        counts = await asyncio.to_thread(stored)
        now = clock.now().astimezone(zone)
        line = f"  {now:%H.%M}: {_n(sum(counts))} check-ins stored so far"
        if len(regions) > 1:
            line = (f"  {now:%H.%M} {now.tzname()}: {_n(sum(counts))} check-ins stored so far ("
                    + ", ".join(f"{r.label.split(' (')[0]} {_n(n)}" for r, n in zip(regions, counts)) + ")")
        print(line, flush=True)


def _n(count: int) -> str:
    return f"{count:,}".replace(",", ".")


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


def _phone_count(rt: Runtime, day: dt.date, start: dt.datetime, end: dt.datetime, seed: int = HISTORY_SEED) -> int:
    return len(morning_cast(rt, day, start, end, seed)[0])


def _already_replayed(rt: Runtime, day: dt.date) -> int:
    """Check-ins already stored for the morning's date: a same-day restart would add nothing
    visible (the first check-in of the day counts), so it says so instead."""
    from queries import synthetic as qs

    with rt.connection() as conn:
        return qs.check_in_count(conn, day, day)


def _stop_requested(signum, frame):
    raise KeyboardInterrupt


def set_up(args, settings=None) -> tuple[list, dt.date]:
    """The demo before its servers: every region booted with its data and its morning set
    (pantau/demo_regions.py); with --regions 1 the one city exactly as before."""
    from foundation.settings import load_settings

    from .demo_regions import common_morning, prepare

    regions = prepare(settings or load_settings(), args.regions, args.employees, args.days)
    day = common_morning(regions, morning_date)
    for r in regions:
        _ensure_data(r.rt, r.employees, r.days, day, f"{r.label}: " if len(regions) > 1 else "", r.seed)
    return regions, day


def run_demo(args) -> int:
    for port in (args.web_port, args.ingest_port):
        if not port_free(port):
            print(f"error: port {port} is in use (choose another with --web-port / --ingest-port)")
            return 2
    children = rt = None
    regions: list = []
    signal.signal(signal.SIGTERM, _stop_requested)   # a service manager stops it as Ctrl-C does
    # started in the background from a script, SIGINT arrives ignored: Ctrl-C / kill -INT must still stop it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from .demo_regions import default_speed, window

        regions, day = set_up(args)
        rt = regions[0].rt
        start, end = window(regions)
        speed = args.speed or default_speed(regions)
        # the servers start and every phone activates before 06:58 on the demo clock (the
        # first region's), so no one arrives late only because activation took real minutes
        # (each process boots every region before it answers)
        lead_s = 0.0 if args.no_morning else BOOT_S * len(regions) + ACTIVATE_S * sum(
            _phone_count(r.rt, day, r.start, r.end, r.seed) for r in regions)
        spec = clock.demo_spec(start - dt.timedelta(minutes=2), speed, real=time.time() + lead_s)
        os.environ[clock.ENV] = spec   # this process plays the morning on the same clock
        access = [_ensure_access(r.rt, DEMO_USERS + r.users) for r in regions]
        children = Children(_child_env(rt, args, spec))
        web = f"http://127.0.0.1:{args.web_port}"
        ingest = f"http://127.0.0.1:{args.ingest_port}"
        commands = procfile()
        for name in ("ingest", "web", "worker"):
            children.start(name, commands[name])
        children.wait_http("ingest", f"{ingest}/healthz")
        children.wait_http("web", f"{web}/login")
        codes = [_web_page_code(r.rt) for r in regions]
        if len(regions) == 1:
            _print_one(web, ingest, *access[0], codes[0])
        else:
            from .demo_regions import print_regions

            print_regions(regions, access, codes, args.web_port, args.ingest_port)
        stored = {r.code: 0 if args.no_morning else _already_replayed(r.rt, day) for r in regions}
        pending = [r for r in regions if not stored[r.code]]
        for r in (r for r in regions if stored[r.code]):
            print(f"  morning        {day} was already replayed by an earlier start ({stored[r.code]:,} check-ins "
                  f"stored{'' if len(regions) == 1 else ' in ' + r.label}); the wall shows it as it "
                  "ended. Nothing is replayed again.", flush=True)
        if pending and not args.no_morning:
            if len(regions) == 1:
                print(f"  morning        {day} 07:00-08:00 at {speed:g}x: "
                      f"{(end - start).total_seconds() / speed / 60:.1f} minutes.", flush=True)
            else:
                from .demo_regions import plan_text

                print(f"  morning        {plan_text(pending, speed)}", flush=True)
        print("  Ctrl-C stops everything.\n", flush=True)
        if pending and not args.no_morning:
            summaries = asyncio.run(_play_mornings(pending, ingest, args.ingest_port, day, speed))
            for r, summary in zip(pending, summaries):
                print(f"morning done{'' if len(regions) == 1 else ' in ' + r.label}: {summary}", flush=True)
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

        for r in regions[1:]:          # their Redis connections too keep the embedded server running
            if "redis" in vars(r.rt):
                r.rt.redis.close()
        stop_embedded(rt)


def _print_one(web: str, ingest: str, passwords: dict[str, str], kiosk: str, web_code) -> None:
    print("\nPantau demo is running:")
    print(f"  wall display   {web}/wall?kiosk={kiosk}")
    print(f"  dashboard      {web}/   logins: " + ", ".join(f"{u} / {p}" for u, p in passwords.items()))
    print(f"  mobile API     {ingest}/api/v1/docs   (health: {ingest}/healthz)")
    if web_code:
        print(f"  employee page  {ingest}/app/   activate with NIP {web_code[0]} and code {web_code[1]}")
    print(f"  terminals      {ingest}/iclock/cdata  (ZKTeco push protocol)")
