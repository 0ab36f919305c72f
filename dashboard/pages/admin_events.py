"""/admin/events (BKPP): create, edit and cancel events (apel, upacara, sosialisasi); an event's
live attendance, who is missing, and its CSV. The rotating QR screen is /admin/qr (admin_qr).

All checks and the audit log are in ingest.events; this page only collects the form.
"""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import Blueprint, abort

from ingest import events

from .. import data, formats
from ..data import admin as admin_data
from .admin_common import BKPP, actor, admin_viewer, done, refusal, table
from .common import dropdown, local_time, nothing, parse_int, text
from .downloads import file_response

blueprint = Blueprint("admin_events", __name__)
CSV_FIELDS = ("status", "nip", "name", "unit_code", "attended_at", "distance_m")
KIND_LABELS = {"apel": "Apel", "upacara": "Upacara", "sosialisasi": "Sosialisasi"}


@blueprint.route("/admin/events/<int:event_id>.csv")
def attendance_csv(event_id: int):
    if admin_viewer(BKPP) is None:
        abort(401)
    try:
        found = admin_data.event_attendance(event_id)
    except events.EventError:
        abort(404)
    rows = [{**r, "status": "hadir"} for r in found["attended"]] + [{**r, "status": "tidak hadir"}
                                                                    for r in found["missing"]]
    return file_response(f"acara_{event_id}", CSV_FIELDS, rows, "Acara")


def _events_list():
    config = data.runtime().config
    today = data.today(config)
    found = admin_data.events_between(today - dt.timedelta(days=60), today + dt.timedelta(days=120))
    body = [[html.A(r["name"], href=f"/admin/events?event={r['id']}",
                    className="cancelled" if r["cancelled_at"] else ""),
             KIND_LABELS.get(r["kind"], r["kind"]), f"{r['event_date']:%d/%m/%Y}",
             f"{r['opens_at'].astimezone(config.zone):%H.%M}–{r['closes_at'].astimezone(config.zone):%H.%M}",
             r["office_code"] or f"{r['lat']:.5f}, {r['lon']:.5f} ({r['radius_m']:.0f} m)",
             "wajib" if r["compulsory"] else "–", r["attended"],
             "dibatalkan" if r["cancelled_at"] else html.A("QR", href=f"/admin/qr?event={r['id']}", target="_blank")]
            for r in found]
    if not body:
        return html.P("Belum ada acara.", className="muted", id="ev-empty")
    return table(["Acara", "Jenis", "Tanggal", "Jam", "Tempat", "Wajib", "Hadir", ""], body, "ev-table", "event-row")


def _options() -> list[dict]:
    config = data.runtime().config
    today = data.today(config)
    found = admin_data.events_between(today - dt.timedelta(days=7), today + dt.timedelta(days=120))
    return [{"label": f"{r['event_date']:%d/%m} {r['name']}", "value": r["id"]} for r in found if not r["cancelled_at"]]


def _form(config):
    offices = [{"label": f"{o.code} · {o.name}", "value": o.code} for o in config.offices]
    units = [{"label": f"{u.code} · {u.name}", "value": u.code} for u in config.units]
    return html.Div([
        html.Div([dropdown("ev-id", _options(), placeholder="Acara baru (atau pilih untuk diubah)",
                               className="filter wide"),
                  dcc.Input(id="ev-name", type="text", placeholder="Nama acara", className="filter wide"),
                  dropdown("ev-kind", [{"label": v, "value": k} for k, v in KIND_LABELS.items()],
                               value="apel", clearable=False, className="filter")], className="filters"),
        html.Div([dcc.Input(id="ev-date", type="date", value=data.today(config).isoformat(), className="filter"),
                  dcc.Input(id="ev-opens", type="time", value="07:15", className="filter"),
                  dcc.Input(id="ev-closes", type="time", value="08:00", className="filter"),
                  dropdown("ev-office", offices, placeholder="Kantor (atau titik di kanan)",
                               className="filter wide"),
                  dcc.Input(id="ev-lat", type="number", placeholder="Lintang", className="filter"),
                  dcc.Input(id="ev-lon", type="number", placeholder="Bujur", className="filter"),
                  dcc.Input(id="ev-radius", type="number", placeholder="Radius (m)", className="filter")],
                 className="filters"),
        html.Div([dropdown("ev-units", units, multi=True, placeholder="Unit yang diundang (kosong: semua)",
                               className="filter wide"),
                  dcc.Textarea(id="ev-nips", placeholder="NIP yang diundang, satu per baris", className="comment"),
                  dcc.Checklist(id="ev-compulsory", options=[{"label": " Wajib (potongan bila tidak hadir)",
                                                              "value": "yes"}], value=["yes"]),
                  dcc.Input(id="ev-deduction", type="number", placeholder=f"Potongan % ({formats.number(config.rules.apel_missed_percent)})",
                            className="filter")], className="filters"),
        html.Div([dcc.Input(id="ev-reason", type="text", placeholder="Alasan perubahan / pembatalan",
                            className="filter wide"),
                  html.Button("Simpan acara", id="ev-save", className="button primary"),
                  html.Button("Batalkan acara", id="ev-cancel", className="button")], className="filters"),
        html.Div(id="ev-result"),
    ])


def _attendance(event_id: int):
    config = data.runtime().config
    try:
        found = admin_data.event_attendance(event_id)
    except events.EventError as exc:
        return refusal(exc)
    ev = found["event"]
    unit = config.office_by_code[ev["office_code"]].unit if ev["office_code"] in config.office_by_code else None
    came = [[r["nip"], r["name"], r["unit_code"], local_time(config, unit or r["unit_code"], r["attended_at"]),
             f"{r['distance_m']:.0f} m" if r["distance_m"] is not None else "–"] for r in found["attended"]]
    missing = [[r["nip"], r["name"], r["unit_code"]] for r in found["missing"]]
    return html.Div([
        html.P(f"Hadir {len(came)} · belum/tidak hadir {len(missing)}", id="ev-counts", className="tile-label"),
        html.H3("Hadir"), table(["NIP", "Nama", "Unit", "Jam", "Jarak"], came, "ev-attended", "attended-row"),
        html.H3("Belum / tidak hadir"), table(["NIP", "Nama", "Unit"], missing, "ev-missing", "missing-row"),
    ])


def _detail(event_id: int):
    ev = admin_data.event(event_id)
    if ev is None:
        return nothing("Acara tidak ditemukan. / No such event.")
    state = f" · dibatalkan: {ev['cancel_reason']}" if ev["cancelled_at"] else ""
    return html.Div([
        html.H2(f"{ev['name']} · {ev['event_date']:%d/%m/%Y}{state}", id="ev-title"),
        html.P([html.A("Tampilkan kode QR (layar penuh)", href=f"/admin/qr?event={event_id}", target="_blank"),
                " · ", html.A("Unduh CSV", href=f"/admin/events/{event_id}.csv", id="ev-csv"),
                " · ", dcc.Link("Semua acara", href="/admin/events")]),
        dcc.Store(id="ev-shown", data=event_id),
        dcc.Interval(id="ev-tick", interval=10_000),
        html.Div(_attendance(event_id), id="ev-live"),
    ])


def layout(viewer, params: dict):
    if admin_viewer(BKPP) is None:
        return nothing()
    event_id = parse_int(params.get("event"))
    if event_id is not None:
        return _detail(event_id)
    return html.Div([html.H2("Acara: apel, upacara, sosialisasi"), html.Div(_events_list(), id="ev-list"),
                     html.H3("Buat atau ubah acara"), _form(data.runtime().config)])


def save(form: dict, cancel: bool):
    """Create, update or cancel from the form, as the page shows the outcome."""
    rt = data.runtime()
    event_id = form["id"] if isinstance(form["id"], int) and not isinstance(form["id"], bool) else None
    try:
        if cancel:
            if event_id is None:
                return html.Div("Pilih acara yang dibatalkan. / Choose the event to cancel (field: acara).",
                                className="error", id="refusal")
            events.cancel_event(rt, actor(), event_id, form["reason"])
            return done(f"Acara {event_id} dibatalkan.")
        fields = event_fields(rt.config, form)
        if event_id is None:
            new_id = events.create_event(rt, actor(), **fields)
            return done(f"Acara {new_id} dibuat.")
        events.update_event(rt, actor(), event_id, reason=form["reason"], **fields)
        return done(f"Acara {event_id} diubah.")
    except events.EventError as exc:
        return refusal(exc)


def event_fields(config, form: dict) -> dict:
    """The form's values as ingest.events arguments; unreadable values raise EventError naming the field."""
    try:
        day = dt.date.fromisoformat(form["date"])
        opens, closes = dt.time.fromisoformat(form["opens"]), dt.time.fromisoformat(form["closes"])
    except ValueError:
        raise events.EventError("invalid_event", "tanggal/jam: tidak sah", "date/time: invalid") from None
    numbers = [form[k] if isinstance(form[k], (int, float)) and not isinstance(form[k], bool) else None
               for k in ("lat", "lon", "radius", "deduction")]
    place = events.Place(office_code=form["office"]) if form["office"] else events.Place(*numbers[:3])
    opens_at, closes_at = events.window(config, place, day, opens, closes)
    return {"name": form["name"], "kind": form["kind"], "event_date": day, "opens_at": opens_at,
            "closes_at": closes_at, "place": place, "invited_units": form["units"],
            "invited_nips": [n.strip() for n in form["nips"].split() if n.strip()],
            "compulsory": form["compulsory"], "deduction_percent": numbers[3]}


def register(app) -> None:
    @app.callback(Output("ev-result", "children"), Output("ev-list", "children"), Output("ev-id", "options"),
                  Input("ev-save", "n_clicks"), Input("ev-cancel", "n_clicks"),
                  State("ev-id", "value"), State("ev-name", "value"), State("ev-kind", "value"),
                  State("ev-date", "value"), State("ev-opens", "value"), State("ev-closes", "value"),
                  State("ev-office", "value"), State("ev-lat", "value"), State("ev-lon", "value"),
                  State("ev-radius", "value"), State("ev-units", "value"), State("ev-nips", "value"),
                  State("ev-compulsory", "value"), State("ev-deduction", "value"), State("ev-reason", "value"),
                  prevent_initial_call=True)
    def _save(_s, _c, event_id, name, kind, day, opens, closes, office, lat, lon, radius, units, nips,
              compulsory, deduction, reason):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        form = {"id": event_id, "name": text(name), "kind": text(kind), "date": text(day, 10), "opens": text(opens, 8),
                "closes": text(closes, 8), "office": text(office, 40) or None, "lat": lat, "lon": lon,
                "radius": radius, "units": [text(u, 40) for u in units] if isinstance(units, list) else [],
                "nips": text(nips, 20_000), "compulsory": isinstance(compulsory, list) and "yes" in compulsory,
                "deduction": deduction, "reason": text(reason, 500)}
        return save(form, ctx.triggered_id == "ev-cancel"), _events_list(), _options()

    @app.callback(Output("ev-name", "value"), Output("ev-kind", "value"), Output("ev-date", "value"),
                  Output("ev-opens", "value"), Output("ev-closes", "value"), Output("ev-office", "value"),
                  Output("ev-units", "value"), Output("ev-compulsory", "value"), Output("ev-deduction", "value"),
                  Output("ev-nips", "value"), Output("ev-lat", "value"), Output("ev-lon", "value"),
                  Output("ev-radius", "value"), Input("ev-id", "value"), prevent_initial_call=True)
    def _fill(event_id):
        if admin_viewer(BKPP) is None or not isinstance(event_id, int):
            raise PreventUpdate
        ev = admin_data.event(event_id)
        nips = admin_data.event_invited_nips(event_id)
        if ev is None:
            raise PreventUpdate
        zone = events.place_zone(data.runtime().config, ev["office_code"])
        return (ev["name"], ev["kind"], ev["event_date"].isoformat(), f"{ev['opens_at'].astimezone(zone):%H:%M}",
                f"{ev['closes_at'].astimezone(zone):%H:%M}", ev["office_code"], list(ev["invited_units"]),
                ["yes"] if ev["compulsory"] else [], float(ev["deduction_percent"]), "\n".join(nips),
                ev["lat"], ev["lon"], ev["radius_m"])

    @app.callback(Output("ev-live", "children"), Input("ev-tick", "n_intervals"), State("ev-shown", "data"),
                  prevent_initial_call=True)
    def _live(_n, event_id):
        if admin_viewer(BKPP) is None or not isinstance(event_id, int):
            raise PreventUpdate
        return _attendance(event_id)
