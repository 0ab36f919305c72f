"""/admin/manual: the paper fallback. A unit admin (their units) or BKPP (all) writes in a check-in.

ingest.manual.write_entry judges it (reason, note, back-dating limit, the unit's monthly
cap, scope) and writes it through the one check-in pipeline as source `manual`.
"""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from ingest import attachments, manual
from foundation import clock

from .. import data
from ..data import admin as admin_data
from .admin_common import MANUAL_ROLES, actor, admin_viewer, done, refusal, table, unit_codes, uploaded
from .common import dropdown, local_time, nothing, text

SESSION_LABELS = {"in": "Masuk", "midday": "Siang", "out": "Pulang"}


def _recent(viewer):
    config = data.runtime().config
    today = data.today(config)
    found = admin_data.manual_entries(today - dt.timedelta(days=31), today, unit_codes(viewer))
    body = [[f"{r['work_date']:%d/%m/%Y}", local_time(config, r["unit_code"], r["captured_at"]),
             SESSION_LABELS.get(r["session"], r["session"]), r["nip"], r["name"], r["unit_code"],
             "diterima" if r["verdict"] == "accepted" else r["verdict"], ", ".join(r["reasons"] or []) or "–"]
            for r in found[:100]]
    if not body:
        return html.P("Belum ada presensi manual 31 hari terakhir.", className="muted", id="mn-empty")
    return table(["Tanggal", "Jam", "Sesi", "NIP", "Nama", "Unit", "Putusan", "Catatan"], body, "mn-table",
                 "manual-row")


def layout(viewer, params: dict):
    if admin_viewer(MANUAL_ROLES) is None:
        return nothing()
    config = data.runtime().config
    limit = config.rules.manual_max_backdate_days
    return html.Div([
        html.H2("Presensi manual (cadangan kertas)"),
        html.P(f"Paling lama {limit} hari ke belakang; lebih dari {config.rules.manual_cap_per_unit_month} entri "
               "per unit per bulan ditandai sebagai penggunaan berlebih.", className="muted"),
        html.Div([
            dcc.Input(id="mn-nip", type="text", placeholder="NIP (18 digit)", className="filter"),
            dcc.Input(id="mn-date", type="date", value=data.today(config).isoformat(), className="filter"),
            dcc.Input(id="mn-time", type="time", value=f"{clock.now().astimezone(config.zone):%H:%M}",
                      className="filter"),
            dropdown("mn-session", [{"label": v, "value": k} for k, v in SESSION_LABELS.items()],
                         value="in", clearable=False, className="filter"),
            dropdown("mn-reason", [{"label": i, "value": k} for k, (i, _) in manual.REASONS.items()],
                         value="terminal_failure", clearable=False, className="filter wide"),
        ], className="filters"),
        html.Div([
            dcc.Textarea(id="mn-note", placeholder="Keterangan (wajib), mis. nomor berita acara", className="comment"),
            dcc.Upload(id="mn-document", children=html.Div("Dokumen pindaian (PDF/JPEG/PNG, opsional)",
                                                           id="mn-document-label"),
                       className="upload", max_size=attachments.MAX_BYTES),
            html.Button("Simpan presensi manual", id="mn-save", className="button primary"),
        ], className="filters"),
        html.Div(id="mn-result"),
        html.H3("Presensi manual terakhir"),
        html.Div(_recent(viewer), id="mn-list"),
    ])


def write(viewer, nip: str, day: str, at: str, session: str, reason: str, note: str, document):
    """One entry from the form, as the page shows the outcome."""
    rt = data.runtime()
    try:
        moment = manual.moment_for(rt, nip, dt.date.fromisoformat(day), dt.time.fromisoformat(at))
    except ValueError:
        return html.Div("Tanggal atau jam tidak sah. / Invalid date or time (field: tanggal/jam).",
                        className="error", id="refusal")
    doc = manual.Document(*document) if document else None
    try:
        result = manual.write_entry(rt, actor(), unit_codes(viewer), nip, moment, session, reason, note, doc)
    except manual.ManualRefused as exc:
        return refusal(exc)
    flag = " Ditandai: melebihi batas presensi manual unit bulan ini." if result["overuse"] else ""
    again = " (sudah tercatat sebelumnya)" if result["duplicate"] else ""
    return done(f"Presensi manual tersimpan{again}: {result['message_id'] or result['verdict']}.{flag}")


def register(app) -> None:
    @app.callback(Output("mn-result", "children"), Output("mn-list", "children"),
                  Input("mn-save", "n_clicks"),
                  State("mn-nip", "value"), State("mn-date", "value"), State("mn-time", "value"),
                  State("mn-session", "value"), State("mn-reason", "value"), State("mn-note", "value"),
                  State("mn-document", "contents"), State("mn-document", "filename"), prevent_initial_call=True)
    def _save(clicks, nip, day, at, session, reason, note, contents, filename):
        viewer = admin_viewer(MANUAL_ROLES)
        if viewer is None:
            raise PreventUpdate
        result = write(viewer, text(nip, 40), text(day, 10), text(at, 8), text(session, 10), text(reason, 30),
                       text(note, 1000), uploaded(contents, filename))
        return result, _recent(viewer)

    @app.callback(Output("mn-document-label", "children"), Input("mn-document", "filename"),
                  prevent_initial_call=True)
    def _chosen(filename):
        return f"Dokumen: {text(filename)}" if filename else "Dokumen pindaian (PDF/JPEG/PNG, opsional)"
