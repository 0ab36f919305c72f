"""Employees: BKPP's master data as imported, looked up by NIP and terminal PIN."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from . import audit
from .db import one, region_lock_key, rows, run, scalar

_COLUMNS = "nip, name, unit_code, position, schedule_code, terminal_pin, assigned_units, active, active_until"


def lock_for_import(conn: Connection) -> None:
    """Serialises a region's imports: two at once would both see a NIP as new."""
    run(conn, f"SELECT pg_advisory_xact_lock({region_lock_key('employee_import')}, 0)")


def by_nips(conn: Connection, nips: list[str]) -> dict[str, dict]:
    found = rows(conn, f"SELECT {_COLUMNS} FROM employees WHERE nip = ANY(CAST(:nips AS text[]))", nips=nips)
    return {r["nip"]: r for r in found}


def by_nip(conn: Connection, nip: str) -> dict | None:
    return one(conn, f"SELECT id, {_COLUMNS}, created_at, updated_at FROM employees WHERE nip = :nip", nip=nip)


def pin_holders(conn: Connection, pins: list[str]) -> dict[str, str]:
    """terminal PIN -> NIP of the employee holding it now."""
    found = rows(conn, "SELECT terminal_pin, nip FROM employees WHERE terminal_pin = ANY(CAST(:pins AS text[]))",
                 pins=pins)
    return {r["terminal_pin"]: r["nip"] for r in found}


def count(conn: Connection, active_only: bool = True) -> int:
    return scalar(conn, "SELECT count(*) FROM employees WHERE active OR NOT :active_only", active_only=active_only)


def _arrays(values: list[dict]) -> dict:
    # one statement per batch: arrays unnested server-side (15,000 rows in one round trip)
    return dict(
        nips=[v["nip"] for v in values], names=[v["name"] for v in values],
        units=[v["unit_code"] for v in values], positions=[v["position"] for v in values],
        schedules=[v["schedule_code"] for v in values], pins=[v["terminal_pin"] for v in values],
        assigned=[";".join(v["assigned_units"]) for v in values],
        until=[str(v["active_until"]) if v.get("active_until") else None for v in values],
    )


_UNNEST = """unnest(CAST(:nips AS text[]), CAST(:names AS text[]), CAST(:units AS text[]),
                    CAST(:positions AS text[]), CAST(:schedules AS text[]), CAST(:pins AS text[]),
                    CAST(:assigned AS text[]), CAST(:until AS date[]))
             AS v(nip, name, unit_code, position, schedule_code, terminal_pin, assigned, active_until)"""
_ASSIGNED = "COALESCE(string_to_array(NULLIF(v.assigned, ''), ';'), '{}')"


def insert_many(conn: Connection, values: list[dict]) -> None:
    if values:
        run(conn, f"""
            INSERT INTO employees (nip, name, unit_code, position, schedule_code, terminal_pin, assigned_units,
                                   active_until)
            SELECT v.nip, v.name, v.unit_code, v.position, v.schedule_code, v.terminal_pin, {_ASSIGNED},
                   v.active_until
            FROM {_UNNEST}""", **_arrays(values))


def update_many(conn: Connection, values: list[dict], sets: frozenset[str]) -> None:
    """Overwrite the required fields, and the optional ones named in `sets`."""
    if not values:
        return
    params = _arrays(values)
    if "terminal_pin" in sets:
        # release the PINs first so two employees can swap theirs in one import
        run(conn, "UPDATE employees SET terminal_pin = NULL WHERE nip = ANY(CAST(:nips AS text[]))", nips=params["nips"])
    run(conn, f"""
        UPDATE employees e SET name = v.name, unit_code = v.unit_code, position = v.position, active = true,
            schedule_code = CASE WHEN :set_schedule THEN v.schedule_code ELSE e.schedule_code END,
            terminal_pin = CASE WHEN :set_pin THEN v.terminal_pin ELSE e.terminal_pin END,
            assigned_units = CASE WHEN :set_assigned THEN {_ASSIGNED} ELSE e.assigned_units END,
            active_until = CASE WHEN :set_until THEN v.active_until ELSE e.active_until END,
            updated_at = now()
        FROM {_UNNEST}
        WHERE e.nip = v.nip""", set_schedule="schedule_code" in sets, set_pin="terminal_pin" in sets,
        set_assigned="assigned_units" in sets, set_until="active_until" in sets, **params)


def set_active_until(conn: Connection, nip: str, last_day, actor: str, reason: str) -> dict | None:
    """The employee's last day in service (None: in service again), audited; None: no such NIP."""
    before = one(conn, "SELECT active_until FROM employees WHERE nip = :nip FOR UPDATE", nip=nip)
    if before is None:
        return None
    run(conn, "UPDATE employees SET active_until = :d WHERE nip = :nip", nip=nip, d=last_day)
    audit.record(conn, actor, "employee.update", f"employee:{nip}", reason,
                 before={"active_until": str(before["active_until"] or "")}, after={"active_until": str(last_day or "")})
    return {"nip": nip, "active_until": last_day}


def apply_import(conn: Connection, plan, actor: str, source: str) -> None:
    """Write an ImportPlan (ingest.employees_import) and its audit trail."""
    update_many(conn, [u["row"] for u in plan.updates], plan.sets)
    insert_many(conn, plan.inserts)
    for u in plan.updates:
        audit.record(conn, actor, "employee.update", f"employee:{u['nip']}", f"import {source}",
                     before=u["before"], after=u["after"])
    if plan.inserts or plan.updates:
        audit.record(conn, actor, "employees.import", source, "", after={
            "inserted": [v["nip"] for v in plan.inserts], "updated": len(plan.updates),
            "unchanged": plan.unchanged})
