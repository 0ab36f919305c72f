"""/admin/users (BKPP): the region's dashboard logins; set a temporary password for one who
lost theirs, disable a login, or enable it again (dashboard.logins, shared with `pantau users`).

The temporary password is shown once, in the answer to the click that made it: only its hash
is stored, and its first login must replace it (dashboard/app.py, _only_password). Each change ends that login's sessions and is audit-logged with the BKPP user's name.
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from .. import auth, data, logins
from ..data import admin as admin_data
from .admin_common import BKPP, actor, admin_viewer, done, table
from .common import nothing, text, zone_name

ACTIONS = {"us-password": logins.set_password, "us-disable": logins.disable, "us-enable": logins.enable}


def _last_login(config, row) -> str:
    when = row["last_login_at"]
    if when is None:
        return "belum pernah"
    return f"{when.astimezone(config.zone):%d/%m/%Y %H.%M} {zone_name(config, None)}"


def _unit(config, code: str | None) -> str:
    unit = config.unit_by_code.get(code) if code else None
    return unit.name if unit else (code or "Seluruh daerah")


def _list():
    config = data.runtime().config
    body = [[r["username"], r["full_name"] or "–", auth.ROLE_LABELS.get(r["role"], r["role"]), _unit(config, r["unit_code"]),
             "Aktif" if r["active"] else "Nonaktif", _last_login(config, r), str(r["live_sessions"])]
            for r in admin_data.logins()]
    return table(["Nama pengguna", "Nama", "Peran", "Unit", "Status", "Terakhir masuk", "Sesi terbuka"], body,
                 "us-table", "user-row")


def layout(viewer, params: dict):
    if admin_viewer(BKPP) is None:
        return nothing()
    return html.Div([
        html.H2("Pengguna dasbor"),
        html.P("Kata sandi sendiri diganti di halaman Ganti kata sandi. Setiap perubahan di sini menutup semua "
               "sesi pengguna itu dan tercatat di Audit.", className="muted"),
        html.Div(_list(), id="us-list"),
        html.H3("Atur ulang kata sandi atau nonaktifkan"),
        html.Div([
            dcc.Input(id="us-username", type="text", placeholder="Nama pengguna", className="filter"),
            dcc.Input(id="us-reason", type="text", placeholder="Alasan (mis. lupa kata sandi, pindah tugas)",
                      className="filter wide"),
            html.Button("Buat kata sandi sementara", id="us-password", className="button primary"),
            html.Button("Nonaktifkan", id="us-disable", className="button"),
            html.Button("Aktifkan kembali", id="us-enable", className="button"),
        ], className="filters"),
        html.Div(id="us-result"),
    ])


def act(action: str, username: str, reason: str):
    """One change to `username`'s login, as the page shows the outcome."""
    try:
        with data.runtime().transaction() as conn:
            changed = ACTIONS[action](conn, username, actor(), reason)
    except logins.LoginError as exc:
        return html.Div([html.Strong(exc.message_id), html.Br(), html.Span(exc.message_en, className="muted")],
                        className="refusal error", id="refusal")
    who = f"{changed.full_name or changed.username} ({changed.username})"
    ended = f"{changed.sessions_ended} sesi ditutup."
    if action == "us-disable":
        return done(f"{who} dinonaktifkan dan tidak dapat masuk lagi. {ended}")
    if action == "us-enable":
        return done(f"{who} dapat masuk lagi dengan kata sandinya.")
    return html.Div([html.P(f"Kata sandi sementara untuk {who}. {ended} Sampaikan langsung kepada yang "
                            "bersangkutan; ia harus menggantinya saat pertama masuk. Hanya ditampilkan sekali ini:"),
                     html.Div(changed.password, className="activation-code", id="us-issued")],
                    className="done", id="done")


def register(app) -> None:
    @app.callback(Output("us-result", "children"), Output("us-list", "children"),
                  Input("us-password", "n_clicks"), Input("us-disable", "n_clicks"), Input("us-enable", "n_clicks"),
                  State("us-username", "value"), State("us-reason", "value"), prevent_initial_call=True)
    def _act(password_clicks, disable_clicks, enable_clicks, username, reason):
        if admin_viewer(BKPP) is None or ctx.triggered_id not in ACTIONS:
            raise PreventUpdate
        return act(ctx.triggered_id, text(username, 100), text(reason, 500)), _list()
