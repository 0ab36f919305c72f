"""/admin/leave: pending leave requests in the viewer's units, their documents, approve or reject.

BKPP sees every request; a kepala_unit those of their unit subtree. The decision goes
through ingest.leave_requests.decide, which checks the scope again, re-derives the work
days on approval and writes the audit log. Attachments are streamed by a Flask route
that checks the same scope.
"""
from __future__ import annotations

import re

from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import Blueprint, abort, send_file

from ingest import leave_requests

from .. import data
from ..data import admin as admin_data
from .admin_common import LEAVE_ROLES, actor, admin_viewer, done, refusal, table, unit_codes
from .common import dropdown, nothing, parse_int, text

blueprint = Blueprint("admin_leave", __name__)
SHA256 = re.compile(r"^[0-9a-f]{64}$")
INLINE = {"application/pdf", "image/jpeg", "image/png"}


@blueprint.route("/admin/attachment/<int:leave_id>/<sha>")
def attachment(leave_id: int, sha: str):
    """A leave request's document, for BKPP or the kepala_unit of the employee's units."""
    viewer = admin_viewer(LEAVE_ROLES)
    if viewer is None:
        abort(401)
    if not SHA256.match(sha):
        abort(404)
    rt = data.runtime()
    found = admin_data.leave_attachment(leave_id, sha)
    if found is None or not leave_requests.may_decide(rt.config, viewer.role, viewer.unit_code, found["unit_code"]):
        abort(404)  # the same answer as "no such file": nothing leaks about other units
    path = admin_data.leave_attachment_file(sha)
    if not path.is_file():
        abort(404)
    mime = found["mime"] if found["mime"] in INLINE else "application/octet-stream"
    response = send_file(path, mimetype=mime, download_name=found["filename"] or sha, max_age=0)
    response.headers["Content-Security-Policy"] = "sandbox"  # an uploaded PDF runs no script in our origin
    return response


def _pending(viewer) -> list[dict]:
    return admin_data.pending_leaves(unit_codes(viewer))


def _rows(pending: list[dict]):
    body = []
    for r in pending:
        docs = [html.A(a["filename"] or a["mime"], href=f"/admin/attachment/{r['id']}/{a['sha256']}",
                       target="_blank", className="attachment") for a in r["attachments"]]
        body.append([r["id"], r["nip"], r["name"], r["unit_code"], r["leave_type"].replace("_", " "),
                     f"{r['date_from']:%d/%m/%Y} – {r['date_to']:%d/%m/%Y}", r["reason"],
                     html.Span(docs) if docs else "–", _row_decision(r["id"])])
    if not body:
        return html.P("Tidak ada pengajuan yang menunggu keputusan.", className="muted", id="lv-empty")
    return table(["No.", "NIP", "Nama", "Unit", "Jenis", "Tanggal", "Alasan", "Dokumen", "Keputusan"], body,
                 "lv-table", "leave-row")


def _row_decision(leave_id: int) -> html.Div:
    """Approve or reject this request in place (a rejection needs the comment beside it)."""
    return html.Div([
        dcc.Input(id={"type": "lv-row-note", "index": leave_id}, placeholder="Komentar (wajib jika ditolak)",
                  className="comment-inline", debounce=False),
        html.Button("Setujui", id={"type": "lv-row-approve", "index": leave_id}, className="button primary"),
        html.Button("Tolak", id={"type": "lv-row-reject", "index": leave_id}, className="button"),
    ], className="row-decision")


def _options(pending: list[dict]) -> list[dict]:
    return [{"label": f"{r['id']} · {r['name']} · {r['leave_type']} {r['date_from']:%d/%m}", "value": r["id"]}
            for r in pending]


def layout(viewer, params: dict):
    if admin_viewer(LEAVE_ROLES) is None:
        return nothing()
    pending = _pending(viewer)
    chosen = parse_int(params.get("leave"))  # a link to one request preselects it
    return html.Div([
        html.H2("Persetujuan cuti, izin dan dinas"),
        html.Div(_rows(pending), id="lv-list"),
        html.H3("Keputusan dengan komentar panjang"),
        html.Div([
            dropdown("lv-choice", _options(pending), placeholder="Pilih pengajuan",
                         value=chosen if chosen in {r["id"] for r in pending} else None, className="filter wide"),
            dcc.Textarea(id="lv-comment", placeholder="Komentar (wajib untuk penolakan)", className="comment"),
            html.Button("Setujui", id="lv-approve", className="button primary"),
            html.Button("Tolak", id="lv-reject", className="button"),
        ], className="filters"),
        html.Div(id="lv-result"),
    ])


def decide(viewer, leave_id, approve_it: bool, comment: str):
    """The decision as the page shows it (done, or the refusal in both languages)."""
    if not isinstance(leave_id, int) or isinstance(leave_id, bool):
        return html.Div("Pilih pengajuan dulu. / Choose a request first.", className="error", id="refusal")
    if not approve_it and not comment.strip():
        return html.Div("Komentar wajib untuk penolakan. / A comment is required to reject.",
                        className="error", id="refusal")
    try:
        after = leave_requests.decide(data.runtime(), leave_id, approve_it, actor(), comment.strip(),
                                      role=viewer.role, user_unit=viewer.unit_code)
    except leave_requests.RequestRefused as exc:
        return refusal(exc)
    days = ", ".join(f"{d}: {s}" for d, s in (after.get("days") or {}).items())
    word = "disetujui" if approve_it else "ditolak"
    return done(f"Pengajuan {leave_id} {word}." + (f" Hari kerja: {days}" if days else ""))


def register(app) -> None:
    @app.callback(Output("lv-result", "children"), Output("lv-list", "children"), Output("lv-choice", "options"),
                  Input("lv-approve", "n_clicks"), Input("lv-reject", "n_clicks"),
                  State("lv-choice", "value"), State("lv-comment", "value"), prevent_initial_call=True)
    def _decide(approve_clicks, reject_clicks, leave_id, comment):
        viewer = admin_viewer(LEAVE_ROLES)
        if viewer is None:
            raise PreventUpdate
        result = decide(viewer, leave_id, ctx.triggered_id == "lv-approve", text(comment, 1000))
        pending = _pending(viewer)
        return result, _rows(pending), _options(pending)

    @app.callback(Output("lv-result", "children", allow_duplicate=True),
                  Output("lv-list", "children", allow_duplicate=True),
                  Output("lv-choice", "options", allow_duplicate=True),
                  Input({"type": "lv-row-approve", "index": ALL}, "n_clicks"),
                  Input({"type": "lv-row-reject", "index": ALL}, "n_clicks"),
                  State({"type": "lv-row-note", "index": ALL}, "value"),
                  State({"type": "lv-row-note", "index": ALL}, "id"), prevent_initial_call=True)
    def _decide_row(approve_clicks, reject_clicks, notes, note_ids):
        viewer, pressed = admin_viewer(LEAVE_ROLES), ctx.triggered_id
        if viewer is None or not isinstance(pressed, dict) or not any(t["value"] for t in ctx.triggered):
            raise PreventUpdate    # a redrawn list fires with no click
        leave_id = pressed.get("index")
        note = next((n for n, i in zip(notes, note_ids) if i.get("index") == leave_id), None)
        result = decide(viewer, leave_id, pressed.get("type") == "lv-row-approve", text(note, 1000))
        pending = _pending(viewer)
        return result, _rows(pending), _options(pending)
