"""Test data written straight to the schema (the app writes through queries/ only)."""
from __future__ import annotations

import itertools

from queries import db

_seq = itertools.count(1)


def nip(birth: str = "19850412", appointed: str = "201001", sex: int = 1) -> str:
    return f"{birth}{appointed}{sex}{next(_seq) % 1000:03d}"


def employee(rt, unit_code: str, name: str | None = None, schedule_code: str | None = None,
             terminal_pin: str | None = None, assigned_units: list[str] | None = None) -> dict:
    number = nip()
    with rt.transaction() as conn:
        return db.one(conn, """
            INSERT INTO employees (nip, name, unit_code, position, schedule_code, terminal_pin, assigned_units)
            VALUES (:nip, :name, :unit, 'Pelaksana', :sched, :pin, :assigned)
            ON CONFLICT (nip) DO UPDATE SET name = EXCLUDED.name
            RETURNING id, nip, name, unit_code""",
            nip=number, name=name or f"Pegawai {number[-4:]}", unit=unit_code, sched=schedule_code,
            pin=terminal_pin, assigned=assigned_units or [])
