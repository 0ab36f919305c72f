"""/map: a day's check-ins on a folium map (?date=YYYY-MM-DD&unit=CODE), downloadable as HTML.
The map itself is a document of its own, /map/frame (pages/downloads.py), in an iframe."""
from __future__ import annotations

from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from .. import auth, data, maps
from ..figures import VERDICT_COLORS, VERDICT_LABELS
from .common import date_picker, dropdown, filters_changed, href, nothing, parse_date, text

PATH = "/map"


def visible_units(config, viewer, unit: str | None) -> list[str] | None:
    """Unit codes whose offices to draw; None when the unit is outside the viewer's scope."""
    top = unit or viewer.unit_code
    if top is None:
        return [u.code for u in config.units]
    if top not in config.unit_by_code or not viewer.can_see_unit(auth.unit_scope(config, top)):
        return None
    return config.subtree(top)


def chosen(viewer, params: dict):
    """(offices, check-ins, day, unit) for the viewer, or None when nothing may be shown."""
    config = data.runtime().config
    day = parse_date(params.get("date"), data.today(config))
    unit = params.get("unit") or None
    units = visible_units(config, viewer, unit)
    if units is None:
        return None
    offices = [o for u in units for o in config.offices_by_unit.get(u, [])]
    return offices, data.check_ins_on(viewer, day, unit), day, unit


def build(viewer, params: dict):
    """(folium map, day, unit, count) for the viewer, or None when nothing may be shown."""
    found = chosen(viewer, params)
    if found is None:
        return None
    offices, points, day, unit = found
    m = maps.check_in_map(offices, points, data.runtime().config, show_names=viewer.show_names,
                          show_selfie=viewer.can_see_selfies)
    return m, day, unit, len(points)


def layout(viewer, params: dict):
    config = data.runtime().config
    found = chosen(viewer, params)
    if found is None:
        return nothing()
    _, points, day, unit = found
    count = len(points)
    units = visible_units(config, viewer, None) or []
    legend = [html.Span([html.I(className="dot", style={"background": VERDICT_COLORS[k]}), label], className="legend-item")
              for k, label in VERDICT_LABELS.items()]
    return html.Div([
        html.Div([
            date_picker("map-date", day.isoformat()),
            dropdown("map-unit", value=unit or "", clearable=False, className="filter",
                     options=[{"label": "Semua unit", "value": ""}] +
                         [{"label": config.unit_by_code[c].name, "value": c} for c in units]),
            html.A("Unduh peta (HTML)", href=href("/download/map.html", {"date": day.isoformat(), "unit": unit}),
                   className="button", id="map-download"),
        ], className="filters"),
        html.Div([html.Span(f"{count} presensi", id="map-count"), *legend], className="legend"),
        html.Iframe(id="map-frame", src=href("/map/frame", {"date": day.isoformat(), "unit": unit}),
                    className="map-frame"),
    ])


def register(app) -> None:
    @app.callback(Output("url", "search", allow_duplicate=True), Input("map-date", "date"),
                  Input("map-unit", "value"), State("url", "search"), prevent_initial_call=True)
    def _choose(day, unit, search):
        if auth.viewer() is None:
            raise PreventUpdate
        chosen = {"date": text(day)[:10], "unit": text(unit, 40)}
        if not filters_changed(search, chosen, {"date": data.today().isoformat()}):
            raise PreventUpdate
        new = href("", chosen) or "?"
        return no_update if new == search else new
