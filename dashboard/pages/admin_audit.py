"""/admin/audit (BKPP): the append-only audit log, filtered by actor, action, target and dates, paginated."""
from __future__ import annotations

import datetime as dt
import json

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate


from .. import data
from ..data import admin as admin_data
from .admin_common import BKPP, admin_viewer, table
from .common import date_range_picker, nothing, parse_date, text

PAGE_SIZE = 50


def _short(value) -> str:
    if value is None:
        return ""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 300 else shown[:300] + "…"


def entries(filters: dict, page: int) -> tuple[list[dict], bool]:
    """One page of entries for the filters, and whether a next page exists."""
    config = data.runtime().config
    since = until = None
    if filters.get("from"):
        since = dt.datetime.combine(parse_date(filters["from"], data.today(config)), dt.time(), config.zone)
    if filters.get("to"):
        until = dt.datetime.combine(parse_date(filters["to"], data.today(config)) + dt.timedelta(days=1),
                                    dt.time(), config.zone)
    found = admin_data.audit_entries(action=filters.get("action") or None, actor=filters.get("actor") or None,
                                     limit=PAGE_SIZE + 1, search=filters.get("target") or None, since=since,
                                     until=until, offset=page * PAGE_SIZE)
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def _table(filters: dict, page: int):
    config = data.runtime().config
    found, more = entries(filters, page)
    body = [[r["id"], f"{r['at'].astimezone(config.zone):%d/%m/%Y %H.%M.%S}", r["actor"], r["action"], r["target"],
             r["reason"], html.Code(_short(r["before"])), html.Code(_short(r["after"]))] for r in found]
    shown = (table(["No.", "Waktu", "Pelaku", "Tindakan", "Sasaran", "Alasan", "Sebelum", "Sesudah"], body,
                   "au-table", "audit-row") if body else html.P("Tidak ada entri untuk filter ini.", className="muted",
                                                                 id="au-empty"))
    return shown, f"Halaman {page + 1}", page == 0, not more


def layout(viewer, params: dict):
    if admin_viewer(BKPP) is None:
        return nothing()
    shown, label, first, last = _table({}, 0)
    return html.Div([
        html.H2("Log audit"),
        html.Div([
            dcc.Input(id="au-actor", type="text", placeholder="Pelaku (username)", debounce=True, className="filter"),
            dcc.Input(id="au-action", type="text", placeholder="Tindakan, mis. leave. atau device.reset",
                      debounce=True, className="filter"),
            dcc.Input(id="au-target", type="text", placeholder="Sasaran atau alasan (NIP, acara)", debounce=True,
                      className="filter"),
            date_range_picker("au-dates", clearable=True),
        ], className="filters"),
        html.Div(shown, id="au-list"),
        html.Div([html.Button("‹ Sebelumnya", id="au-prev", className="button", disabled=first),
                  html.Span(label, id="au-page-label"),
                  html.Button("Berikutnya ›", id="au-next", className="button", disabled=last)], className="pager"),
        dcc.Store(id="au-page", data=0),
    ])


def register(app) -> None:
    @app.callback(Output("au-list", "children"), Output("au-page-label", "children"), Output("au-prev", "disabled"),
                  Output("au-next", "disabled"), Output("au-page", "data"),
                  Input("au-actor", "value"), Input("au-action", "value"), Input("au-target", "value"),
                  Input("au-dates", "start_date"), Input("au-dates", "end_date"),
                  Input("au-prev", "n_clicks"), Input("au-next", "n_clicks"), State("au-page", "data"),
                  prevent_initial_call=True)
    def _filter(who, action, target, start, end, prev_clicks, next_clicks, page):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        page = page if isinstance(page, int) and 0 <= page < 100_000 else 0
        page = {"au-prev": max(page - 1, 0), "au-next": page + 1}.get(ctx.triggered_id, 0)
        filters = {"actor": text(who, 100).strip(), "action": text(action, 100).strip(),
                   "target": text(target, 100).strip(), "from": text(start)[:10], "to": text(end)[:10]}
        return (*_table(filters, page), page)
