"""Terminal logs into check-ins and work days, by the same rules as phones.

Every parseable line is kept in terminal_logs once per (SN, PIN, terminal time) with its
state: applied, stored (a pushed backlog line, before yesterday: kept and acknowledged, to be
applied by the worker), unmatched (no employee has the PIN yet), pending (terminal not
approved) or rejected (impossible time). A single realtime punch goes through the one
check-in pipeline (`attendance.record`); a batch (catch-up, file, pull, held or stored
lines) is judged with the same pure `judge` (once per minute: `verdicts`) and stored with
one COPY per table, in one transaction per chunk: today's and yesterday's work days are
re-derived in it, older ones are queued in it (`work_day_queue`) and derived set-based
by `work_days.drain` (the worker; at once after a file import, a pull or an approval).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import redis

from foundation import clock
from queries import terminals as q

from .. import attendance, live
from ..rules.calendar import calendar_for
from ..rules.judge import Attempt
from ..work_days import drain
from . import registry
from .protocol import AttLog, BadLine
from .verdicts import judged

log = logging.getLogger("pantau.terminals")

CHUNK = 5000            # lines per transaction
LIVE_APPLY_MAX = 20     # more employees changed today than this: one recount instead
REALTIME_WINDOW_S = 600   # a realtime upload later than this says nothing about the clock


@dataclass
class Outcome:
    """What happened to the lines of one upload, file or pull."""

    lines: int = 0
    new: int = 0
    duplicate: int = 0
    applied: int = 0
    unmatched: int = 0
    pending: int = 0
    rejected: int = 0
    stored: int = 0           # backlog lines kept, applied later by the worker (`apply_waiting`)
    repeated: int = 0         # a file's lines that repeat an earlier line of the same file
    check_ins: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    employee_ids: set[int] = field(default_factory=set)    # whose check-ins were applied

    def add(self, other: "Outcome") -> None:
        for name in ("lines", "new", "duplicate", "applied", "unmatched", "pending", "rejected", "stored",
                     "check_ins", "repeated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.bad_lines += other.bad_lines
        self.employee_ids |= other.employee_ids

    def summary(self) -> dict:
        return {k: getattr(self, k) for k in ("lines", "new", "duplicate", "applied", "unmatched",
                                              "pending", "rejected", "stored", "check_ins")}


def event_key(sn: str, record: AttLog) -> str:
    return f"terminal:{sn}:{record.pin}:{record.local_text}"


# --- upload -----------------------------------------------------------------------------------

def receive(rt, sn: str, records: list[AttLog], bad: list[BadLine], *, via: str, stamp: str | None = None,
            now: dt.datetime | None = None, defer_live: bool = True) -> Outcome:
    """Store and apply an upload's lines. Resent lines change nothing."""
    now = now or clock.now()
    if via == "push" and len(records) == 1 and not bad:
        return _receive_one(rt, sn, records[0], stamp, now)
    total = Outcome(lines=len(records) + len(bad), bad_lines=list(bad))
    changed: list[dict] = []
    chunks = [records[i:i + CHUNK] for i in range(0, len(records), CHUNK)] or [[]]
    for n, chunk in enumerate(chunks):
        with rt.transaction() as conn:
            terminal = touch(conn, sn, now)
            if n == 0 and bad:
                q.insert_bad_lines(conn, sn, rejected_rows(bad), via, now)
            outcome, refreshed = _store(conn, rt.config, terminal, chunk, via, now)
            drift = _drift(rt.config, terminal, chunk, now) if via == "push" else None
            q.finish_log_batch(conn, sn, now, stamp if n == len(chunks) - 1 else None, drift)
        total.add(outcome)
        changed += refreshed
    total.rejected += len(bad)
    follow_live(rt, changed, defer=defer_live)
    if via != "push" and total.employee_ids:   # no terminal waits on a file or a pull: its history now
        drain(rt, employee_ids=sorted(total.employee_ids))
    return total


def rejected_rows(bad: list[BadLine]) -> list[dict]:
    """The malformed lines as stored: each acknowledged line is a row (the same line three
    times in one upload: occurrences 1, 2, 3), so a resent upload adds none; the line is
    kept up to RAW_KEPT characters, with its length."""
    seen: Counter[str] = Counter()
    out = []
    for b in bad:
        seen[b.line_hash] += 1
        out.append({"line_hash": b.line_hash, "occurrence": seen[b.line_hash], "raw": b.kept,
                    "raw_length": len(b.raw), "code": b.code, "reason": b.reason, "line_no": b.line_no})
    return out


def touch(conn, sn: str, now: dt.datetime, **seen) -> dict:
    """The terminal's row; an unknown SN is registered as pending (and said so in the log)."""
    terminal = q.touch(conn, sn, now, **seen)
    if terminal["created"]:
        log.warning("unknown terminal %s registered as pending; its logs are kept until approved", sn)
    return terminal


def _receive_one(rt, sn: str, record: AttLog, stamp: str | None, now: dt.datetime) -> Outcome:
    """A realtime punch: through `attendance.record` (its lock, work day and live ticker)."""
    config = rt.config
    with rt.transaction() as conn:
        terminal = touch(conn, sn, now)
        if q.log_exists(conn, sn, record.pin, record.local_time):
            q.finish_log_batch(conn, sn, now, stamp, None)
            return Outcome(lines=1, duplicate=1)
        employees = q.employees_by_pin(conn, [record.pin]) if terminal["status"] == "active" else {}
        state, reason = _state(config, terminal, record, employees, now, registry.clock_zone(config, terminal))
        if state != "applied":
            outcome = _count_new([(state, record)], {(record.pin, record.local_time)})
            outcome.lines = 1
            q.insert_logs(conn, sn, [_log_row(terminal, record, "push", state, reason, None, now)])
            q.finish_log_batch(conn, sn, now, stamp, _drift(config, terminal, [record], now))
            return outcome
    employee = employees[record.pin]
    captured = record.local_time.replace(tzinfo=registry.clock_zone(config, terminal))
    attendance.record(rt, employee["id"], Attempt(source="terminal", captured_at=captured, received_at=captured),
                      event_key(sn, record), payload=_request(sn, record, "push", now),
                      check_geofence=False, zone=registry.office_zone(config, terminal),
                      terminal_sn=sn, office_code=terminal["office_code"])
    # the check-in first, then the line: a failure in between is healed by the terminal's resend
    with rt.transaction() as conn:
        touch(conn, sn, now)     # this terminal's uploads one at a time (see insert_logs)
        new = q.insert_logs(conn, sn, [_log_row(terminal, record, "push", "applied", None, employee["id"], now)])
        q.finish_log_batch(conn, sn, now, stamp, _drift(config, terminal, [record], now))
    outcome = _count_new([("applied", record)], new)
    outcome.lines, outcome.check_ins = 1, len(new)
    return outcome


def _store(conn, config, terminal: dict, records: list[AttLog], via: str, now: dt.datetime
           ) -> tuple[Outcome, list[dict]]:
    """Keep the lines, then judge and store the new applicable ones; returns the refreshed work days."""
    if not records:
        return Outcome(), []
    active = terminal["status"] == "active"
    employees = q.employees_by_pin(conn, sorted({r.pin for r in records})) if active else {}
    zone = registry.clock_zone(config, terminal)
    states = [(_state(config, terminal, r, employees, now, zone), r) for r in records]
    if via == "push":
        # Log first: a pushed backlog (before yesterday) is only kept here, and the reply waits
        # for nothing else; the worker applies it set-based (`apply_waiting(states=STORED)`).
        cutoff = backlog_cutoff(config, zone, now)
        states = [(("stored", None) if st[0] == "applied" and r.local_time < cutoff else st, r) for st, r in states]
    received = str(now)     # as COPY would write it, once for the batch
    new = q.insert_logs(conn, terminal["sn"], [
        _log_row(terminal, r, via, state, reason,
                 employees[r.pin]["id"] if state in ("applied", "stored") else None, received)
        for (state, reason), r in states])
    outcome = _count_new([(state, r) for (state, _), r in states], new)
    fresh = list({(r.pin, r.local_time): (employees[r.pin], r) for (state, _), r in reversed(states)
                  if state == "applied" and (r.pin, r.local_time) in new}.values())[::-1]
    made, refreshed = _apply(conn, config, terminal, fresh, via, now)
    outcome.check_ins = made
    outcome.employee_ids = {e["id"] for e, _ in fresh}
    return outcome, refreshed


def backlog_cutoff(config, clock_zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The terminal-clock time where yesterday begins: a line before it is backlog (its work
    date, the punch's date or the day before for a night shift, is before yesterday)."""
    yesterday = now.astimezone(config.zone).date() - dt.timedelta(days=1)
    start = dt.datetime.combine(yesterday, dt.time(), tzinfo=config.zone)
    return start.astimezone(clock_zone).replace(tzinfo=None)


def _count_new(states: list[tuple[str, AttLog]], new: set) -> Outcome:
    """Counts per state of the new lines; a line repeated in one upload or file is new once."""
    out, counted = Outcome(), set()
    for state, r in states:
        key = (r.pin, r.local_time)
        if key in new and key not in counted:
            counted.add(key)
            out.new += 1
            setattr(out, state, getattr(out, state) + 1)
        else:
            out.duplicate += 1
    return out


def _state(config, terminal: dict, record: AttLog, employees: dict, now: dt.datetime,
           zone: dt.tzinfo) -> tuple[str, str | None]:
    why = registry.plausible(record.local_time, zone, now, config.terminals)
    if why:
        return "rejected", why
    if terminal["status"] != "active":
        return "pending", f"terminal is {terminal['status']}"
    if record.pin not in employees:
        return "unmatched", f"no active employee has PIN {record.pin}"
    return "applied", None


def _drift(config, terminal: dict, records: list[AttLog], now: dt.datetime) -> tuple[list[float], float] | None:
    if not records:
        return None
    newest = max(r.local_time for r in records).replace(tzinfo=registry.clock_zone(config, terminal))
    return registry.drift_estimate((terminal.get("info") or {}).get("drift_samples", []),
                                   registry.drift_sample(newest, now, len(records), REALTIME_WINDOW_S))


def _log_row(terminal: dict, r: AttLog, via: str, state: str, reason: str | None, employee_id: int | None,
             now: dt.datetime | str) -> tuple:
    return (terminal["sn"], r.pin, r.local_time, r.punch_state, r.verify, r.workcode, r.raw, via, state,
            reason, employee_id, now, now if state == "applied" else None)


def _request(sn: str, r: AttLog, via: str, now: dt.datetime) -> dict:
    return {"sn": sn, "line": r.raw, "via": via, "received_at": now.isoformat(timespec="seconds")}


# --- judging and storing check-ins --------------------------------------------------------------

def _apply(conn, config, terminal: dict, fresh: list[tuple[dict, AttLog]], via: str, now: dt.datetime
           ) -> tuple[int, list[dict]]:
    """Judge each punch as a phone's would be (no geofence, the office's zone) and store them."""
    if not fresh:
        return 0, []
    calendar = calendar_for(config)
    office_zone = registry.office_zone(config, terminal)
    clock_zone = registry.clock_zone(config, terminal)
    sn = terminal["sn"]
    persons: dict[int, object] = {}
    rows, counted = [], {}
    for employee, r in fresh:
        person = persons.get(employee["id"])
        if person is None:
            person = persons[employee["id"]] = attendance.person_for(config, employee)
        captured = r.local_time.replace(tzinfo=clock_zone)
        v = judged(config, calendar, person, captured, office_zone, via)
        key = event_key(sn, r)
        rows.append((key, employee["id"], captured, v.work_date, v.session, v.verdict, v.reasons,
                     v.minutes_late, v.minutes_early, terminal["office_code"], sn, v.payload))
        if v.counts:
            counted[key] = (employee["id"], v.work_date)
    return attendance.record_terminal_batch(conn, config, rows, counted, now)


# --- held lines: approval, PIN mapping ------------------------------------------------------------

def apply_waiting(rt, sn: str | None = None, *, states: tuple[str, ...] = q.HELD + q.STORED,
                  defer_live: bool = False) -> Outcome:
    """Apply lines held for an approval or a PIN mapping (after `approve`, an employee import or
    `pantau terminals rematch`) and stored backlog lines (the worker: `states=STORED`), a chunk
    per transaction under the employees' locks; a crash leaves a chunk as it was. Lines still
    without an employee stay (or become) unmatched."""
    total = Outcome()
    with rt.connection() as conn:
        sns = [sn] if sn else q.waiting_terminals(conn, states)
    changed: list[dict] = []
    now = clock.now()
    for one_sn in sns:
        after = None
        while True:
            with rt.transaction() as conn:
                terminal = q.terminal(conn, one_sn)
                if terminal is None or terminal["status"] != "active":
                    break
                held = q.waiting_logs(conn, one_sn, after, CHUNK, states)
                if not held:
                    break
                after = (held[-1]["pin"], held[-1]["local_time"])
                outcome, refreshed = _apply_held(conn, rt.config, terminal, held, now)
            total.add(outcome)
            changed += refreshed
    follow_live(rt, changed, defer=defer_live)
    # an approval or a mapping is a person's action: their history at once (the worker, applying
    # stored lines, drains next itself)
    if total.employee_ids and states != q.STORED:
        drain(rt, employee_ids=sorted(total.employee_ids))
    return total


def _apply_held(conn, config, terminal: dict, held: list[dict], now: dt.datetime) -> tuple[Outcome, list[dict]]:
    records = [AttLog(h["pin"], h["local_time"], h["punch_state"], h["verify"], h["workcode"], h["raw"])
               for h in held]
    employees = q.employees_by_pin(conn, sorted({r.pin for r in records}))
    outcome, changes, fresh = Outcome(lines=len(held)), [], []
    for h, r in zip(held, records):
        employee = employees.get(r.pin)
        if employee is None:
            outcome.unmatched += 1
            if h["state"] != "unmatched":
                changes.append({"pin": r.pin, "local_time": r.local_time, "state": "unmatched",
                                "reason": f"no active employee has PIN {r.pin}", "employee_id": None,
                                "applied_at": None})
            continue
        outcome.applied += 1
        fresh.append((employee, r))
        changes.append({"pin": r.pin, "local_time": r.local_time, "state": "applied", "reason": None,
                        "employee_id": employee["id"], "applied_at": now})
    q.set_log_states(conn, terminal["sn"], changes)
    # a stored line is applied as it came (its check-in says push); a held one says held
    vias = {id(r): h["via"] if h["state"] == "stored" else "held" for h, r in zip(held, records)}
    made, refreshed = 0, []
    for via in sorted(set(vias.values())):
        n, days = _apply(conn, config, terminal, [(e, r) for e, r in fresh if vias[id(r)] == via], via, now)
        made, refreshed = made + n, refreshed + days
    outcome.check_ins = made
    outcome.employee_ids = {e["id"] for e, _ in fresh}
    return outcome, refreshed


# --- live state -------------------------------------------------------------------------------

def follow_live(rt, refreshed: list[dict], *, defer: bool) -> None:
    """Move the wall for work days around today: per employee when few, else one recount."""
    today = clock.today(rt.config.zone)
    recent = [r for r in refreshed if abs((r["work_date"] - today).days) <= 1]
    if not recent:
        return
    if len({r["employee_id"] for r in recent}) <= LIVE_APPLY_MAX:
        for r in recent:
            live.apply(rt, r["work_date"], r["employee_id"], r["unit_code"],
                       live.live_status(r["status"], r["late_band"]), latest=None)
        return
    for day in sorted({r["work_date"] for r in recent}):
        if defer:
            _recounts.request(rt, day)
        else:
            _recount(rt, day)


def _recount(rt, day: dt.date) -> None:
    try:
        live.rebuild(rt, day)
    except redis.RedisError as exc:  # Postgres holds the truth; the next recount catches up
        log.warning("live recount of %s failed (%s)", day, exc)


class _Recounts:
    """At most one live recount per interval per process, however many batches arrive."""

    def __init__(self, interval_s: float = 2.0):
        self.interval_s = interval_s
        self.lock = threading.Lock()
        self.days: dict[tuple[str, dt.date], object] = {}
        self.timer: threading.Timer | None = None
        self.last = 0.0

    def request(self, rt, day: dt.date) -> None:
        with self.lock:
            # by region too: one process may serve several (the worker), each with its own dates
            self.days[(rt.settings.redis_prefix, day)] = rt
            if self.timer is None:
                wait = max(0.0, self.last + self.interval_s - time.monotonic())
                self.timer = threading.Timer(wait, self._run)
                self.timer.daemon = True
                self.timer.start()

    def _run(self) -> None:
        with self.lock:
            days, self.days, self.timer = self.days, {}, None
            self.last = time.monotonic()
        for (_, day), rt in days.items():
            _recount(rt, day)


_recounts = _Recounts()
