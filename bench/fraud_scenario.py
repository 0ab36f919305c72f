"""The fraud scenario: days of honest morning traffic with every kind of cheating of issue 18
injected, sent over HTTP to the Procfile's ingest process (gunicorn), then the worker's face
matching (the selfies against the enrolled faces), day close and pattern scan; the tally says per kind how many attempts were refused, queued for
review or missed, and how many honest check-ins were refused or queued.

Each simulated day runs its own gunicorn on an accelerated clock (PANTAU_DEMO_CLOCK) from
06:58 to about 07:56 (the first from 06:40: the phones activate); a phone checks in when
that clock reaches its moment, with the server's time as it would (offline ones with the
moment they were captured). Who plays is bench/fraud_cast.py. Used by
`bench/fraud` (a city's worth) and tests/ingest/test_fraud_scenario.py (a small one).

"Queued for review" is what the review queue holds without anyone's decision: the judge's
verdict `flagged`, or a flag of source judge, face or trust (the pattern scan's trust score
under rules.patterns.review_below). A pattern flag alone only lowers the trust score.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import httpx

from bench.fraud_cast import FAR_UNIT, KINDS, PEOPLE, Actor, Cast, jpeg, prepare
from foundation.clock import demo_spec
from ingest import day_close, events
from ingest.simulate import phones as sim
from ingest.worker import ACTOR, Worker
from pantau.processes import procfile
from queries import patterns as qp

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """The accelerated clock the server runs on (the same spec), read on this side."""

    def __init__(self, start: dt.datetime, speed: float):
        self.start, self.speed, self.real = start, speed, time.time()
        self.spec = demo_spec(start, speed, self.real)

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.time() - self.real) * self.speed)

    async def until(self, moment: dt.datetime) -> None:
        wait = (moment - self.now()).total_seconds() / self.speed
        if wait > 0:
            await asyncio.sleep(wait)


def _location(office, rng: random.Random, metres: float = 35.0, accuracy: float | None = None, **kw) -> dict:
    north, east = rng.uniform(-metres, metres) * 0.7, rng.uniform(-metres, metres) * 0.7
    out = {"lat": office.lat + north / 111_195, "lon": office.lon + east / 110_600,
           "accuracy_m": round(accuracy if accuracy is not None else rng.uniform(4, 25), 1), "mock": False,
           "provider": "fused"}
    out.update(kw)
    return out


def _body(captured_at: dt.datetime, location: dict, *, offline: bool = False, since: dt.datetime | None = None,
          face: tuple[float, bool] | None = (0.93, True)) -> dict:
    out = {"event_id": str(uuid.uuid4()), "captured_at": captured_at.isoformat(), "location": location,
           "offline": offline}
    if since is not None:
        out["offline_since"] = since.isoformat()
    if face is not None:
        out["face"] = {"score": face[0], "liveness": face[1]}
    return out


class Day:
    """One day's actions against one server: each runs when the server's clock reaches it."""

    def __init__(self, rt, cast: Cast, day: dt.date, clock: Clock, url: str, rng: random.Random):
        self.rt, self.cast, self.day, self.clock, self.url, self.rng = rt, cast, day, clock, url, rng
        self.zone = rt.config.zone
        self.actions: list[tuple[dt.datetime, int, object]] = []
        self.report = sim.Report()

    def at(self, hh: int, mm: float) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(hh), tzinfo=self.zone) + dt.timedelta(minutes=mm)

    def plan(self, moment: dt.datetime, action) -> None:
        self.actions.append((moment, len(self.actions), action))

    async def check_in(self, actor: Actor, body_of, selfie: bytes | None = None) -> None:
        await sim.send(self.http, actor.phone, body_of(), self.report, selfie=selfie,
                       deadline=time.monotonic() + 60)

    def online(self, actor: Actor, moment: dt.datetime, location_of, *, face=(0.93, True), selfie=None,
               shift_min: float = 0.0) -> None:
        """A check-in sent the moment it is taken (captured_at: the server's time, shifted by
        `shift_min` for a phone whose clock is set wrong)."""
        self.plan(moment, lambda: self.check_in(actor, lambda: _body(
            self.clock.now() + dt.timedelta(minutes=shift_min), location_of(), face=face), selfie))

    def queued(self, actor: Actor, captured: dt.datetime, sent: dt.datetime, location: dict, *,
               since: dt.datetime | None = None, selfie=None) -> None:
        """A check-in taken at `captured` and sent, marked offline, at `sent`."""
        body = _body(captured, location, offline=True, since=since)
        self.plan(sent, lambda: self.check_in(actor, lambda: body, selfie))

    async def run(self) -> None:
        async with sim.client(self.url, 64) as http:
            self.http = http
            await self._handshake()
            tasks = []
            for moment, _, action in sorted(self.actions, key=lambda a: (a[0], a[1])):
                await self.clock.until(moment)
                tasks.append(asyncio.create_task(action()))
            await asyncio.gather(*tasks)

    async def _handshake(self) -> None:
        await self.http.get("/iclock/cdata", params={"SN": self.cast.terminal_sn, "options": "all",
                                                     "pushver": "2.4.1", "language": "69"})

    async def punch(self, pin: str, moment: dt.datetime) -> None:
        line = f"{pin}\t{moment.astimezone(self.zone):%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\n"
        for _ in range(10):
            r = await self.http.post("/iclock/cdata", params={"SN": self.cast.terminal_sn, "table": "ATTLOG"},
                                     content=line.encode())
            if r.status_code == 200:
                return
            await asyncio.sleep(0.5)

    async def scan(self, actor: Actor, event_id: int, location: dict, token_age_s: float = 0.0) -> None:
        """An event scan; an honest attendee whose token rotated in flight scans again."""
        for _ in range(5):
            now = self.clock.now() - dt.timedelta(seconds=token_age_s)
            token = events.qr_token(self.rt.settings.secret_key, event_id, now)
            r = await self.http.post(f"/api/v1/events/{event_id}/attend", headers=actor.phone.headers,
                                     json={"event_id": str(uuid.uuid4()), "token": token, "location": location})
            reply = r.json() if r.status_code in (200, 201) else {}
            if token_age_s or r.status_code not in (200, 201) or "qr_expired" not in reply.get("reasons", ()):
                return


def plan_day(day: Day, first_day: bool) -> None:
    rng, at = day.rng, day.at
    event_id = day.cast.event_ids.get(day.day)
    for actor in day.cast.actors:
        o = actor.office
        arrive = at(7, rng.uniform(2, 32))
        if actor.kind == "honest" and actor.pin is not None:
            day.plan(arrive, lambda a=actor, m=arrive: day.punch(a.pin, m))
            continue
        if actor.kind == "honest":
            if actor.face is not None:   # enrolled: a fresh selfie of their own face every time
                selfie = day.cast.camera.selfie(actor.face)
            else:   # not enrolled: the server has nothing to match it with (no_enrolment)
                selfie = jpeg(rng.randrange(10**9)) if rng.random() < 0.3 else None
            roll = rng.random()
            if roll < 0.06:      # no signal at the office: sent 5-30 min later; half the apps say since when
                since = arrive - dt.timedelta(minutes=rng.uniform(0, 15)) if rng.random() < 0.5 else None
                day.queued(actor, arrive, arrive + dt.timedelta(minutes=rng.uniform(5, 30)), _location(o, rng),
                           since=since, selfie=selfie)
            elif roll < 0.09:    # indoors first: a network fix refused, then again by the window
                day.online(actor, arrive, lambda o=o: _location(o, rng, accuracy=rng.uniform(70, 200)))
                day.online(actor, arrive + dt.timedelta(minutes=2), lambda o=o: _location(o, rng), selfie=selfie)
            else:
                day.online(actor, arrive, lambda o=o: _location(o, rng), selfie=selfie)
            if event_id is not None and rng.random() < 0.1:
                moment = at(7, rng.uniform(36, 44))
                day.plan(moment, lambda a=actor, o=o: day.scan(a, event_id, _location(
                    day.rt.config.office_by_code[_event_office(day)], rng, 20)))
            continue
        _plan_fraud(day, actor, arrive, event_id, first_day)


def _event_office(day: Day) -> str:
    return day.cast.terminal_office


def _plan_fraud(day: Day, actor: Actor, arrive: dt.datetime, event_id: int | None, first_day: bool) -> None:
    rng, o, kind = day.rng, actor.office, actor.kind
    far = lambda: _location(o, rng, 10, lat=o.lat + 2000 / 111_195)   # noqa: E731  2 km north
    if kind == "mock_location":
        day.online(actor, arrive, lambda: _location(o, rng, mock=True))
    elif kind == "outside_geofence":
        day.online(actor, arrive, far)
    elif kind == "accuracy_stretch":
        day.online(actor, arrive, lambda: _location(o, rng, 5, accuracy=390.0, lat=o.lat + 400 / 111_195))
    elif kind == "replayed_fix":
        lat, lon, acc = actor.fixed
        day.online(actor, arrive, lambda: {"lat": lat, "lon": lon, "accuracy_m": acc, "mock": False, "provider": "gps"})
    elif kind == "impossible_travel":
        other = day.rt.config.office_by_code[FAR_UNIT[2]]
        day.online(actor, arrive, lambda: _location(o, rng))
        day.online(actor, arrive + dt.timedelta(minutes=3), lambda: _location(other, rng))
    elif kind == "titip_absen_phone":   # the carrier's own check-in, then the absent colleague's phone
        here = _location(o, rng)
        day.online(actor.partner, arrive, lambda: dict(here))
        day.online(actor, arrive + dt.timedelta(seconds=rng.uniform(8, 40)),
                   lambda: {**here, "lat": here["lat"] + rng.uniform(-2, 2) / 111_195})
    elif kind == "terminal_buddies":
        day.plan(arrive, lambda: day.punch(actor.partner.pin, arrive))
        later = arrive + dt.timedelta(seconds=rng.uniform(3, 7))
        day.plan(later, lambda: day.punch(actor.pin, later))
    elif kind == "shared_device_activation":
        day.online(actor.partner, arrive, lambda: _location(o, rng))
    elif kind == "selfie_reuse":
        photo = jpeg(actor.employee["id"])
        day.online(actor, arrive, lambda: _location(o, rng), selfie=photo)
    elif kind == "face_other_low_score":
        day.online(actor, arrive, lambda: _location(o, rng), face=(0.41, True))
    elif kind == "face_other_fooled_phone":
        # a colleague's real face (another person of tests/data/faces); the phone's check says 0.9
        other = (actor.face + rng.randrange(1, len(PEOPLE))) % len(PEOPLE)
        day.online(actor, arrive, lambda: _location(o, rng), face=(0.9, True), selfie=day.cast.camera.selfie(other))
    elif kind == "liveness_failed":
        day.online(actor, arrive, lambda: _location(o, rng), face=(0.88, False))
    elif kind == "backdate_no_evidence":     # came at 07:56, claims 06:51
        day.queued(actor, day.at(6, 51), day.at(7, 56), _location(o, rng))
    elif kind == "backdate_after_contact":   # opened the app at 07:32 (online), sends a "07:25" at 07:55
        day.plan(day.at(7, 32), lambda: day.http.get("/api/v1/me/today", headers=actor.phone.headers))
        day.queued(actor, day.at(7, 25), day.at(7, 55), _location(o, rng), since=day.at(7, 10))
    elif kind == "backdate_forged_evidence":
        day.queued(actor, day.at(7, 15), day.at(7, 55), _location(o, rng), since=day.at(7, 0))
    elif kind == "clock_back_online":
        day.online(actor, arrive + dt.timedelta(minutes=20), lambda: _location(o, rng), shift_min=-35)
    elif kind == "clock_future":
        day.online(actor, arrive, lambda: _location(o, rng), shift_min=9)
    elif kind == "qr_forwarded_fake_gps" and event_id is not None:
        place = day.rt.config.office_by_code[_event_office(day)]
        day.online(actor, day.at(7, 37), lambda: _location(o, rng))
        day.plan(day.at(7, 39), lambda: day.scan(actor, event_id, _location(place, rng, 20)))
    elif kind in ("qr_outside_geofence", "qr_rotated_token") and event_id is not None:
        place = day.rt.config.office_by_code[_event_office(day)]
        moment = day.at(7, rng.uniform(36, 44))
        if kind == "qr_outside_geofence":
            day.plan(moment, lambda: day.scan(actor, event_id, _location(place, rng, 10, lat=place.lat + 2000 / 111_195)))
        else:
            day.plan(moment, lambda: day.scan(actor, event_id, _location(place, rng, 20), token_age_s=180))


def server_env(rt, spec: str, port: int) -> dict:
    from bench.ingest import server_env as env_of

    return env_of(rt, spec, port)


def run_days(rt, cast: Cast, days: list[dt.date], *, speed: float, seed: int, log_dir: Path) -> list[sim.Report]:
    """Each day on its own gunicorn (the Procfile's line) running at `speed` from 06:58."""
    from bench.ingest import free_port, wait_ready

    reports = []
    for n, day in enumerate(days):
        # the first day starts earlier: every phone activates before the morning
        start = dt.datetime.combine(day, dt.time(6, 40 if n == 0 else 58), tzinfo=rt.config.zone)
        if cast.event_ids.get(day) is None and n == 0:
            cast.event_ids[day] = events.create_event(
                rt, "bench", name="Apel pagi", kind="apel", event_date=day,
                opens_at=start.replace(hour=7, minute=30), closes_at=start.replace(hour=8, minute=0),
                place=events.Place(office_code=cast.terminal_office),
                invited_nips=[a.employee["nip"] for a in cast.actors if a.phone is not None])
        clock, port = Clock(start, speed), free_port()
        log = open(log_dir / f"gunicorn-fraud-{day}.log", "wb")
        proc = subprocess.Popen(["bash", "-c", f"exec {procfile()['ingest']}"], cwd=ROOT,
                                env=server_env(rt, clock.spec, port), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc)
            if n == 0:
                _activate(url, cast)
            today = Day(rt, cast, day, clock, url, random.Random(seed * 1000 + n))
            plan_day(today, n == 0)
            asyncio.run(today.run())
            reports.append(today.report)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            log.close()
    return reports


def _activate(url: str, cast: Cast) -> None:
    """Every phone activates; the second account on a colleague's phone tries too (after it)."""
    phones = [a.phone for a in cast.actors if a.phone is not None and a.kind != "shared_device_activation"]
    asyncio.run(sim.activate_all(url, phones))
    for actor in cast.actors:
        if actor.kind == "shared_device_activation":
            r = httpx.post(f"{url}/api/v1/devices/activate", timeout=30, json={
                "nip": actor.phone.nip, "code": actor.phone.code, "device_id": actor.phone.device_id,
                "device_model": actor.phone.model})
            (cast.activation_let_in if r.status_code == 201 else cast.activation_refused)[actor.kind] += 1
            if r.status_code == 201:
                actor.phone.token = r.json()["token"]


def settle(rt, days: list[dt.date]) -> dict:
    """The worker's part: match the selfies with the enrolled faces (a mismatch is flagged
    or refused), close each day, then the pattern scan over them."""
    worker = Worker(rt, first_day=days[0])
    while True:
        worker.match_faces()
        if not worker.faces_behind:
            break
    for day in days:
        day_close.close_day(rt, day, ACTOR)
    worker.scan_patterns(days[0], days[-1])
    from ingest import patterns

    return patterns.scan(rt, days[0], days[-1])   # a rescan: what it found (stores nothing new)


def tally(rt, cast: Cast, days: list[dt.date]) -> dict:
    """Per kind: attempts refused, queued, missed; and the honest ones. An attempt is one
    employee's check-ins of one day from one source: refused when none counts, queued when
    every one that counts waits for review, else missed. A check-in rejected by a decision
    (the face match's 'tolak' under server_mismatch: refuse) counts as refused."""
    with rt.connection() as conn:
        rows = qp.outcomes(conn, [a.employee["id"] for a in cast.actors], days[0], days[-1])
    by_attempt = defaultdict(list)
    for r in rows:
        by_attempt[(r["employee_id"], r["work_date"], r["source"])].append(r)
    kind_of = {a.employee["id"]: a.kind for a in cast.actors}
    table: dict[str, Counter] = {k: Counter() for k in [*KINDS, "honest"]}
    pattern_only, faces = Counter(), defaultdict(Counter)
    for (employee_id, _, source), checks in by_attempt.items():
        kind = kind_of[employee_id]
        if kind == "carrier" or (kind.startswith("qr_") and source != "qr"):
            continue
        counted = [c for c in checks if c["verdict"] != "refused" and c["decision"] != "tolak"]
        if not counted:
            outcome = "refused"
        elif all(c["queued"] for c in counted):
            outcome = "queued"
        else:
            outcome = "missed"
            if any(c["pattern_flagged"] for c in counted):
                pattern_only[kind] += 1
        table[kind][outcome] += 1
        if kind == "honest":
            if outcome == "queued" and all(c["reasons"] == ["clock_skew"] for c in counted):
                # the server took longer than max_skew_minutes of its accelerated clock to answer
                table["honest"]["queued_slow_server"] += 1
            table["honest"]["rows_refused"] += sum(c["verdict"] == "refused" for c in checks)
            table["honest"]["offline_upload"] += sum("offline_upload" in (c["reasons"] or ()) for c in checks)
        if kind in ("honest", "face_other_fooled_phone"):   # the server's face matches, per result
            for c in checks:
                if c["face_result"] in ("match", "mismatch", "no_face"):
                    faces[kind][c["face_result"]] += 1
    for kind, n in cast.activation_refused.items():
        table[kind]["refused"] += n
    for kind, n in cast.activation_let_in.items():
        table[kind]["missed"] += n
    return {"table": {k: dict(v) for k, v in table.items()}, "pattern_flag_below_threshold": dict(pattern_only),
            "faces": {k: dict(v) for k, v in faces.items()}}


def scenario(rt, *, days: list[dt.date], honest: int, terminal_staff: int, per_kind: int, speed: float,
             seed: int = 18, log_dir: Path | None = None, face_honest: int = 8) -> dict:
    cast = prepare(rt, honest=honest, terminal_staff=terminal_staff, per_kind=per_kind, seed=seed,
                   face_honest=face_honest)
    started = time.monotonic()
    reports = run_days(rt, cast, days, speed=speed, seed=seed, log_dir=log_dir or Path(rt.settings.var_dir))
    scan = settle(rt, days)
    out = tally(rt, cast, days)
    out.update(scan=scan, seconds=round(time.monotonic() - started, 1),
               statuses=dict(sum((r.statuses for r in reports), Counter())))
    return out


def format_table(result: dict) -> str:
    lines = [f"{'kind':27} {'attempts':>8} {'refused':>8} {'queued':>7} {'missed':>7} {'caught':>7}  what"]
    caught = total = 0
    for kind, what in KINDS.items():
        c = result["table"].get(kind, {})
        n = c.get("refused", 0) + c.get("queued", 0) + c.get("missed", 0)
        got = c.get("refused", 0) + c.get("queued", 0)
        caught, total = caught + got, total + n
        lines.append(f"{kind:27} {n:8d} {c.get('refused', 0):8d} {c.get('queued', 0):7d} {c.get('missed', 0):7d} "
                     f"{100 * got / max(n, 1):6.1f}%  {what}")
    lines.append(f"{'ALL FRAUD':27} {total:8d} {'':8} {'':7} {total - caught:7d} {100 * caught / max(total, 1):6.1f}%")
    h = result["table"]["honest"]
    n = h.get("refused", 0) + h.get("queued", 0) + h.get("missed", 0)
    lines.append(f"{'honest (employee-days)':27} {n:8d} {h.get('refused', 0):8d} {h.get('queued', 0):7d} "
                 f"{'':7} {100 * h.get('queued', 0) / max(n, 1):6.2f}% queued; {h.get('rows_refused', 0)} attempts "
                 f"refused (then retried), {h.get('offline_upload', 0)} offline uploads not flagged")
    slow = h.get("queued_slow_server", 0)
    lines.append(f"  of the honest queued: {slow} only for clock_skew, the server answering later than "
                 f"max_skew_minutes of the accelerated clock ({slow / max(h.get('queued', 0), 1):.0%}; at "
                 f"real speed that is a server minutes late); the rest: {h.get('queued', 0) - slow}")
    f = result.get("faces", {})
    lines.append(f"  server face matches: honest {f.get('honest', {})}; someone else's face "
                 f"{f.get('face_other_fooled_phone', {})}")
    return "\n".join(lines)
