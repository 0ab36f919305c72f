"""What the pattern scan reads (phone check-ins with their phone's id, terminal punches,
selfie hashes) and writes (findings, once each: a rescan adds only what is new)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection

from .db import inserted, rows, run
from .review import latest_join


def mobile_fixes(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    """Phone check-ins and event QR scans (source 'qr': a phone's fix too) with a position."""
    return rows(conn, """
        SELECT c.id, c.employee_id, c.source, c.captured_at, c.lat, c.lon, c.accuracy_m, c.work_date, c.session,
               c.office_code, c.selfie_sha256, c.verdict, c.reasons, d.device_id
        FROM check_ins c LEFT JOIN devices d ON d.id = c.device_ref
        WHERE c.source IN ('mobile', 'qr') AND c.work_date BETWEEN :a AND :b AND c.lat IS NOT NULL
          AND c.employee_id IS NOT NULL
        ORDER BY c.captured_at""", a=first, b=last)


def terminal_punches(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    return rows(conn, """
        SELECT id, employee_id, terminal_sn, captured_at, work_date, verdict, reasons FROM check_ins
        WHERE source = 'terminal' AND work_date BETWEEN :a AND :b AND employee_id IS NOT NULL
          AND terminal_sn IS NOT NULL
        ORDER BY captured_at""", a=first, b=last)


def selfie_hashes(conn: Connection, shas: list[str]) -> dict[str, str | None]:
    return {r["selfie_sha256"]: r["phash"] for r in rows(
        conn, "SELECT selfie_sha256, phash FROM selfie_hashes WHERE selfie_sha256 = ANY(:s)", s=shas)}


def add_selfie_hashes(conn: Connection, hashes: dict[str, str | None]) -> None:
    if hashes:
        run(conn, """INSERT INTO selfie_hashes (selfie_sha256, phash)
                     SELECT * FROM unnest(CAST(:s AS text[]), CAST(:p AS text[])) ON CONFLICT DO NOTHING""",
            s=list(hashes), p=list(hashes.values()))


def add_findings(conn: Connection, findings: list[dict]) -> int:
    """Store findings not stored before; how many were new."""
    if not findings:
        return 0
    return inserted(conn, """
        INSERT INTO pattern_findings (kind, work_date, employee_ids, check_in_ids, evidence, message_id, message_en)
        SELECT f.kind, f.work_date, ARRAY(SELECT jsonb_array_elements_text(f.employee_ids)::bigint),
               ARRAY(SELECT jsonb_array_elements_text(f.check_in_ids)::bigint), f.evidence, f.message_id, f.message_en
        FROM jsonb_to_recordset(CAST(:f AS jsonb)) AS f(kind text, work_date date, employee_ids jsonb,
             check_in_ids jsonb, evidence jsonb, message_id text, message_en text)
        ON CONFLICT (kind, employee_ids, check_in_ids) DO NOTHING RETURNING 1""", f=json.dumps(findings, default=str))


def findings(conn: Connection, first: dt.date, last: dt.date, unit_codes: list[str] | None = None) -> list[dict]:
    """Findings in [first, last], one row per employee involved, for the inspectorate's file:
    unit order, then date, then kind."""
    return rows(conn, """
        SELECT f.work_date AS tanggal, f.kind AS pola, e.nip, e.name AS nama, e.unit_code AS unit_kode,
               u.name AS unit_nama, f.message_id AS keterangan, cardinality(f.check_in_ids) AS presensi,
               f.id AS temuan
        FROM pattern_findings f CROSS JOIN LATERAL unnest(f.employee_ids) AS who(employee_id)
        JOIN employees e ON e.id = who.employee_id LEFT JOIN units u ON u.code = e.unit_code
        WHERE f.work_date BETWEEN :a AND :b AND (CAST(:units AS text[]) IS NULL OR e.unit_code = ANY(:units))
        ORDER BY u.path, e.unit_code, f.work_date, f.kind, e.nip""", a=first, b=last, units=unit_codes)


def outcomes(conn: Connection, employee_ids: list[int], first: dt.date, last: dt.date) -> list[dict]:
    """The employees' check-ins in [first, last] as the review queue sees them: the verdict,
    whether one waits for review (judge-flagged, or a judge, face or trust flag), whether a
    pattern flagged it (alone, that only lowers its trust score), the latest decision (a face
    mismatch refused by rules.face.server_mismatch is a 'tolak'), the server's face match."""
    return rows(conn, f"""
        SELECT c.id, c.employee_id, c.work_date, c.source, c.verdict, c.reasons,
               c.verdict = 'flagged' OR EXISTS (SELECT 1 FROM check_in_flags f WHERE f.check_in_id = c.id
                                                  AND f.source IN ('judge', 'face', 'trust')) AS queued,
               EXISTS (SELECT 1 FROM check_in_flags f WHERE f.check_in_id = c.id AND f.source = 'pattern')
                   AS pattern_flagged,
               rd.decision, (SELECT m.result FROM face_matches m WHERE m.check_in_id = c.id) AS face_result
        FROM check_ins c {latest_join("c")}
        WHERE c.employee_id = ANY(:e) AND c.work_date BETWEEN :a AND :b""", e=employee_ids, a=first, b=last)
