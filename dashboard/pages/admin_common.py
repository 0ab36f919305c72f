"""What the administration pages share: who may use which page, the actor's name,
the viewer's units, refusals shown in both languages, uploaded documents."""
from __future__ import annotations

import base64
import binascii

from dash import html
from flask_login import current_user

from ingest.attachments import MAX_BYTES as MAX_UPLOAD

from .. import auth, data

LEAVE_ROLES = ("bkpp", "kepala_unit")   # ingest.leave_requests.may_decide has the last word
MANUAL_ROLES = ("bkpp", "admin_unit")
BKPP = ("bkpp",)
TERMINAL_ROLES = ("bkpp", "kepala_daerah", "sekda", "kepala_unit")   # only BKPP queues commands
REVIEW_ROLES = ("bkpp", "inspektorat", "kepala_unit")   # ingest.review.may_review has the last word
# (href, label, roles) appended to the top bar for the roles that may use them
ADMIN_NAV = (("/admin/leave", "Persetujuan cuti", LEAVE_ROLES), ("/admin/manual", "Presensi manual", MANUAL_ROLES),
             ("/admin/devices", "Perangkat", BKPP), ("/admin/faces", "Wajah acuan", BKPP),
             ("/admin/events", "Acara", BKPP), ("/admin/users", "Pengguna", BKPP), ("/admin/audit", "Audit", BKPP),
             ("/admin/terminals", "Mesin presensi", TERMINAL_ROLES), ("/review", "Tinjauan", REVIEW_ROLES))


def admin_viewer(roles: tuple[str, ...]):
    """The logged-in viewer when their role may use the page, else None (kiosks never)."""
    viewer = auth.viewer()
    if viewer is None or viewer.is_kiosk or viewer.role not in roles:
        return None
    return viewer


def nav_links(viewer) -> list[tuple[str, str]]:
    if viewer is None or viewer.is_kiosk:
        return []
    return [(href, label) for href, label, roles in ADMIN_NAV if viewer.role in roles]


def actor() -> str:
    return getattr(current_user, "username", None) or "dashboard"


def unit_codes(viewer) -> list[str] | None:
    """The viewer's units (their subtree), None for the whole region; an unknown unit: none."""
    config = data.runtime().config
    if viewer.scope is None:
        return None
    if viewer.unit_code not in config.unit_by_code:
        return []
    return config.subtree(viewer.unit_code)


def refusal(exc) -> html.Div:
    """A refusal from ingest/ (code, message_id, message_en) as the page shows it."""
    return html.Div([html.Strong(exc.message_id), html.Br(), html.Span(exc.message_en, className="muted"),
                     html.Span(f" ({exc.code})", className="muted")], className="refusal error", id="refusal")


def done(message: str) -> html.Div:
    return html.Div(message, className="done", id="done")


def uploaded(contents, filename) -> tuple[str, bytes] | None:
    """dcc.Upload's data URL as (filename, bytes); None when nothing (usable) was sent."""
    if not isinstance(contents, str) or "," not in contents or len(contents) > MAX_UPLOAD * 4 // 3 + 200:
        return None
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return (filename if isinstance(filename, str) else "dokumen")[:200], raw


def table(head: list[str], body_rows: list[list], table_id: str, row_class: str = "admin-row"):
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in r], className=row_class) for r in body_rows])],
                      className="people", id=table_id)
