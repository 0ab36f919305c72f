"""The administration pages' reads, each one named question over queries/ (or an ingest
read the CLI shares), cut to what the caller passes. The pages check the viewer's role
and scope first (admin_common.admin_viewer); writes go through ingest's service functions.
"""
from __future__ import annotations

import base64
import datetime as dt
import io

from PIL import Image, ImageOps

from ingest import attachments, events, face_match, selfies
from ingest.terminals import registry
from queries import audit
from queries import devices as qd
from queries import events as qe
from queries import faces as qf
from queries import leave as ql
from queries import manual as qm
from queries import terminals as qt
from queries import users as qu

from . import _query, runtime


def audit_entries(**filters) -> list[dict]:
    """audit.entries: action, actor, search, since, until, limit, offset."""
    return _query(audit.entries, **filters)


def phone_bindings(search: str | None) -> list[dict]:
    return _query(qd.bindings, search)


def logins() -> list[dict]:
    return _query(qu.logins)


def shared_phones() -> list[dict]:
    """Phones bound to more than one active account, each binding a row (first binding first)."""
    return _query(qd.shared_devices)


def leave_attachment(leave_id: int, sha: str) -> dict | None:
    return _query(ql.attachment, leave_id, sha)


def leave_attachment_file(sha: str):
    """Where a leave document is kept (it may be missing on disk)."""
    return selfies.path_for(attachments.attachment_dir(runtime().settings), sha)


def pending_leaves(unit_codes: list[str] | None) -> list[dict]:
    return _query(ql.pending, unit_codes)


def manual_entries(d0: dt.date, d1: dt.date, unit_codes: list[str] | None) -> list[dict]:
    return _query(qm.entries, d0, d1, unit_codes)


def event(event_id: int) -> dict | None:
    return _query(qe.event, event_id)


def event_attendance(event_id: int) -> dict:
    """Who attended an event and who is missing (events.attendance; EventError if none)."""
    return events.attendance(runtime(), event_id)


def event_attendee_count(event_id: int) -> int:
    return len(_query(qe.attendees, event_id))


def event_invited_nips(event_id: int) -> list[str]:
    return _query(qe.invited_nips, event_id)


def events_between(d0: dt.date, d1: dt.date) -> list[dict]:
    return _query(qe.events_between, d0, d1)


def terminal_health() -> list[dict]:
    """Every terminal with its state, last contact and backlog (registry.health)."""
    return registry.health(runtime())


def unmatched_lines(sns: list[str] | None, limit: int = 100) -> list[dict]:
    """Terminal lines whose PIN no active employee has, per terminal and PIN (all terminals: None)."""
    return _query(qt.unmatched_pins, limit, sns)


def active_terminal_sns() -> list[str]:
    return [t["sn"] for t in _query(qt.terminals) if t["status"] == "active"]


def rejected_lines(sns: list[str] | None, limit: int = 100) -> dict:
    """Terminal lines kept as rejected (total, newest lines), each with its reason code."""
    found = _query(qt.rejected_lines, sns, limit)
    for line in found["lines"]:
        line["code"] = line["code"] or registry.rejection_code(line["reason"])
    return found


def face_enrolment(nip: str) -> dict:
    """face_match.enrolment_view: the employee, the standing reference face, selfies to approve."""
    return face_match.enrolment_view(runtime(), nip)


def face_counts() -> dict:
    """How many employees have a reference face, and how many selfies wait for the match."""
    return _query(qf.counts)


def photo_thumbnail(sha: str, side: int = 160) -> str | None:
    """A stored photo (selfie or reference face) as a small JPEG data URL; None when missing."""
    path = selfies.path_for(runtime().settings.selfie_dir, sha)
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
