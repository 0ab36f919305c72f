"""Terminals: registry, raw ATTLOG lines, bulk check-ins, the command queue, health."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection
from psycopg2.errors import UniqueViolation

from .db import copy_rows, inserted, one, rows, run, scalar

# --- registry -----------------------------------------------------------------------------

def touch(conn: Connection, sn: str, now: dt.datetime, *, heartbeat: bool = False,
          info: dict | None = None, firmware: str | None = None) -> dict:
    """The terminal's row, registering an unknown SN as pending. Locks the row until commit."""
    return one(conn, """
        INSERT INTO terminals (sn, status, first_seen_at, last_heartbeat_at, info, firmware)
        VALUES (:sn, 'pending', :now, :hb, CAST(:info AS jsonb), :fw)
        ON CONFLICT (sn) DO UPDATE SET
            last_heartbeat_at = COALESCE(EXCLUDED.last_heartbeat_at, terminals.last_heartbeat_at),
            info = terminals.info || EXCLUDED.info,
            firmware = COALESCE(EXCLUDED.firmware, terminals.firmware)
        RETURNING *, (xmax = 0) AS created""",
        sn=sn, now=now, hb=now if heartbeat else None, info=json.dumps(info or {}), fw=firmware)


def terminal(conn: Connection, sn: str) -> dict | None:
    return one(conn, "SELECT * FROM terminals WHERE sn = :sn", sn=sn)


def terminals(conn: Connection) -> list[dict]:
    return rows(conn, "SELECT * FROM terminals ORDER BY status, office_code NULLS FIRST, sn")


def serial_states(conn: Connection) -> dict[str, str]:
    """Every serial this region knows, with its status: which region a terminal's push is
    for, when one ingest process serves several (ingest/regions.py)."""
    return {r["sn"]: r["status"] for r in rows(conn, "SELECT sn, status FROM terminals")}


def register(conn: Connection, sn: str, now: dt.datetime) -> dict:
    """Create the row when absent (pre-registration by BKPP), else return it locked."""
    run(conn, """INSERT INTO terminals (sn, status, first_seen_at) VALUES (:sn, 'pending', :now)
                 ON CONFLICT (sn) DO NOTHING""", sn=sn, now=now)
    return one(conn, "SELECT * FROM terminals WHERE sn = :sn FOR UPDATE", sn=sn)


def set_registration(conn: Connection, sn: str, *, status: str, office_code: str | None,
                     timezone: str | None, utc_offset_minutes: int | None) -> dict:
    return one(conn, """
        UPDATE terminals SET status = :status, office_code = :office, timezone = :tz,
               utc_offset_minutes = :offset
        WHERE sn = :sn RETURNING *""",
        sn=sn, status=status, office=office_code, tz=timezone, offset=utc_offset_minutes)


def finish_log_batch(conn: Connection, sn: str, now: dt.datetime, stamp: str | None,
                     drift: tuple[list[float], float] | None) -> None:
    """After an upload: when, the terminal's Stamp, and its clock-drift samples and estimate."""
    samples, drift_s = drift if drift else (None, None)
    run(conn, """
        UPDATE terminals SET last_log_at = :now, attlog_stamp = COALESCE(:stamp, attlog_stamp),
               clock_drift_s = COALESCE(:drift, clock_drift_s),
               info = CASE WHEN CAST(:samples AS jsonb) IS NULL THEN info
                           ELSE jsonb_set(info, '{drift_samples}', CAST(:samples AS jsonb)) END
        WHERE sn = :sn""", sn=sn, now=now, stamp=stamp, drift=drift_s,
        samples=None if samples is None else json.dumps(samples))


def reset_drift(conn: Connection, sn: str) -> None:
    """A clock just set by a time sync: forget what was measured before."""
    run(conn, """UPDATE terminals SET clock_drift_s = NULL, info = info - 'drift_samples'
                 WHERE sn = :sn""", sn=sn)


def set_drift(conn: Connection, sn: str, drift_s: float) -> None:
    run(conn, "UPDATE terminals SET clock_drift_s = :d WHERE sn = :sn", sn=sn, d=drift_s)


def set_operlog_stamp(conn: Connection, sn: str, stamp: str) -> None:
    run(conn, "UPDATE terminals SET operlog_stamp = :s WHERE sn = :sn", sn=sn, s=stamp)


# --- PIN to employee --------------------------------------------------------------------------

def employees_by_pin(conn: Connection, pins: list[str]) -> dict[str, dict]:
    """Active employees by terminal PIN: their mapped PIN, else their NIP."""
    found = rows(conn, """
        SELECT e.id, e.nip, e.name, e.unit_code, e.assigned_units,
               COALESCE(e.schedule_code, u.schedule_code) AS schedule_code,
               COALESCE(e.terminal_pin, e.nip) AS pin
        FROM employees e JOIN units u ON u.code = e.unit_code
        WHERE e.active AND (e.terminal_pin = ANY(:pins)
                            OR (e.terminal_pin IS NULL AND e.nip = ANY(CAST(:pins AS bpchar[]))))""",
        pins=pins)
    return {r["pin"].strip(): r for r in found}


# --- raw lines ------------------------------------------------------------------------------

LOG_COLUMNS = ("sn", "pin", "local_time", "punch_state", "verify", "workcode", "raw", "via", "state",
               "reason", "employee_id", "received_at", "applied_at")
# terminal_logs keeps the line as sent (the app may not UPDATE it); what became of the line
# is in terminal_log_states under the same key. insert_logs splits a LOG_COLUMNS record in two.
LINE_COLUMNS = ("sn", "pin", "local_time", "punch_state", "verify", "workcode", "raw", "via", "received_at")
STATE_COLUMNS = ("sn", "pin", "local_time", "state", "reason", "employee_id", "applied_at")
_LINE_AT = [LOG_COLUMNS.index(c) for c in LINE_COLUMNS]
_STATE_AT = [LOG_COLUMNS.index(c) for c in STATE_COLUMNS]


def _copy_logs(conn: Connection, records: list[tuple]) -> None:
    copy_rows(conn, "terminal_logs", LINE_COLUMNS, ([r[i] for i in _LINE_AT] for r in records))
    copy_rows(conn, "terminal_log_states", STATE_COLUMNS, ([r[i] for i in _STATE_AT] for r in records))


def insert_logs(conn: Connection, sn: str, records: list[tuple]) -> set[tuple[str, dt.datetime]]:
    """Store one terminal's lines (tuples in LOG_COLUMNS order); returns the (pin, local_time) that were new.

    A backlog is new: one COPY inside a savepoint. When some lines were seen before (a
    resend, a reboot), the COPY is undone, they are looked up and only the others copied.
    Callers hold the terminal's row lock (`touch`), so one terminal's uploads run one at a
    time and the lookup cannot race another upload of the same lines.
    """
    if not records:
        return set()
    keys = [(r[1], r[2]) for r in records]
    if len(set(keys)) == len(keys):
        try:
            with conn.begin_nested():
                _copy_logs(conn, records)
            return set(keys)
        except UniqueViolation:     # raised by the driver's COPY; the savepoint is rolled back
            pass
    seen = {(r[0], r[1]) for r in run(conn, """
        SELECT l.pin, l.local_time
        FROM unnest(CAST(:pins AS text[]), CAST(:times AS timestamp[])) AS k(pin, local_time)
        JOIN terminal_logs l ON l.sn = :sn AND l.pin = k.pin AND l.local_time = k.local_time""",
        sn=sn, pins=[k[0] for k in keys], times=[k[1] for k in keys])}
    fresh, new = [], set()
    for key, r in zip(keys, records):
        if key not in seen and key not in new:   # a line twice in one upload is stored once
            new.add(key)
            fresh.append(r)
    _copy_logs(conn, fresh)
    return new


def log_exists(conn: Connection, sn: str, pin: str, local_time: dt.datetime) -> bool:
    return bool(scalar(conn, """SELECT 1 FROM terminal_logs
                                WHERE sn = :sn AND pin = :pin AND local_time = :t""",
                       sn=sn, pin=pin, t=local_time))


def insert_bad_lines(conn: Connection, sn: str, lines: list[dict], via: str, now: dt.datetime) -> int:
    """Keep malformed lines (dicts: line_hash, occurrence, raw, raw_length, code, reason, line_no),
    each (hash, occurrence) once; returns how many were new. Insert-only."""
    if not lines:
        return 0
    return inserted(conn, """
        INSERT INTO terminal_bad_lines (sn, line_hash, occurrence, raw, raw_length, code, reason, line_no, via,
                                        first_seen_at)
        SELECT :sn, h, o, r, len, c, why, n, :via, :now
        FROM unnest(CAST(:hashes AS text[]), CAST(:occurrences AS int[]), CAST(:raws AS text[]),
                    CAST(:lengths AS int[]), CAST(:codes AS text[]), CAST(:reasons AS text[]),
                    CAST(:line_nos AS int[])) AS x(h, o, r, len, c, why, n)
        ON CONFLICT (sn, line_hash, occurrence) DO NOTHING RETURNING 1""",
        sn=sn, via=via, now=now, hashes=[x["line_hash"] for x in lines],
        occurrences=[x["occurrence"] for x in lines], raws=[x["raw"] for x in lines],
        lengths=[x["raw_length"] for x in lines], codes=[x["code"] for x in lines],
        reasons=[x["reason"] for x in lines], line_nos=[x["line_no"] for x in lines])


def rejected_lines(conn: Connection, sns: list[str] | None, limit: int = 100) -> dict:
    """Lines kept as rejected, newest first, of these terminals (all: None): malformed ones
    (with their code) and records with an impossible time (code None: from the reason).
    Returns {"total": n, "lines": [...]}."""
    scope = "(CAST(:sns AS text[]) IS NULL OR sn = ANY(CAST(:sns AS text[])))"
    both = f"""
        SELECT sn, first_seen_at AS received_at, raw, raw_length, code, reason, via
        FROM terminal_bad_lines WHERE {scope}
        UNION ALL
        SELECT sn, received_at, raw, length(raw), NULL, reason, via
        FROM terminal_log_lines WHERE state = 'rejected' AND {scope}"""
    return {"total": scalar(conn, f"SELECT count(*) FROM ({both}) x", sns=sns),
            "lines": rows(conn, f"{both} ORDER BY received_at DESC, sn LIMIT :n", sns=sns, n=limit)}


HELD = ("pending", "unmatched")     # waiting for an approval or a PIN mapping
STORED = ("stored",)                # a backlog line kept, to be applied by the worker


def waiting_logs(conn: Connection, sn: str, after: tuple[str, dt.datetime] | None, limit: int,
                 states: tuple[str, ...] = HELD) -> list[dict]:
    """Lines in `states` (held, or stored), in key order after `after` (locked)."""
    pin, at = after or ("", dt.datetime(1, 1, 1))
    return rows(conn, """
        SELECT l.sn, l.pin, l.local_time, l.punch_state, l.verify, l.workcode, l.raw, l.via, s.state,
               l.received_at
        FROM terminal_log_states s
        JOIN terminal_logs l ON l.sn = s.sn AND l.pin = s.pin AND l.local_time = s.local_time
        WHERE s.sn = :sn AND s.state = ANY(:states) AND (s.pin, s.local_time) > (:pin, :at)
        ORDER BY s.pin, s.local_time LIMIT :n FOR UPDATE OF s SKIP LOCKED""",
        sn=sn, pin=pin, at=at, n=limit, states=list(states))


def waiting_terminals(conn: Connection, states: tuple[str, ...] = HELD) -> list[str]:
    return [r["sn"] for r in rows(conn, """
        SELECT DISTINCT l.sn FROM terminal_log_states l JOIN terminals t ON t.sn = l.sn
        WHERE l.state = ANY(:states) AND t.status = 'active' ORDER BY 1""", states=list(states))]


def set_log_states(conn: Connection, sn: str, changes: list[dict]) -> None:
    """New state for held or stored lines: dicts with pin, local_time, state, reason, employee_id,
    applied_at; one statement for the chunk."""
    if not changes:
        return
    run(conn, """
        UPDATE terminal_log_states l SET state = c.state, reason = c.reason, employee_id = c.employee_id,
               applied_at = c.applied_at
        FROM unnest(CAST(:pins AS text[]), CAST(:times AS timestamp[]), CAST(:states AS text[]),
                    CAST(:reasons AS text[]), CAST(:ids AS bigint[]), CAST(:applied AS timestamptz[]))
             AS c(pin, local_time, state, reason, employee_id, applied_at)
        WHERE l.sn = :sn AND l.pin = c.pin AND l.local_time = c.local_time""",
        sn=sn, pins=[c["pin"] for c in changes], times=[c["local_time"] for c in changes],
        states=[c["state"] for c in changes], reasons=[c["reason"] for c in changes],
        ids=[c["employee_id"] for c in changes], applied=[c["applied_at"] for c in changes])


def stored_backlog(conn: Connection) -> dict:
    """Backlog lines stored but not yet applied: how many, and since when (for health)."""
    return one(conn, """SELECT count(*) AS lines, min(received_at) AS oldest
                        FROM terminal_log_lines WHERE state = 'stored'""")


def stored_counts(conn: Connection, sns: list[str]) -> dict:
    """For these terminals: lines kept, lines applied, check-ins, and check-ins stored twice
    (same terminal, employee and moment: must be 0)."""
    return one(conn, """
        SELECT (SELECT count(*) FROM terminal_logs WHERE sn = ANY(:sns)) AS log_rows,
               (SELECT count(*) FROM terminal_log_states WHERE sn = ANY(:sns) AND state = 'applied') AS applied,
               (SELECT count(*) FROM terminal_log_states WHERE sn = ANY(:sns) AND state = 'stored') AS stored,
               (SELECT count(*) FROM check_ins WHERE terminal_sn = ANY(:sns)) AS check_ins,
               (SELECT count(*) - count(DISTINCT (terminal_sn, employee_id, captured_at))
                  FROM check_ins WHERE terminal_sn = ANY(:sns)) AS duplicate_check_ins""", sns=sns)


def employees_of(conn: Connection, sns: list[str]) -> list[int]:
    """The employees with check-ins from these terminals."""
    return [r["employee_id"] for r in rows(conn, """
        SELECT DISTINCT employee_id FROM check_ins WHERE terminal_sn = ANY(:sns) ORDER BY 1""", sns=sns)]


def unmatched_pins(conn: Connection, limit: int = 200, sns: list[str] | None = None) -> list[dict]:
    """PINs no employee has, with the name the terminal knows (from its USER lines) when any;
    only the terminals `sns` when given."""
    return rows(conn, """
        SELECT l.sn, l.pin, count(*) AS lines, min(l.local_time) AS first, max(l.local_time) AS last,
               (SELECT o.content FROM terminal_operlogs o WHERE o.sn = l.sn AND o.pin = l.pin
                  AND o.kind = 'USER' ORDER BY o.received_at DESC LIMIT 1) AS terminal_user
        FROM terminal_log_states l
        WHERE l.state = 'unmatched' AND (CAST(:sns AS text[]) IS NULL OR l.sn = ANY(CAST(:sns AS text[])))
        GROUP BY l.sn, l.pin ORDER BY count(*) DESC, l.sn, l.pin LIMIT :n""", n=limit, sns=sns)


# --- check-ins in bulk ----------------------------------------------------------------------

CHECK_IN_COLUMNS = ("event_key", "employee_id", "captured_at", "work_date", "session", "verdict",
                    "reasons", "minutes_late", "minutes_early", "office_code", "terminal_sn", "payload")


def insert_check_ins(conn: Connection, records: list[tuple]) -> set[str]:
    """Terminal check-ins (tuples in CHECK_IN_COLUMNS order, reasons as '{a,b}', payload as JSON);
    returns the event keys that were new (a resent punch is never stored twice).

    The lines were new in terminal_logs, so their keys almost always are: one COPY straight
    into check_ins. Should one exist already (a realtime punch stored just before its line),
    the COPY is undone and the rows go through a temporary table and ON CONFLICT DO NOTHING.
    """
    if not records:
        return set()
    try:
        with conn.begin_nested():
            copy_rows(conn, "check_ins", ("source",) + CHECK_IN_COLUMNS, (("terminal",) + r for r in records))
        return {r[0] for r in records}
    except UniqueViolation:     # raised by the driver's COPY; the savepoint is rolled back
        pass
    run(conn, """CREATE TEMP TABLE IF NOT EXISTS terminal_check_ins_in (
                   event_key text, employee_id bigint, captured_at timestamptz, work_date date,
                   session text, verdict text, reasons text[], minutes_late int, minutes_early int,
                   office_code text, terminal_sn text, payload jsonb) ON COMMIT DELETE ROWS""")
    run(conn, "TRUNCATE terminal_check_ins_in")
    copy_rows(conn, "terminal_check_ins_in", CHECK_IN_COLUMNS, records)
    cols = ", ".join(CHECK_IN_COLUMNS)
    return {r[0] for r in run(conn, f"""
        INSERT INTO check_ins (source, {cols}) SELECT 'terminal', {cols} FROM terminal_check_ins_in
        ON CONFLICT (event_key) DO NOTHING RETURNING event_key""")}


# --- other uploads ----------------------------------------------------------------------------

def insert_operlogs(conn: Connection, sn: str, table: str, lines: list[dict], now: dt.datetime) -> int:
    if not lines:
        return 0
    return inserted(conn, """
        INSERT INTO terminal_operlogs (sn, line_hash, table_name, kind, pin, content, received_at)
        SELECT :sn, h, :table, k, p, c, :now
        FROM unnest(CAST(:hashes AS text[]), CAST(:kinds AS text[]), CAST(:pins AS text[]),
                    CAST(:contents AS text[])) AS x(h, k, p, c)
        ON CONFLICT (sn, line_hash) DO NOTHING RETURNING 1""",
        sn=sn, table=table, now=now, hashes=[x["line_hash"] for x in lines],
        kinds=[x["kind"] for x in lines], pins=[x["pin"] for x in lines],
        contents=[x["content"] for x in lines])


def insert_photo(conn: Connection, sn: str, photo: dict, now: dt.datetime) -> bool:
    return bool(run(conn, """
        INSERT INTO terminal_photos (sn, filename, pin, size, sha256, received_at)
        VALUES (:sn, :filename, :pin, :size, :sha256, :now) ON CONFLICT (sn, filename) DO NOTHING""",
        sn=sn, now=now, **photo).rowcount)


# --- commands ---------------------------------------------------------------------------------

def queue_command(conn: Connection, sn: str, kind: str, command: str, actor: str, now: dt.datetime) -> int:
    return scalar(conn, """
        INSERT INTO terminal_commands (sn, kind, command, queued_at, queued_by)
        VALUES (:sn, :kind, :command, :now, :actor) RETURNING id""",
        sn=sn, kind=kind, command=command, now=now, actor=actor)


def take_due_commands(conn: Connection, sn: str, now: dt.datetime, retry_after_s: float,
                      max_attempts: int, limit: int = 10) -> list[dict]:
    """Commands to hand out now: never sent, or sent without a result for a while (reply lost)."""
    return rows(conn, """
        UPDATE terminal_commands c SET sent_at = :now, attempts = c.attempts + 1
        WHERE c.id IN (
            SELECT id FROM terminal_commands
            WHERE sn = :sn AND result_at IS NULL AND attempts < :max_attempts
              AND (sent_at IS NULL OR sent_at < :now - make_interval(secs => :retry))
            ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)
        RETURNING c.id, c.kind, c.command""",
        sn=sn, now=now, retry=retry_after_s, max_attempts=max_attempts, n=limit)


def record_command_result(conn: Connection, sn: str, command_id: int, code: int | None, text: str,
                          now: dt.datetime) -> dict | None:
    return one(conn, """
        UPDATE terminal_commands SET result = :code, result_text = :text, result_at = :now
        WHERE id = :id AND sn = :sn RETURNING id, kind""",
        id=command_id, sn=sn, code=code, text=text, now=now)


def commands(conn: Connection, sn: str, limit: int = 50) -> list[dict]:
    return rows(conn, "SELECT * FROM terminal_commands WHERE sn = :sn ORDER BY id DESC LIMIT :n",
                sn=sn, n=limit)


# --- health -----------------------------------------------------------------------------------

def terminal_health(conn: Connection, now: dt.datetime, silent_after_s: float, drift_s: float) -> list[dict]:
    """Every terminal with its health: online, silent (no heartbeat or log lately), clock_drift.

    Pending and retired terminals are listed with their status; only active ones are judged.
    """
    return rows(conn, """
        SELECT t.sn, t.status, t.office_code, o.name AS office_name, o.unit_code, t.firmware,
               t.last_heartbeat_at, t.last_log_at, t.clock_drift_s, t.first_seen_at,
               GREATEST(t.last_heartbeat_at, t.last_log_at) AS last_seen_at,
               CASE WHEN t.status <> 'active' THEN t.status
                    WHEN GREATEST(t.last_heartbeat_at, t.last_log_at) IS NULL
                      OR GREATEST(t.last_heartbeat_at, t.last_log_at) < :now - make_interval(secs => :silent)
                      THEN 'silent'
                    WHEN abs(COALESCE(t.clock_drift_s, 0)) > :drift THEN 'clock_drift'
                    ELSE 'online' END AS health,
               (SELECT count(*) FROM terminal_commands c
                 WHERE c.sn = t.sn AND c.result_at IS NULL) AS open_commands,
               (SELECT count(*) FROM terminal_log_states l
                 WHERE l.sn = t.sn AND l.state = 'unmatched') AS unmatched
        FROM terminals t LEFT JOIN offices o ON o.code = t.office_code
        ORDER BY (t.status = 'active') DESC, t.office_code NULLS FIRST, t.sn""",
        now=now, silent=silent_after_s, drift=drift_s)


def silent_count(conn: Connection, now: dt.datetime, silent_after_s: float) -> int:
    """How many active terminals have been silent (for the wall display)."""
    return scalar(conn, """
        SELECT count(*) FROM terminals
        WHERE status = 'active' AND (GREATEST(last_heartbeat_at, last_log_at) IS NULL
              OR GREATEST(last_heartbeat_at, last_log_at) < :now - make_interval(secs => :silent))""",
        now=now, silent=silent_after_s)


# --- pull mode --------------------------------------------------------------------------------

def save_pull_source(conn: Connection, sn: str, host: str, port: int) -> None:
    run(conn, """
        INSERT INTO terminal_pull_sources (sn, host, port) VALUES (:sn, :host, :port)
        ON CONFLICT (sn) DO UPDATE SET host = EXCLUDED.host, port = EXCLUDED.port""",
        sn=sn, host=host, port=port)


def pull_sources(conn: Connection) -> list[dict]:
    return rows(conn, "SELECT * FROM terminal_pull_sources ORDER BY sn")


def pull_source(conn: Connection, sn: str) -> dict | None:
    return one(conn, "SELECT * FROM terminal_pull_sources WHERE sn = :sn", sn=sn)


def save_pull_position(conn: Connection, sn: str, *, last_local_time: dt.datetime | None,
                       count: int | None, error: str | None, now: dt.datetime) -> None:
    run(conn, """
        UPDATE terminal_pull_sources SET last_local_time = COALESCE(:t, last_local_time),
               last_count = COALESCE(:n, last_count), last_error = :err, last_pulled_at = :now
        WHERE sn = :sn""", sn=sn, t=last_local_time, n=count, err=error, now=now)
