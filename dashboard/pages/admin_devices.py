"""/admin/devices (BKPP): each employee's bound phone; reset a binding, issue an activation code.

The code is shown once, in the answer to the click that made it: only its hash is stored
(ingest.devices), so it can never be shown again. Both actions are audit-logged there.
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from ingest import devices

from .. import data
from ..data import admin as admin_data
from .admin_common import BKPP, actor, admin_viewer, done, refusal, table
from .common import local_time, nothing, text


def _when(config, unit, value) -> str:
    return f"{value:%d/%m/%Y} {local_time(config, unit, value)}" if value else "–"


def _list(search: str):
    config = data.runtime().config
    found = admin_data.phone_bindings(search.strip() or None)
    body = [[r["nip"], r["name"], r["unit_code"], r["model"] or ("terikat" if r["device_id"] else "–"),
             _when(config, r["unit_code"], r["bound_at"]), _when(config, r["unit_code"], r["last_seen_at"])]
            for r in found]
    if not body:
        return html.P("Tidak ada pegawai yang cocok.", className="muted", id="dv-empty")
    return table(["NIP", "Nama", "Unit", "Ponsel", "Pertama terlihat", "Terakhir terlihat"], body, "dv-table",
                 "device-row")


def _shared():
    """Phones on more than one account (bound before one phone, one account was enforced)."""
    config = data.runtime().config
    found = admin_data.shared_phones()
    if not found:
        return html.P("Tidak ada ponsel yang terikat pada lebih dari satu akun.", className="muted", id="dv-shared-none")
    body = [[r["device_id"][:24], r["model"] or "–", r["nip"], r["name"], r["unit_code"],
             _when(config, r["unit_code"], r["bound_at"]),
             "pertama (tetap berlaku)" if r["nth"] == 1 else "berikutnya: presensi ditolak, reset"] for r in found]
    return html.Div([
        html.P(f"{len({r['device_id'] for r in found})} ponsel terikat pada lebih dari satu akun. Presensi dari akun "
               "yang terikat belakangan ditolak; reset pengikatan akun itu setelah memeriksa.", className="warning"),
        table(["Ponsel", "Model", "NIP", "Nama", "Unit", "Terikat sejak", "Status"], body, "dv-shared", "shared-row")])


def layout(viewer, params: dict):
    if admin_viewer(BKPP) is None:
        return nothing()
    return html.Div([
        html.H2("Perangkat pegawai"),
        html.Div([dcc.Input(id="dv-search", type="text", placeholder="Cari NIP atau nama", debounce=True,
                            value=params.get("q", ""), className="filter")], className="filters"),
        html.Div(_list(params.get("q", "")), id="dv-list"),
        html.H3("Satu ponsel, lebih dari satu akun"),
        html.Div(_shared(), id="dv-shared-list"),
        html.H3("Reset pengikatan atau kode aktivasi"),
        html.Div([
            dcc.Input(id="dv-nip", type="text", placeholder="NIP (18 digit)", className="filter"),
            dcc.Input(id="dv-reason", type="text", placeholder="Alasan reset (mis. ponsel hilang)", className="filter wide"),
            html.Button("Reset pengikatan", id="dv-reset", className="button"),
            html.Button("Terbitkan kode aktivasi", id="dv-code", className="button primary"),
        ], className="filters"),
        html.Div(id="dv-result"),
    ])


def act(action: str, nip: str, reason: str):
    """Reset or issue a code for `nip`, as the page shows the outcome."""
    rt = data.runtime()
    if not nip.strip():
        return html.Div("NIP wajib diisi. / NIP is required.", className="error", id="refusal")
    try:
        if action == "dv-reset":
            if not reason.strip():
                return html.Div("Alasan reset wajib diisi. / A reason is required.", className="error", id="refusal")
            revoked = devices.reset(rt, nip.strip(), actor(), reason.strip())
            if revoked is None:
                return done(f"NIP {nip.strip()} tidak terikat pada ponsel mana pun; tidak ada yang direset.")
            return done(f"Pengikatan {revoked['model'] or revoked['device_id'][:12]} direset. "
                        "Pegawai dapat mengaktifkan ponsel baru dengan kode aktivasi.")
        issued = devices.issue_code(rt, nip.strip(), actor())
    except devices.DeviceError as exc:
        return refusal(exc)
    until = f"{issued.expires_at.astimezone(rt.config.zone):%d/%m/%Y %H.%M}"
    return html.Div([html.P(f"Kode aktivasi untuk {issued.name} (NIP {issued.nip}), berlaku sampai {until}. "
                            "Kode hanya ditampilkan sekali ini:"),
                     html.Div(issued.code, className="activation-code", id="dv-issued")], className="done", id="done")


def register(app) -> None:
    @app.callback(Output("dv-list", "children"), Input("dv-search", "value"), prevent_initial_call=True)
    def _search(search):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        return _list(text(search, 60))

    @app.callback(Output("dv-result", "children"), Output("dv-list", "children", allow_duplicate=True),
                  Input("dv-reset", "n_clicks"), Input("dv-code", "n_clicks"),
                  State("dv-nip", "value"), State("dv-reason", "value"), State("dv-search", "value"),
                  prevent_initial_call=True)
    def _act(reset_clicks, code_clicks, nip, reason, search):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        return act(ctx.triggered_id, text(nip, 40), text(reason, 500)), _list(text(search, 60))
