"""The region from config.yaml, mirrored into units and offices so SQL can join on it."""
from __future__ import annotations

import json

from sqlalchemy.engine import Connection

from . import audit
from .db import one, region_lock_key, rows, run, run_many


def sync_region(conn: Connection, config) -> dict:
    """Upsert units and offices from config; those no longer listed are marked inactive."""
    units = []
    for u in config.units:
        path = "/".join(config.unit_path(u.code)) + "/"
        units.append(dict(code=u.code, name=u.name, kind=u.kind, parent_code=u.parent, path=path,
                          depth=path.count("/") - 1, schedule_code=config.unit_schedule(u.code)))
    run_many(conn, """
        INSERT INTO units (code, name, kind, parent_code, path, depth, schedule_code, active)
        VALUES (:code, :name, :kind, :parent_code, :path, :depth, :schedule_code, true)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
            parent_code = EXCLUDED.parent_code, path = EXCLUDED.path, depth = EXCLUDED.depth,
            schedule_code = EXCLUDED.schedule_code, active = true
        """, units)
    run(conn, "UPDATE units SET active = false WHERE NOT (code = ANY(:codes))", codes=[u["code"] for u in units])
    offices = [dict(code=o.code, name=o.name, unit_code=o.unit, lat=o.lat, lon=o.lon,
                    radius_m=None if o.polygon else (o.radius_m or config.rules.geofence.default_radius_m),
                    polygon=json.dumps(o.polygon) if o.polygon else None,
                    timezone=o.timezone or config.region.timezone)
               for o in config.offices]
    run_many(conn, """
        INSERT INTO offices (code, name, unit_code, lat, lon, radius_m, polygon, timezone, active)
        VALUES (:code, :name, :unit_code, :lat, :lon, :radius_m, CAST(:polygon AS jsonb), :timezone, true)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit_code = EXCLUDED.unit_code,
            lat = EXCLUDED.lat, lon = EXCLUDED.lon, radius_m = EXCLUDED.radius_m,
            polygon = EXCLUDED.polygon, timezone = EXCLUDED.timezone, active = true
        """, offices)
    run(conn, "UPDATE offices SET active = false WHERE NOT (code = ANY(:codes))", codes=[o["code"] for o in offices])
    return {"units": len(units), "offices": len(offices)}


def note_config(conn: Connection, actor: str, source: str, digest: dict) -> bool:
    """Audit-log the effective configuration when it differs from the last one logged: every
    process start checks, so a changed config.yaml picked up by a restart or a reload is on
    the record once, with the sections that changed. True when it logged."""
    run(conn, f"SELECT pg_advisory_xact_lock({region_lock_key('config_load')}, 0)")  # processes start together
    last = one(conn, "SELECT after FROM audit_log WHERE action = 'config.load' ORDER BY id DESC LIMIT 1")
    before = last["after"] if last else None
    if before and before.get("sha256") == digest["sha256"]:
        return False
    old = (before or {}).get("sections", {})
    changed = sorted(k for k, v in digest["sections"].items() if old.get(k) != v)
    audit.record(conn, actor, "config.load", source, "konfigurasi berubah / configuration changed" if before
                 else "konfigurasi pertama / first configuration", before=before, after={**digest, "changed": changed})
    return True
