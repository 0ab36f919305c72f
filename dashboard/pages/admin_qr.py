"""/admin/qr?event=ID (BKPP): the event's QR code full screen, rotating every 30 s; the same
screen at /qr?event=ID&key=... on the venue's screen without a login (the key is
ingest.events.screen_key: that event only; the session remembers it for the rotation).

The code holds ingest.events.qr_token (an HMAC over the event and the 30-second slot,
valid for at most a minute), drawn as SVG by segno. The page asks for a fresh code every
few seconds, so a new slot shows within moments of starting; the token is also on the
element (data-token) for the operator's checks and the tests.
"""
from __future__ import annotations

import datetime as dt

import segno
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import session

from ingest import events
from foundation import clock

from .. import data, sessions
from ..data import admin as admin_data
from .admin_common import BKPP, admin_viewer
from .common import nothing, parse_int

POLL_MS = 5_000


def qr_svg(token: str) -> str:
    """The token as an SVG data URI (error correction M, the standard 4-module white quiet zone)."""
    return segno.make(token, error="m").svg_data_uri(scale=10, border=4, light="#fff")


def screen(event_id: int, now: dt.datetime):
    """The QR block for the event now: the image, its token, and the attendance count."""
    rt = data.runtime()
    ev = admin_data.event(event_id)
    if ev is None or ev["cancelled_at"] is not None:
        return None
    attended = admin_data.event_attendee_count(event_id)
    token = events.qr_token(sessions.secret_for(rt), event_id, now)
    zone = events.place_zone(rt.config, ev["office_code"])
    left = events.SLOT_S - int(now.timestamp()) % events.SLOT_S
    return html.Div([
        html.Img(src=qr_svg(token), id="qr-image", className="qr-image", **{"data-token": token}),
        html.Div(f"Hadir: {attended}", className="qr-count", id="qr-count"),
        html.Div(f"Kode berganti dalam ±{left} detik · {ev['opens_at'].astimezone(zone):%H.%M}–"
                 f"{ev['closes_at'].astimezone(zone):%H.%M}", className="qr-note muted"),
    ])


def venue_screen(params: dict) -> bool:
    """A venue-screen link with a genuine key for its event; remembered in the session."""
    event_id = parse_int(params.get("event"))
    if event_id is None or not events.screen_key_ok(sessions.secret_for(data.runtime()), event_id, params.get("key")):
        return False
    session["qr_screen"] = event_id
    return True


def _may_show(event_id) -> bool:
    return admin_viewer(BKPP) is not None or (event_id is not None and session.get("qr_screen") == event_id)


def venue_link(event_id: int) -> str:
    return f"/qr?event={event_id}&key={events.screen_key(sessions.secret_for(data.runtime()), event_id)}"


def layout(viewer, params: dict):
    event_id = parse_int(params.get("event"))
    if not _may_show(event_id):
        return nothing()
    ev = admin_data.event(event_id) if event_id is not None else None
    shown = screen(event_id, clock.now()) if ev is not None else None
    if shown is None:
        return nothing("Acara tidak ditemukan atau dibatalkan. / No such event, or it was cancelled.")
    return html.Div([
        html.H1(ev["name"], className="qr-title"),
        html.P("Pindai dengan aplikasi Pantau untuk mencatat kehadiran.", className="qr-hint"),
        html.Div(shown, id="qr-block"),
        dcc.Store(id="qr-event", data=event_id),
        dcc.Interval(id="qr-tick", interval=POLL_MS),
        *([html.P(["Layar tempat acara (tanpa login): ",
                   html.A(venue_link(event_id), href=venue_link(event_id), id="qr-venue-link")],
                  className="qr-note muted")] if admin_viewer(BKPP) is not None else []),
    ], className="qr-screen")


def register(app) -> None:
    @app.callback(Output("qr-block", "children"), Input("qr-tick", "n_intervals"), State("qr-event", "data"),
                  prevent_initial_call=True)
    def _rotate(_n, event_id):
        if not isinstance(event_id, int) or not _may_show(event_id):
            raise PreventUpdate
        shown = screen(event_id, clock.now())
        return shown if shown is not None else html.Div("Acara dibatalkan.", className="notice")
