"""Phones bound to employees and the one-time activation codes that bind them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from .db import copy_rows, driver_rows, one, region_lock_key, rows, run, scalar


def employee_by_nip(conn: Connection, nip: str) -> dict | None:
    return one(conn, "SELECT id, nip, name, unit_code, active FROM employees WHERE nip = :nip", nip=nip)


def lock_binding(conn: Connection, employee_id: int) -> None:
    """Serialise activations and resets of one employee's phone binding."""
    run(conn, f"SELECT pg_advisory_xact_lock({region_lock_key('binding')}, :id)", id=employee_id)


def lock_device(conn: Connection, device_id: str) -> None:
    """Serialise activations of one phone, so two accounts cannot bind it at the same moment."""
    run(conn, f"SELECT pg_advisory_xact_lock({region_lock_key('device')}, hashtext(:d))", d=device_id)


def bound_to_other(conn: Connection, device_id: str, employee_id: int) -> dict | None:
    """An active binding of this phone to another active employee, if there is one."""
    return one(conn, """
        SELECT d.id, d.bound_at, e.nip FROM devices d JOIN employees e ON e.id = d.employee_id
        WHERE d.device_id = :d AND d.revoked_at IS NULL AND e.active AND d.employee_id <> :e
        LIMIT 1""", d=device_id, e=employee_id)


def shared_devices(conn: Connection) -> list[dict]:
    """Phones bound to more than one active account (made before the rule held), each
    binding a row, the first binding of each phone first: BKPP resets the others."""
    return rows(conn, """
        WITH active AS (
            SELECT d.id, d.device_id, d.model, d.bound_at, d.last_seen_at, e.nip, e.name, e.unit_code,
                   count(*) OVER (PARTITION BY d.device_id) AS accounts,
                   row_number() OVER (PARTITION BY d.device_id ORDER BY d.bound_at, d.id) AS nth
            FROM devices d JOIN employees e ON e.id = d.employee_id
            WHERE d.revoked_at IS NULL AND e.active)
        SELECT device_id, model, bound_at, last_seen_at, nip, name, unit_code, accounts, nth
        FROM active WHERE accounts > 1 ORDER BY device_id, nth""")


def add_code(conn: Connection, employee_id: int, code_hash: str, issued_by: str, expires_at: dt.datetime) -> int:
    return scalar(conn, """
        INSERT INTO activation_codes (employee_id, code_hash, issued_by, expires_at)
        VALUES (:e, :h, :by, :exp) RETURNING id""", e=employee_id, h=code_hash, by=issued_by, exp=expires_at)


def expire_open_codes(conn: Connection, employee_id: int) -> int:
    """A new code replaces any earlier one still open, so only one is ever usable."""
    return run(conn, """
        UPDATE activation_codes SET expires_at = now()
        WHERE employee_id = :e AND used_at IS NULL AND expires_at > now()""", e=employee_id).rowcount


def expire_open_codes_many(conn: Connection, employee_ids: list[int]) -> None:
    run(conn, """
        UPDATE activation_codes SET expires_at = now()
        WHERE employee_id = ANY(:e) AND used_at IS NULL AND expires_at > now()""", e=employee_ids)


def employee_ids(conn: Connection, nips: list[str]) -> dict[str, int]:
    return {r["nip"]: r["id"] for r in rows(
        conn, "SELECT id, nip FROM employees WHERE nip = ANY(:n) AND active", n=nips)}


def add_codes(conn: Connection, codes: list[tuple[int, str, str, dt.datetime]]) -> int:
    """Many (employee_id, code_hash, issued_by, expires_at) at once, by COPY."""
    return copy_rows(conn, "activation_codes", ("employee_id", "code_hash", "issued_by", "expires_at"), codes)


def usable_code(conn: Connection, employee_id: int, code_hash: str) -> dict | None:
    """The code row when it belongs to the employee, is unused and has not expired."""
    return one(conn, """
        SELECT id, expires_at FROM activation_codes
        WHERE employee_id = :e AND code_hash = :h AND used_at IS NULL AND expires_at > now()
        FOR UPDATE""", e=employee_id, h=code_hash)


def open_code_exists(conn: Connection, nip: str, code_hash: str) -> bool:
    """Whether an active employee of this region has this NIP and this code open (unused,
    unexpired): which region a first activation is for, when the phone names none."""
    return bool(scalar(conn, """
        SELECT EXISTS (SELECT 1 FROM activation_codes c JOIN employees e ON e.id = c.employee_id
                       WHERE e.nip = :nip AND e.active AND c.code_hash = :h
                         AND c.used_at IS NULL AND c.expires_at > now())""", nip=nip, h=code_hash))


def use_code(conn: Connection, code_id: int) -> None:
    run(conn, "UPDATE activation_codes SET used_at = now() WHERE id = :id", id=code_id)


def active_device(conn: Connection, employee_id: int) -> dict | None:
    return one(conn, """
        SELECT id, device_id, model, bound_at, last_seen_at FROM devices
        WHERE employee_id = :e AND revoked_at IS NULL""", e=employee_id)


def bind(conn: Connection, employee_id: int, device_id: str, model: str, token_hash: str) -> int:
    return scalar(conn, """
        INSERT INTO devices (employee_id, device_id, model, token_hash)
        VALUES (:e, :d, :m, :t) RETURNING id""", e=employee_id, d=device_id, m=model, t=token_hash)


def revoke(conn: Connection, employee_id: int, by: str, reason: str) -> dict | None:
    """Revoke the employee's active binding; the revoked row, or None when there was none."""
    return one(conn, """
        UPDATE devices SET revoked_at = now(), revoked_by = :by, revoke_reason = :reason
        WHERE employee_id = :e AND revoked_at IS NULL
        RETURNING id, device_id, model, bound_at, revoked_at""", e=employee_id, by=by, reason=reason)


def by_tokens(conn: Connection, token_hashes: list[str], now: dt.datetime | None = None) -> dict[str, dict]:
    """{token hash: the device it belongs to, with its employee} (revoked ones too, and
    `shared`: the phone was bound to another active account first), for a
    batch of requests in one round trip; those marked stale were last seen over 5
    minutes ago and have just been touched (at most once a few minutes: write-light), at
    `now` (the server's clock, the demo's too; default the database's). The `last_seen_at`
    returned is the one before this touch: the phone's previous contact."""
    return {r["token_hash"]: r for r in driver_rows(conn, """
        WITH found AS (
            SELECT d.id AS device_ref, d.token_hash, d.device_id, d.revoked_at, d.revoke_reason, d.last_seen_at,
                   e.id AS employee_id, e.nip, e.name, e.unit_code, e.active,
                   EXISTS (SELECT 1 FROM devices o JOIN employees oe ON oe.id = o.employee_id
                           WHERE o.device_id = d.device_id AND o.revoked_at IS NULL AND oe.active
                             AND o.employee_id <> d.employee_id
                             AND (o.bound_at, o.id) < (d.bound_at, d.id)) AS shared
            FROM devices d JOIN employees e ON e.id = d.employee_id
            WHERE d.token_hash = ANY(:t)),
        touched AS (
            UPDATE devices d SET last_seen_at = COALESCE(CAST(:now AS timestamptz), now()) FROM found f
            WHERE d.id = f.device_ref AND f.revoked_at IS NULL
              AND (f.last_seen_at IS NULL OR f.last_seen_at < COALESCE(CAST(:now AS timestamptz), now()) - interval '5 minutes'
                   OR f.last_seen_at > COALESCE(CAST(:now AS timestamptz), now()))
            RETURNING d.id)
        SELECT * FROM found""", t=token_hashes, now=now)}


def history(conn: Connection, employee_id: int) -> list[dict]:
    return rows(conn, """
        SELECT id, device_id, model, bound_at, last_seen_at, revoked_at, revoked_by, revoke_reason
        FROM devices WHERE employee_id = :e ORDER BY bound_at DESC, id DESC""", e=employee_id)


def bindings(conn: Connection, search: str | None = None, limit: int = 200) -> list[dict]:
    """Active employees with their bound phone (model, first and last seen), matched by NIP
    or name; those with a phone first, most recently seen first."""
    return rows(conn, """
        SELECT e.nip, e.name, e.unit_code, d.model, d.device_id, d.bound_at, d.last_seen_at
        FROM employees e LEFT JOIN devices d ON d.employee_id = e.id AND d.revoked_at IS NULL
        WHERE e.active AND (CAST(:q AS text) IS NULL OR e.nip LIKE :q || '%'
                            OR strpos(lower(e.name), lower(:q)) > 0)
        ORDER BY d.id IS NULL, d.last_seen_at DESC NULLS LAST, e.nip LIMIT :limit""", q=search or None, limit=limit)
