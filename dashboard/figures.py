"""Figures as pure functions: data in, plotly figure out (no queries, no Flask)."""
from __future__ import annotations

import math
import textwrap
from functools import lru_cache

from . import formats


# presence (bars, tiles, calendar) and the map's verdicts: each palette's colours stay apart, and
# off the wall's black and the pages' white, for deutan, protan and tritan viewers too
# (tests/dashboard/test_palettes.py: CAM02-UCS distance >= 20 under a full-severity simulation)
COLORS = {
    "on_time": "#0B8F20", "late": "#F5C509", "on_leave": "#754ACB", "tk": "#d62728",
    "not_yet": "#9c9c9c", "refused": "#d62728", "flagged": "#9467bd", "geofence": "#2c7fb8",
    "manual": "#8c564b", "office": "#d0d0d0",   # offices on the dark wall: no verdict's colour
}
WALL = {"bg": "#000000", "fg": "#ffffff", "grid": "#333333", "font": "Inter, Arial, sans-serif"}
# the verdicts (the map page and the wall's mini-map): Okabe-Ito's hues, pushed apart in
# lightness so a tritan viewer too tells late from flagged (Okabe-Ito itself: 11 units)
VERDICT_COLORS = {"on_time": "#26927D", "late": "#F9AB17", "refused": "#D80B18", "flagged": "#A46CDA",
                  "manual": "#003786"}
# every dcc.Graph: no toolbar, and plotly.js speaking Indonesian (formats.plotly_locale, in the page head)
GRAPH_CONFIG = {"displayModeBar": False, "locale": formats.PLOTLY_LOCALE}
VERDICT_LABELS = {"on_time": "Tepat waktu", "late": "Terlambat", "refused": "Ditolak (di luar area)",
                  "flagged": "Ditandai", "manual": "Manual (ditulis admin, di kantor)"}


def check_in_kind(verdict: str, minutes_late: int | None, source: str | None = None) -> str:
    """The map's colour class: manual (written in by an administrator), refused, flagged,
    accepted late / on time."""
    if source == "manual":
        return "manual"
    if verdict == "refused":
        return "refused"
    if verdict == "flagged":
        return "flagged"
    return "late" if (minutes_late or 0) > 0 else "on_time"


def _light_template() -> dict:
    """plotly_white as plain JSON, built once: applying a template by name deep-copies it on
    every figure (~40 ms each), which dominated the trends page."""
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


LIGHT = _light_template()
SEPARATORS = formats.separators()   # '99,3' on axes and in hover labels, with or without the locale


def figure(data: list[dict], layout: dict | None = None, *, wall: bool = False, height: int | None = None,
           scale: float = 1.0) -> dict:
    """A figure as a plain dict (dcc.Graph takes it as is; no validation cost per update)."""
    # the legend's foot on the plot's top edge: the top margin grows to hold it when it wraps on
    # a phone, so it never lies over a bar (at y=1.08 of the plot, it did for a short chart)
    base = dict(margin=dict(l=10, r=10, t=40, b=10),
                legend=dict(orientation="h", x=0, xanchor="left", y=1, yanchor="bottom", traceorder="normal"),
                barmode="stack", hovermode="closest", separators=SEPARATORS)
    if height:
        base["height"] = height
    if wall:  # the legend sits in the top margin, above the plot, never over a bar
        base.update(paper_bgcolor=WALL["bg"], plot_bgcolor=WALL["bg"],
                    font=dict(color=WALL["fg"], family=WALL["font"], size=wall_px(scale)),
                    margin=dict(l=10, r=20, t=wall_px(scale, 1.8), b=wall_px(scale, 1.5)),
                    legend=dict(orientation="h", x=0, y=1, xanchor="left", yanchor="bottom", traceorder="normal",
                                font=dict(size=wall_px(scale))))
    else:
        base["template"] = LIGHT
    for key, value in (layout or {}).items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return {"data": data, "layout": base}


PRESENCE_PARTS = (("on_time", "Tepat waktu"), ("late", "Terlambat"), ("on_leave", "Cuti / izin"),
                  ("not_yet", "Belum / TK"))   # a unit's bar, left to right (the wall's legend too)
PRESENCE_COUNTS = {"on_time": lambda u: u["present"] - u["late"], "late": lambda u: u["late"],
                   "on_leave": lambda u: u["on_leave"], "not_yet": lambda u: u["not_yet"] + u["tk"]}


def unit_bars(units: list[dict], wall: bool = False, limit: int | None = None, scale: float = 1.0,
              note: str | None = None) -> dict:
    """Units ranked by presence: on time and late apart, then leave and not-yet, as % of expected.

    Each bar carries its unit code in customdata, so a click drills one level down. `note`:
    which page of the ranking this is, when the wall shows it a page at a time."""
    units = units[:limit] if limit else units
    names = [u["name"] for u in units][::-1]  # highest first at the top
    codes = [u["unit_code"] for u in units][::-1]
    parts = ((key, label, PRESENCE_COUNTS[key]) for key, label in PRESENCE_PARTS)
    data = []
    for key, label, value in parts:
        counts = [value(u) for u in units][::-1]
        pct = [round(100 * c / u["expected"], 1) if u["expected"] else 0 for c, u in zip(counts, units[::-1])]
        data.append(dict(type="bar", y=names, x=pct, orientation="h", name=label, marker=dict(color=COLORS[key]),
                         customdata=codes, text=[formats.percent(p) if p >= 8 else "" for p in pct],
                         textposition="inside", insidetextanchor="middle",
                         # readable across the room: 24 px at 1080 lines (a label that does not fit hides)
                         textfont=dict(size=wall_px(scale)) if wall else {},
                         hovertemplate="%{y}<br>" + label + ": %{x}%<extra></extra>"))
    # dtick=1: every unit gets its label (plotly skips labels that would overlap otherwise)
    yaxis = dict(automargin=True, dtick=1)
    if not wall:  # a long name on two lines, cut at a word past them: the bars keep over half a
        # phone's width; the whole name is in the bar's hover (%{y})
        yaxis.update(tickmode="array", tickvals=names, ticktext=[wrapped_name(n) for n in names])
    if wall:  # long names cut at a word: the bars keep most of the width; hover is off on the TV
        yaxis.update(tickfont=dict(size=wall_px(scale)), tickmode="array", tickvals=names,
                     ticktext=[short_name(n) for n in names])
    layout = dict(xaxis=dict(range=[0, 100], ticksuffix="%", showgrid=not wall), yaxis=yaxis,
                  uniformtext=dict(minsize=wall_px(scale) if wall else 12, mode="hide"))
    if wall:  # the legend is the page's (HTML: its colour marks grow with the screen, plotly's do not)
        layout.update(bargap=0.15, showlegend=False,   # bars tall enough for their 24 px labels
                      margin=dict(t=wall_px(scale, 1.8 if note else 0.5), r=wall_px(scale, 1.5)))
    if note:  # the page of the ranking, on a line of its own above the bars
        layout["annotations"] = [dict(text=note, xref="paper", yref="paper", x=1, y=1, xanchor="right",
                                      yanchor="bottom", yshift=wall_px(scale, 0.2), showarrow=False,
                                      font=dict(color="#cccccc", size=wall_px(scale)))]
    return figure(data, layout, wall=wall, height=None if wall else max(260, 40 * len(units) + 80), scale=scale)


WALL_TEXT_PX = 24   # the wall's smallest text at 1080 lines: readable across the room (~3 m)
WALL_NAME_CHARS = 34  # a unit label's length on the wall: ~410 px at 24 px, a third of the chart


def wall_px(scale: float = 1.0, times: float = 1.0) -> int:
    """A size on the wall in pixels: `times` the wall's text size, at the screen's scale."""
    return round(WALL_TEXT_PX * times * scale)


def short_name(name: str, limit: int = WALL_NAME_CHARS) -> str:
    """A unit's name cut at a word to `limit` characters ("Dinas Pemberdayaan Perempuan, …")."""
    if len(name) <= limit:
        return name
    cut = name[:limit - 1].rsplit(" ", 1)[0].rstrip(",")
    return cut + " …"


PAGE_NAME_CHARS = 24   # a unit label's line on the pages: ~150 px at 12 px, under half a phone's chart


def wrapped_name(name: str, width: int = PAGE_NAME_CHARS) -> str:
    """A unit's name on at most two lines of `width` characters, cut at a word with "…"."""
    return "<br>".join(textwrap.wrap(name, width, max_lines=2, placeholder=" …"))


def wall_map(offices: list[dict], points: list[dict], scale: float = 1.0) -> dict:
    """The wall's small live map: offices with their geofence and the latest check-ins.

    Plain x/y (lon/lat) scatter, not tiles: it needs no network or WebGL on the TV and
    keeps its view across updates (uirevision), which a folium iframe would lose.
    Traces: 0-1 the offices (wall_fences), 2-5 the check-ins (wall_points)."""
    return wall_map_of(wall_fences(office_key(offices), scale), wall_points(points, scale), scale)


def wall_map_of(fences, points: list[dict], scale: float = 1.0) -> dict:
    """wall_map from its two parts, already built."""
    return figure([*fences, *points], dict(xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x",
                                                                                   scaleratio=1),
                                           uirevision="wall-map", showlegend=False), wall=True, scale=scale)


WALL_POINT_TRACES = 2  # the index of the first check-in trace in wall_map's data


def office_key(offices: list[dict]) -> tuple:
    """The offices as a hashable value: what the fences are drawn from (and cached by)."""
    return tuple((o["name"], o["lat"], o["lon"], o.get("radius_m"), tuple(map(tuple, o.get("polygon") or ())))
                 for o in offices)


@lru_cache(maxsize=64)  # offices do not move: one drawing per scope and screen scale, all day
def wall_fences(offices: tuple, scale: float = 1.0) -> tuple[dict, dict]:
    """Every geofence in one line trace (separated by gaps) and the offices as squares.
    Coordinates rounded to ~0.1 m: the bulk of a full wall drawing is these outlines.
    Shared between calls: never mutate what it returns."""
    fence_lats: list = []
    fence_lons: list = []
    for _name, lat, lon, radius_m, polygon in offices:
        if polygon:
            lats = [p[0] for p in polygon] + [polygon[0][0]]
            lons = [p[1] for p in polygon] + [polygon[0][1]]
        else:
            lats, lons = _circle(lat, lon, radius_m or 150, n=24)
        fence_lats += [*(round(v, 6) for v in lats), None]
        fence_lons += [*(round(v, 6) for v in lons), None]
    return (dict(type="scatter", x=fence_lons, y=fence_lats, mode="lines", hoverinfo="skip", showlegend=False,
                 line=dict(color=COLORS["office"], width=1.5)),
            dict(type="scatter", x=[o[2] for o in offices], y=[o[1] for o in offices], mode="markers",
                 marker=dict(symbol="square-open", size=9 * scale, color=COLORS["office"]),
                 text=[o[0] for o in offices], hoverinfo="text", showlegend=False))


def wall_points(points: list[dict], scale: float = 1.0) -> list[dict]:
    """The latest check-ins, one trace per verdict colour (what changes between two drawings)."""
    data = []
    for kind in ("on_time", "late", "flagged", "refused"):
        pts = [p for p in points if check_in_kind(p.get("verdict"), p.get("minutes_late")) == kind
               and p.get("lat") is not None]
        data.append(dict(type="scatter", x=[p["lon"] for p in pts], y=[p["lat"] for p in pts], mode="markers",
                         name=VERDICT_LABELS[kind],
                         marker=dict(size=12 * scale, color=VERDICT_COLORS[kind], line=dict(width=1, color="#fff"))))
    return data


def _circle(lat: float, lon: float, radius_m: float, n: int = 36) -> tuple[list[float], list[float]]:
    dlat = radius_m / 111_320
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    angles = [2 * math.pi * i / n for i in range(n + 1)]
    return tuple(lat + dlat * math.sin(a) for a in angles), tuple(lon + dlon * math.cos(a) for a in angles)


def calendar(days: list[dict], year: int, month: int) -> dict:
    """One employee's month: a week-by-weekday grid coloured by status."""
    import calendar as cal

    status_color = {"hadir": 1, "terlambat": 2, "cuti": 3, "tk": 4, "belum": 5, "libur": 0}
    by_day = {d["work_date"].day: d for d in days}
    weeks = cal.Calendar(firstweekday=0).monthdayscalendar(year, month)
    z, text = [], []
    for week in weeks:
        zr, tr = [], []
        for day in week:
            d = by_day.get(day)
            key = _day_key(d) if d else None
            zr.append(status_color.get(key) if key else None)
            tr.append(f"{day}<br>{_day_label(d)}" if day else "")
        z.append(zr)
        text.append(tr)
    scale = [[0, "#e0e0e0"], [0.2, "#e0e0e0"], [0.2, COLORS["on_time"]], [0.4, COLORS["on_time"]],
             [0.4, COLORS["late"]], [0.6, COLORS["on_leave"]], [0.8, COLORS["tk"]], [1, COLORS["not_yet"]]]
    heat = dict(type="heatmap", z=z, text=text, texttemplate="%{text}", zmin=0, zmax=5, colorscale=scale,
                showscale=False, hoverinfo="text", xgap=3, ygap=3, x=["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"])
    return figure([heat], dict(yaxis=dict(autorange="reversed", visible=False), xaxis=dict(side="top")),
                  height=60 * len(weeks) + 60)


def _day_key(d: dict) -> str:
    status = d["status"]
    if status == "hadir":
        return "terlambat" if (d.get("minutes_late") or 0) > 0 else "hadir"
    if status in ("tk", "belum", "libur"):
        return status
    return "cuti"


def _day_label(d: dict | None) -> str:
    if not d:
        return ""
    key = _day_key(d)
    if key == "terlambat":
        return f"{d.get('late_band') or 'TL'} +{d['minutes_late']} mnt"
    return {"hadir": "hadir", "tk": "TK", "belum": "belum", "libur": "libur"}.get(key, d["status"])
