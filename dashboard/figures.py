"""Figures as pure functions: data in, plotly figure out (no queries, no Flask)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

COLORS = {
    "on_time": "#1a9850", "late": "#f28e2b", "on_leave": "#4e79a7", "tk": "#d62728",
    "not_yet": "#9c9c9c", "refused": "#d62728", "flagged": "#9467bd", "geofence": "#2c7fb8",
}
WALL = {"bg": "#000000", "fg": "#ffffff", "grid": "#333333", "font": "Inter, Arial, sans-serif"}
VERDICT_LABELS = {"on_time": "Tepat waktu", "late": "Terlambat", "refused": "Ditolak (di luar area)",
                  "flagged": "Ditandai"}


def check_in_kind(verdict: str, minutes_late: int | None) -> str:
    """The map's colour class: accepted on time / late, refused, flagged."""
    if verdict == "refused":
        return "refused"
    if verdict == "flagged":
        return "flagged"
    return "late" if (minutes_late or 0) > 0 else "on_time"


def _base(fig: go.Figure, wall: bool, height: int | None = None, scale: float = 1.0) -> go.Figure:
    layout = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=1.08, x=0),
                  barmode="stack", hovermode="closest")
    if height:
        layout["height"] = height
    if wall:
        layout.update(paper_bgcolor=WALL["bg"], plot_bgcolor=WALL["bg"],
                      font=dict(color=WALL["fg"], family=WALL["font"], size=round(18 * scale)),
                      margin=dict(l=10, r=20, t=10, b=10), legend=dict(orientation="h", y=1.02, x=0))
    else:
        layout.update(template="plotly_white")
    fig.update_layout(**layout)
    return fig


def unit_bars(units: list[dict], wall: bool = False, limit: int | None = None, scale: float = 1.0) -> go.Figure:
    """Units ranked by presence: on time and late apart, then leave and not-yet, as % of expected.

    Each bar carries its unit code in customdata, so a click drills one level down."""
    units = units[:limit] if limit else units
    names = [u["name"] for u in units][::-1]  # highest first at the top
    codes = [u["unit_code"] for u in units][::-1]
    fig = go.Figure()
    parts = (("on_time", "Tepat waktu", lambda u: u["present"] - u["late"]),
             ("late", "Terlambat", lambda u: u["late"]),
             ("on_leave", "Cuti / izin", lambda u: u["on_leave"]),
             ("not_yet", "Belum / TK", lambda u: u["not_yet"] + u["tk"]))
    for key, label, value in parts:
        counts = [value(u) for u in units][::-1]
        pct = [round(100 * c / u["expected"], 1) if u["expected"] else 0 for c, u in zip(counts, units[::-1])]
        fig.add_bar(y=names, x=pct, orientation="h", name=label, marker_color=COLORS[key],
                    customdata=codes, text=[f"{p:g}%" if p >= 8 else "" for p in pct],
                    textposition="inside", insidetextanchor="middle",
                    hovertemplate="%{y}<br>" + label + ": %{x}%<extra></extra>")
    fig.update_xaxes(range=[0, 100], ticksuffix="%", showgrid=not wall)
    fig.update_yaxes(automargin=True)
    return _base(fig, wall, height=None if wall else max(260, 34 * len(units) + 80), scale=scale)


def wall_map(offices: list[dict], points: list[dict], scale: float = 1.0) -> go.Figure:
    """The wall's small live map: offices with their geofence and the latest check-ins.

    Plain x/y (lon/lat) scatter, not tiles: it needs no network or WebGL on the TV and
    keeps its view across updates (uirevision), which a folium iframe would lose."""
    fig = go.Figure()
    for o in offices:
        if o.get("polygon"):
            lats = [p[0] for p in o["polygon"]] + [o["polygon"][0][0]]
            lons = [p[1] for p in o["polygon"]] + [o["polygon"][0][1]]
        else:
            lats, lons = _circle(o["lat"], o["lon"], o.get("radius_m") or 150)
        fig.add_scatter(x=lons, y=lats, mode="lines", line=dict(color=COLORS["geofence"], width=2),
                        hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=[o["lon"] for o in offices], y=[o["lat"] for o in offices], mode="markers",
                    marker=dict(symbol="square", size=9 * scale, color=COLORS["geofence"]),
                    text=[o["name"] for o in offices], hoverinfo="text", showlegend=False)
    for kind in ("on_time", "late", "flagged", "refused"):
        pts = [p for p in points if check_in_kind(p.get("verdict"), p.get("minutes_late")) == kind
               and p.get("lat") is not None]
        fig.add_scatter(x=[p["lon"] for p in pts], y=[p["lat"] for p in pts], mode="markers",
                        name=VERDICT_LABELS[kind], marker=dict(size=12 * scale, color=COLORS[kind],
                                                               line=dict(width=1, color="#fff")))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(uirevision="wall-map", showlegend=False)
    return _base(fig, wall=True, scale=scale)


def _circle(lat: float, lon: float, radius_m: float, n: int = 36) -> tuple[list[float], list[float]]:
    dlat = radius_m / 111_320
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    angles = [2 * math.pi * i / n for i in range(n + 1)]
    return [lat + dlat * math.sin(a) for a in angles], [lon + dlon * math.cos(a) for a in angles]


def calendar(days: list[dict], year: int, month: int) -> go.Figure:
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
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", zmin=0, zmax=5, colorscale=scale,
                               showscale=False, hoverinfo="text", xgap=3, ygap=3,
                               x=["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]))
    fig.update_yaxes(autorange="reversed", visible=False)
    fig.update_xaxes(side="top")
    return _base(fig, wall=False, height=60 * len(weeks) + 60)


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
        return f"{d.get('late_band') or 'TL'} +{d['minutes_late']}m"
    return {"hadir": "hadir", "tk": "TK", "belum": "belum", "libur": "libur"}.get(key, d["status"])
