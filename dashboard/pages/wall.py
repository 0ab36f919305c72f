"""/wall: the TV in the regional head's office. Reads the live state in Redis (`data.wall_state`,
`data.live_snapshot` over ingest.live); only while Redis cannot be read, counts from Postgres
(`data.recounted_snapshot`, every few seconds) under a "Data langsung terputus" notice.

A tick (dashboard.wall_tick_ms, 500 ms) asks live.version and the worker's silent-terminal count (one MGET); the same
pair means nothing is sent back but a heartbeat, so nothing is redrawn. Opened with
/wall?kiosk=TOKEN (revocable, read-only) or by a logged-in user.
"""
from __future__ import annotations

import datetime as dt
import time
import zlib
from functools import lru_cache


from dash import ClientsideFunction, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from foundation import clock
from foundation.config import zone_label

from .. import auth, data, figures
from .common import tiles

MAX_BARS = 15  # 15 bars of ~42 px fill the 1080 p bar plot: tall enough for 24 px labels inside; more units turn pages
SESSION_LABELS = {"in": "masuk", "midday": "siang", "out": "pulang"}


def unit_rows(snapshot: dict, config) -> list[dict]:
    """The live counts as ranked unit rows (units expected today only)."""
    out = []
    for code, c in snapshot["units"].items():
        if not c.get("expected") or code not in config.unit_by_code:
            continue
        out.append({"unit_code": code, "name": config.unit_by_code[code].name, "expected": c["expected"],
                    "present": c["present"], "late": c["late"], "on_leave": c["leave"], "tk": c["absent"],
                    "not_yet": c["not_yet"]})
    out.sort(key=lambda r: (-r["present"] / r["expected"], r["name"]))
    return out


def ticker_lines(snapshot: dict, config, show_names: bool, size: int) -> list[str]:
    """The latest check-ins, newest first by when they were made (a phone's offline burst
    arrives late: by arrival order the ticker jumped back and forth in time)."""
    lines = []
    for item in sorted(snapshot["latest"], key=lambda i: i["at"], reverse=True)[:size]:
        unit = item.get("unit_code")
        zone = config.unit_zone(unit) if unit in config.unit_by_code else config.zone
        at = dt.datetime.fromisoformat(item["at"]).astimezone(zone)
        unit_name = config.unit_by_code[unit].name if unit in config.unit_by_code else (unit or "")
        who = f"{item['name']} · {unit_name}" if show_names else unit_name
        late = f" · terlambat {item['minutes_late']} mnt" if (item.get("minutes_late") or 0) > 0 else ""
        session = SESSION_LABELS.get(item.get("session"), item.get("session") or "")
        lines.append(f"{at:%H.%M} {zone_label(zone.key)} · {who} · {session}{late}")
    return lines


def scoped(snapshot: dict, config, viewer) -> dict:
    """The snapshot cut to a kepala_unit's subtree (the region's viewers see it whole)."""
    if viewer.scope is None:
        return snapshot
    from ..auth import unit_scope

    units = {c: v for c, v in snapshot["units"].items()
             if c in config.unit_by_code and viewer.can_see_unit(unit_scope(config, c))}
    totals = {k: sum(v.get(k, 0) for v in units.values()) for k in snapshot["totals"]}
    latest = [i for i in snapshot["latest"] if i.get("unit_code") in units]
    return {**snapshot, "units": units, "totals": totals, "latest": latest}


def page_count(units: list[dict]) -> int:
    return max(1, -(-len(units) // MAX_BARS))


def page_of(units: list[dict], page: int) -> tuple[list[dict], str | None]:
    """One page of the ranking, lowest presence first (what the regional head acts on), and
    its caption; every unit is shown in turn, none is left off the TV."""
    pages = page_count(units)
    page %= pages
    lowest_first = units[::-1]
    shown = lowest_first[page * MAX_BARS:(page + 1) * MAX_BARS][::-1]  # highest of the page on top
    if pages == 1:
        return shown, None
    first = page * MAX_BARS + 1
    return shown, (f"{first}–{first + len(shown) - 1} terendah dari {len(units)} unit · "
                   f"halaman {page + 1}/{pages}")


def page_now(config, seconds: float) -> int:
    """The page the wall shows at `seconds` (epoch, real time even in the accelerated demo):
    all screens turn together, every wall_page_seconds."""
    return int(seconds) // config.dashboard.wall_page_seconds


_offices: dict[tuple, tuple] = {}


def offices_of(config, viewer) -> tuple:
    """The offices the viewer's map outlines (figures.office_key form): fixed per config and
    scope, so worked out once, not on every tick."""
    from ..auth import unit_scope

    held = _offices.get((id(config), viewer.scope))
    if held is None or held[0] is not config:
        key = figures.office_key([
            {"name": o.name, "lat": o.lat, "lon": o.lon, "radius_m": o.radius_m, "polygon": o.polygon}
            for o in config.offices
            if viewer.scope is None or (o.unit in config.unit_by_code
                                        and viewer.can_see_unit(unit_scope(config, o.unit)))])
        held = _offices[(id(config), viewer.scope)] = (config, key)
    return held[1]


@lru_cache(maxsize=64)
def fence_tag(offices: tuple) -> str:
    """A short name for a set of office outlines, the same in every worker process."""
    return format(zlib.crc32(repr(offices).encode()), "x")


def view(snapshot: dict, config, viewer, scale: float = 1.0, page: int = 0) -> dict:
    """Everything the wall draws for one snapshot (pure: testable without a browser)."""
    snapshot = scoped(snapshot, config, viewer)
    totals = snapshot["totals"]
    counts = {"expected": totals["expected"], "present": totals["present"], "late": totals["late"],
              "on_leave": totals["leave"], "not_yet": totals["not_yet"]}
    offices = offices_of(config, viewer)
    ranked = unit_rows(snapshot, config)
    units, caption = page_of(ranked, page)
    points = figures.wall_points(snapshot["latest"], scale)
    return {"tiles": counts, "units": units, "units_caption": caption, "pages": page_count(ranked),
            "ticker": ticker_lines(snapshot, config, viewer.show_names, config.dashboard.wall_ticker_size),
            "fences": fence_tag(offices), "points": points,
            "map": figures.wall_map_of(figures.wall_fences(offices, scale), points, scale)}


def silent_mark(silent: int | None, viewer):
    """The header's count of silent terminals: red when any, grey at 0, absent when unknown
    or for a unit's viewer (the count is the region's)."""
    if silent is None or viewer.scope is not None:
        return None
    return html.Span(f"Mesin senyap: {silent}", id="wall-silent",
                     className="silent-mark alert" if silent > 0 else "silent-mark")


LOST_S = 30   # seconds without an answer before the wall says the connection is lost
LIVE_LOST = "Data langsung terputus · angka dari basis data"   # Redis away: counts from Postgres


def _legend(marks: list[tuple], dom_id: str):
    """A row of colour marks and their words, in the wall's text size."""
    return html.Div([html.Span([html.Span(sym, style={"color": color}), f" {label}"], className="wall-legend-item")
                     for color, sym, label in marks], className="wall-legend", id=dom_id)


def _map_legend():
    """What the mini-map's marks mean: offices, and the check-ins by verdict."""
    marks = [(figures.COLORS["office"], "■", "Kantor")] + [
        (figures.VERDICT_COLORS[k], "●", figures.VERDICT_LABELS[k].split(" (")[0])
        for k in ("on_time", "late", "flagged", "refused")]
    return _legend(marks, "wall-map-legend")


def _title(config, viewer) -> str:
    """The region's name; a unit head's wall is their unit's."""
    unit = getattr(viewer, "unit_code", None)
    return config.unit_by_code[unit].name if unit in config.unit_by_code else config.region.name


def layout(viewer, params: dict):
    config = data.runtime().config
    return html.Div([
        dcc.Store(id="wall-token", data=params.get("kiosk")),
        dcc.Store(id="wall-version", data=-1),
        dcc.Store(id="wall-heartbeat", data=None),
        dcc.Store(id="wall-scale", data=1.0),  # the screen's size / 1920x1080: 4K text is twice as big
        dcc.Store(id="wall-clock-setup", data={"stale": config.dashboard.wall_stale_seconds, "lost": LOST_S,
                                               "zone": config.zone.key, "label": zone_label(config.zone.key)}),
        dcc.Interval(id="wall-tick", interval=config.dashboard.wall_tick_ms),
        html.Header([html.Div(_title(config, viewer), className="wall-title", id="wall-title"),
                     html.Div(id="wall-date", className="wall-date"),
                     html.Div(id="wall-status", className="wall-status"),
                     html.Div([html.Span(id="wall-fresh", className="fresh"),
                               html.Span(id="wall-clock", className="wall-clock")], className="wall-right")],
                    className="wall-header"),
        html.Div(id="wall-tiles", className="wall-tiles"),
        html.Div([
            html.Div([_legend([(figures.COLORS[k], "■", label) for k, label in figures.PRESENCE_PARTS],
                              "wall-bars-legend"),
                      dcc.Graph(id="wall-bars", config={**figures.GRAPH_CONFIG, "staticPlot": True},
                                figure=figures.unit_bars([], wall=True), className="wall-graph", responsive=True)],
                     className="wall-bars"),
            html.Div([dcc.Graph(id="wall-map", config={**figures.GRAPH_CONFIG, "staticPlot": True},
                                figure=figures.wall_map([], []), className="wall-graph", responsive=True),
                      _map_legend(),
                      html.Ul(id="wall-ticker", className="wall-ticker")], className="wall-side"),
        ], className="wall-main"),
    ], className="wall")


def drawn_mark(version: int, scale: float, silent, fences: str, page: int, pages: int) -> str:
    """What the browser keeps of its last drawing: "version@scale!silent~fences#page/pages"."""
    return f"{version}@{scale:g}!{silent}~{fences}#{page % pages}/{pages}"


def _pages(drawn) -> int:
    """The page count recorded with the last drawing, else 1."""
    try:
        return max(1, int(str(drawn).rsplit("/", 1)[1]))
    except (IndexError, ValueError):
        return 1


def map_update(v: dict, shown_version, scale: float):
    """The map for view `v`: whole on the first drawing or a new scale or set of offices;
    otherwise only its check-in traces (the outlines are the bulk of it, and never move)."""
    if not (isinstance(shown_version, str) and f"@{scale:g}!" in shown_version
            and f"~{v['fences']}#" in shown_version):
        return v["map"]
    patch = Patch()
    for i, trace in enumerate(v["points"]):
        patch["data"][figures.WALL_POINT_TRACES + i] = trace
    return patch


def _scale(value) -> float:
    """The browser's screen scale, bounded (a tampered value must not break the tick)."""
    try:
        return min(max(float(value), 0.5), 4.0)
    except (TypeError, ValueError):
        return 1.0


def register(app) -> None:
    @app.callback(
        Output("wall-tiles", "children"), Output("wall-bars", "figure"), Output("wall-map", "figure"),
        Output("wall-ticker", "children"), Output("wall-date", "children"), Output("wall-version", "data"),
        Output("wall-heartbeat", "data"),
        Input("wall-tick", "n_intervals"), State("wall-version", "data"), State("wall-token", "data"),
        State("wall-scale", "data"))
    def _tick(_, shown_version, token, scale):
        viewer = auth.viewer(token)
        if viewer is None:
            raise PreventUpdate
        rt = data.runtime()
        day = clock.today(rt.config.zone)
        now = clock.now()
        beat = now.isoformat(timespec="seconds")
        scale = _scale(scale)
        page = page_now(rt.config, time.time())
        fences = fence_tag(offices_of(rt.config, viewer))
        try:
            # a new screen size or the chart's next page redraws too; the page count comes from
            # the last drawing, so a wall with one page never redraws for the turn of a page
            pages = _pages(shown_version)
            found, silent = data.wall_state(day)
            if drawn_mark(found, scale, silent, fences, page, pages) == shown_version:
                return (no_update,) * 6 + (beat,)
            snap = data.live_snapshot(day)
            lost = None
        except data.LiveUnavailable:
            snap, silent, lost = data.recounted_snapshot(day), None, LIVE_LOST
            snap = {**snap, "version": "pg" + snap["updated_at"]}   # redrawn when recounted
            if drawn_mark(snap["version"], scale, silent, fences, page, pages) == shown_version:
                return (no_update,) * 6 + (beat,)
        v = view(snap, rt.config, viewer, scale, page)
        items = [html.Li(line) for line in v["ticker"]] or [html.Li("Belum ada presensi hari ini.")]
        bars = figures.unit_bars(v["units"], wall=True, scale=scale, note=v["units_caption"])
        drawn = drawn_mark(snap["version"], scale, silent, v["fences"], page, v["pages"])
        mark = silent_mark(silent, viewer)
        header = [f"{day:%d/%m/%Y}", *([mark] if mark else []),
                  *([html.Span(lost, id="wall-live-lost", className="silent-mark alert")] if lost else [])]
        header = header if len(header) > 1 else header[0]
        return (tiles(v["tiles"], "tiles wall-tile-row"), bars, map_update(v, shown_version, scale),
                items, header, drawn, beat)

    app.clientside_callback(
        ClientsideFunction(namespace="pantau", function_name="wallScale"),
        Output("wall-scale", "data"), Input("wall-clock-setup", "data"), Input("wall-tick", "n_intervals"),
        State("wall-scale", "data"))

    app.clientside_callback(
        ClientsideFunction(namespace="pantau", function_name="wallClock"),
        Output("wall-clock", "children"), Output("wall-fresh", "className"), Output("wall-status", "children"),
        Output("wall-status", "className"), Input("wall-tick", "n_intervals"), State("wall-heartbeat", "data"), State("wall-clock-setup", "data"))
