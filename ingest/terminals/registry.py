"""Terminals as data: their zone and office, approval, clock drift, commands and health."""
from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from foundation import clock
from queries import audit
from queries import terminals as q

from . import protocol


class TerminalError(ValueError):
    """A registry request that cannot be carried out; the message names what is wrong."""


# --- zones (pure) ------------------------------------------------------------------------------

def office_zone(config, terminal: dict) -> ZoneInfo:
    """The zone lateness is judged in: the terminal's office, else the region."""
    office = config.office_by_code.get(terminal.get("office_code") or "")
    return config.office_zone(office) if office else config.zone


def clock_zone(config, terminal: dict) -> dt.tzinfo:
    """The zone of the terminal's own clock: a fixed offset (firmware stuck at e.g. +8), a
    configured zone, else its office's zone."""
    if terminal.get("utc_offset_minutes") is not None:
        return dt.timezone(dt.timedelta(minutes=terminal["utc_offset_minutes"]))
    if terminal.get("timezone"):
        return ZoneInfo(terminal["timezone"])
    return office_zone(config, terminal)


def offset_hours(zone: dt.tzinfo, at: dt.datetime) -> float:
    return at.astimezone(zone).utcoffset().total_seconds() / 3600


def drift_sample(newest: dt.datetime, received_at: dt.datetime, lines: int, window_s: float) -> float | None:
    """Seconds the terminal's clock is ahead (+) or behind (-), from one upload, when it tells.

    A log stamped after it arrived proves the clock is ahead. A realtime upload (a few lines,
    arrived within the window) is sent seconds after the punch, so its lag is the clock being
    behind. A catch-up batch tells nothing: its lag is the outage.
    """
    ahead = (newest - received_at).total_seconds()
    if ahead > 0 or (lines <= 3 and -ahead <= window_s):
        return round(ahead, 1)
    return None


def drift_estimate(samples: list[float], sample: float | None, keep: int = 10) -> tuple[list[float], float] | None:
    """The last `keep` samples with the new one, and the estimate: the largest of them.

    Delays only ever make a log look older, so the sample nearest to "ahead" is the best
    guess of the clock's offset; one late upload cannot make a good clock look slow.
    """
    if sample is None:
        return None
    kept = (list(samples) + [sample])[-keep:]
    return kept, max(kept)


FUTURE, TOO_OLD = "is in the future", "days old"     # words of `plausible`, read back by `rejection_code`


def plausible(local: dt.datetime, zone: dt.tzinfo, now: dt.datetime, settings) -> str | None:
    """Why a log time cannot be a real punch (a reset or wildly wrong clock), or None."""
    moment = local.replace(tzinfo=zone)
    if moment - now > dt.timedelta(minutes=settings.max_future_minutes):
        return f"time {local.isoformat(' ')} {FUTURE} (server time {now.astimezone(zone):%Y-%m-%d %H:%M})"
    if now - moment > dt.timedelta(days=settings.max_age_days):
        return f"time {local.isoformat(' ')} is more than {settings.max_age_days} {TOO_OLD}"
    return None


def rejection_code(reason: str | None) -> str:
    """The code of a rejected log line's stored reason (written by `plausible`)."""
    if reason and FUTURE in reason:
        return "time_future"
    if reason and TOO_OLD in reason:
        return "time_too_old"
    return "unusable"


def parse_utc_offset(text: str) -> int:
    """Minutes east of UTC from '+480' (minutes), '+8' (hours) or '+08:00'."""
    m = re.fullmatch(r"([+-]?)(?:(\d{1,2}):(\d{2})|(\d{1,3}))", text.strip())
    if not m:
        raise TerminalError(f"UTC offset {text!r} is not like +480 (minutes), +8 (hours) or +08:00")
    sign = -1 if m[1] == "-" else 1
    if m[4] is not None:
        if 14 < int(m[4]) < 60:
            raise TerminalError(f"UTC offset {text!r} is ambiguous: write hours (+8) or minutes (+480)")
        minutes = int(m[4]) * 60 if int(m[4]) <= 14 else int(m[4])
    else:
        minutes = int(m[2]) * 60 + int(m[3])
    if minutes > 14 * 60:
        raise TerminalError(f"UTC offset {text!r} is beyond 14 hours")
    return sign * minutes


# --- approval ----------------------------------------------------------------------------------

def actor_name(actor: str | None) -> str:
    return actor or f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'operator'}"


def approve(rt, sn: str, office_code: str, *, timezone: str | None = None, utc_offset: str | None = None,
            actor: str | None = None, reason: str = "") -> dict:
    """Activate a terminal at an office (BKPP). Audit-logged. Held logs are applied after."""
    config = rt.config
    if not protocol.valid_sn(sn):
        raise TerminalError(f"serial number {sn!r} is not valid (letters, digits, '-', '_', '.'; 1-64)")
    office = config.office_by_code.get(office_code)
    if office is None:
        raise TerminalError(f"office {office_code!r} is not in config.yaml offices")
    if timezone and utc_offset:
        raise TerminalError("give either --timezone or --utc-offset, not both")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TerminalError(f"unknown time zone {timezone!r} (use e.g. Asia/Jakarta, Asia/Makassar)") from None
    offset = parse_utc_offset(utc_offset) if utc_offset else None
    with rt.transaction() as conn:
        before = q.register(conn, sn, clock.now())
        after = q.set_registration(conn, sn, status="active", office_code=office_code, timezone=timezone,
                                   utc_offset_minutes=offset)
        audit.record(conn, actor_name(actor), "terminal.approve", sn, reason, _registry_view(before),
                     _registry_view(after))
    return after


def retire(rt, sn: str, *, actor: str | None = None, reason: str = "") -> dict:
    with rt.transaction() as conn:
        before = q.terminal(conn, sn)
        if before is None:
            raise TerminalError(f"terminal {sn!r} is not registered")
        after = q.set_registration(conn, sn, status="retired", office_code=before["office_code"],
                                   timezone=before["timezone"], utc_offset_minutes=before["utc_offset_minutes"])
        audit.record(conn, actor_name(actor), "terminal.retire", sn, reason, _registry_view(before),
                     _registry_view(after))
    return after


def _registry_view(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: row.get(k) for k in ("status", "office_code", "timezone", "utc_offset_minutes")}


# --- commands ----------------------------------------------------------------------------------

def queue_command(rt, sn: str, kind: str, *, actor: str | None = None) -> int:
    """Queue a command (time_sync, reboot, query_users, info, check) for the next heartbeat."""
    if kind not in protocol.COMMANDS:
        raise TerminalError(f"unknown command {kind!r} (one of {', '.join(protocol.COMMANDS)})")
    with rt.transaction() as conn:
        if q.terminal(conn, sn) is None:
            raise TerminalError(f"terminal {sn!r} is not registered")
        who = actor_name(actor)
        command_id = q.queue_command(conn, sn, kind, protocol.COMMANDS[kind], who, clock.now())
        audit.record(conn, who, f"terminal.command.{kind}", sn, "", None, {"command_id": command_id})
    return command_id


def queue_time_sync(rt, sn: str, *, actor: str | None = None) -> int:
    """What the dashboard's 'sinkronkan jam' button calls."""
    return queue_command(rt, sn, "time_sync", actor=actor)


# --- health ------------------------------------------------------------------------------------

def health(rt, now: dt.datetime | None = None) -> dict:
    """Terminals with their health and the counts the dashboard and wall show."""
    settings = rt.config.terminals
    now = now or clock.now()
    with rt.connection() as conn:
        listed = q.terminal_health(conn, now, settings.silent_after_minutes * 60, settings.max_drift_s)
        backlog = q.stored_backlog(conn)     # pushed backlog lines the worker has yet to apply
    counts = {k: 0 for k in ("online", "silent", "clock_drift", "pending", "retired")}
    for row in listed:
        counts[row["health"]] = counts.get(row["health"], 0) + 1
    return {"terminals": listed, "counts": counts, "silent": counts["silent"], "backlog": backlog}
