"""Lateness trends: pure functions from per unit-day counts to frames and figures.

Late rate = late arrivals / people present, per period. Rows are what
queries.dashboard.unit_day_counts returns, plus a `group` column (the child unit
the row belongs to, from dashboard.summary.child_of).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from .figures import COLORS, PRESENCE_PARTS, figure

GRAINS = {"day": "D", "week": "W-MON", "month": "MS"}
WEEKDAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


COUNTS = ["expected", "present", "late", "on_leave", "tk", "not_yet"]
# dates written as in Indonesian ("7 Des", "Des 2026"); the names come from the page's plotly locale
DATE_AXIS = dict(type="date", tickformatstops=[dict(dtickrange=[None, "M1"], value="%-d %b"),
                                               dict(dtickrange=["M1", None], value="%b %Y")])
PERIOD_HOVER = {"day": "%a %-d/%m/%Y", "week": "pekan mulai %-d %b %Y", "month": "%B %Y"}


def frame(rows: list[dict], own_code: str | None = None) -> pd.DataFrame:
    """Rows of queries.dashboard.branch_counts as a frame; `group` is the branch, the node's
    own people (branch '') under the node's code."""
    cols = ["work_date", "branch", *COUNTS]
    df = pd.DataFrame.from_records([tuple(r[c] for c in cols) for r in rows], columns=cols)
    df = df.rename(columns={"branch": "group"})
    if own_code:
        df["group"] = df["group"].replace("", own_code)
    df["work_date"] = pd.to_datetime(df["work_date"])
    for c in COUNTS:
        df[c] = pd.to_numeric(df[c]).fillna(0).astype(int)
    return df


def _rate(late: pd.Series, present: pd.Series) -> pd.Series:
    return (100 * late / present.where(present > 0)).round(1)


def _values(series: pd.Series) -> list:
    return [None if pd.isna(v) else float(v) for v in series]


def _dates(index) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in index]


def late_rate_figure(df: pd.DataFrame, grain: str, names: dict[str, str], top: int = 8) -> dict:
    """Region (or node) late rate per day/week/month, and the units with most lateness."""
    # the legend under the chart, at the figure's foot (its own margin): above it, wrapped to a
    # phone's width, it covered the lines; the page sizes the graph (taller on a phone, pantau.css)
    layout = dict(yaxis=dict(title=dict(text="% terlambat dari yang hadir"), rangemode="tozero"), xaxis=DATE_AXIS,
                  legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
                  margin=dict(t=20, b=10))
    hover = "%{x|" + PERIOD_HOVER.get(grain, PERIOD_HOVER["day"]) + "}<br>%{fullData.name}: %{y}%<extra></extra>"
    if df.empty:
        return figure([], layout)
    if grain == "week":
        period = df["work_date"].dt.to_period("W-SUN").dt.start_time
    elif grain == "month":
        period = df["work_date"].dt.to_period("M").dt.start_time
    else:
        period = df["work_date"]
    df = df.assign(period=period)
    total = df.groupby("period")[["late", "present"]].sum()
    data = [dict(type="scatter", x=_dates(total.index), y=_values(_rate(total["late"], total["present"])),
                 name="Semua", line=dict(width=4, color="#222"), hovertemplate=hover)]
    worst = df.groupby("group")["late"].sum().nlargest(top).index
    # one grouping for all of them (a filter and a groupby per unit cost ~5 ms each on a year)
    parts = df[df["group"].isin(worst)].groupby(["group", "period"])[["late", "present"]].sum()
    rates = _rate(parts["late"], parts["present"])
    for g in worst:
        part = rates.xs(g, level="group")
        data.append(dict(type="scatter", x=_dates(part.index), y=_values(part),
                         name=names.get(g, g), line=dict(width=1.5), mode="lines+markers", hovertemplate=hover))
    return figure(data, layout)


START_LINE = "#d62728"


def arrival_figure(buckets: list[dict], offsets: dict[str, int], starts: dict[str, int]) -> dict:
    """First check-in times (local, 5-minute buckets) against each unit's own start time.

    offsets: each unit's UTC offset in minutes (WIB 420, WITA 480, WIT 540); starts: each
    unit's morning start (local minutes). A bucket is late for a unit from its start on, so
    07.35 is late for a 07.30 office and on time for an 08.00 one: two stacked traces in the
    unit bars' colours, named in the legend."""
    counts: dict[str, dict[int, int]] = {"on_time": {}, "late": {}}
    for b in buckets:
        minute = (b["utc_minute"] + offsets.get(b["unit_code"], 420)) % 1440
        start = starts.get(b["unit_code"])
        kind = "late" if start is not None and minute >= start else "on_time"
        counts[kind][minute] = counts[kind].get(minute, 0) + int(b["people"])
    xs = set(counts["on_time"]) | set(counts["late"])
    # each start within the range has its place on the axis, with or without arrivals in it
    xs = sorted(xs | {s for s in starts.values() if xs and min(xs) <= s <= max(xs)})
    label = lambda m: f"{m // 60:02d}.{m % 60:02d}"   # the pages' one clock format
    labels = [label(m) for m in xs]
    names = dict(PRESENCE_PARTS)
    bars = [dict(type="bar", x=labels, y=[counts[kind].get(m, 0) for m in xs], name=names[kind],
                 marker=dict(color=COLORS[kind]), hovertemplate="%{x}<br>" + names[kind] + ": %{y} orang<extra></extra>")
            for kind in ("on_time", "late")]
    # at the category's index: a label such as "07.30" would be read as the number 7.3
    shown = sorted(set(starts.values()) & set(xs))
    lines = [dict(type="line", xref="x", yref="paper", x0=xs.index(s), x1=xs.index(s), y0=0, y1=1,
                  line=dict(color=START_LINE, dash="dash", width=2)) for s in shown]
    # the dashed lines named in the legend (labels over them collided where starts are 30 min apart)
    key = dict(type="scatter", x=[None], y=[None], mode="lines", hoverinfo="skip",
               name="Jam masuk " + " / ".join(label(s) for s in shown), line=dict(color=START_LINE, dash="dash", width=2))
    return figure(bars + ([key] if shown else []), dict(shapes=lines, showlegend=True,
                             legend=dict(orientation="h", x=0, y=1.12, yanchor="bottom"),
                             xaxis=dict(type="category", categoryorder="array", categoryarray=labels,
                                        title=dict(text="Jam masuk (waktu setempat)")),
                             yaxis=dict(title=dict(text="Orang"))), height=360)


def heatmap_figure(df: pd.DataFrame, names: dict[str, str]) -> dict:
    """Late rate by unit (rows) and day (columns)."""
    if df.empty:
        return figure([], height=300)
    g = df.groupby(["group", "work_date"])[["late", "present"]].sum()
    pivot = _rate(g["late"], g["present"]).unstack("work_date")
    z = [[None if pd.isna(v) else float(v) for v in row] for row in pivot.values]
    heat = dict(type="heatmap", z=z, x=[d.strftime("%d/%m") for d in pivot.columns],
                y=[names.get(c, c) for c in pivot.index], colorscale="OrRd", zmin=0,
                colorbar=dict(title=dict(text="% TL")), hoverongaps=False)
    return figure([heat], dict(xaxis=dict(type="category")), height=max(300, 26 * len(pivot.index) + 120))


def weekday_figure(df: pd.DataFrame) -> dict:
    if df.empty:
        return figure([], height=300)
    g = df.groupby(df["work_date"].dt.day_of_week)[["late", "present"]].sum()
    bar = dict(type="bar", x=[WEEKDAYS_ID[i] for i in g.index], y=_values(_rate(g["late"], g["present"])),
               marker=dict(color=COLORS["late"]))
    return figure([bar], dict(yaxis=dict(title=dict(text="% terlambat"), rangemode="tozero")), height=300)


def rates(df: pd.DataFrame) -> dict[str, float]:
    s = df[["expected", "present", "late", "on_leave", "tk"]].sum()
    exp = s["expected"] or 0
    pct = (lambda v: round(100 * float(v) / exp, 1) if exp else 0.0)
    return {"Hadir": pct(s["present"]),
            "Terlambat": round(100 * float(s["late"]) / s["present"], 1) if s["present"] else 0.0,
            "Cuti / izin": pct(s["on_leave"]), "TK": pct(s["tk"])}


def compare_figure(current: pd.DataFrame, previous: pd.DataFrame, labels: tuple[str, str]) -> dict:
    a, b = rates(previous), rates(current)
    bars = [dict(type="bar", x=list(a), y=list(a.values()), name=labels[0], marker=dict(color="#9c9c9c")),
            dict(type="bar", x=list(b), y=list(b.values()), name=labels[1], marker=dict(color="#4e79a7"))]
    return figure(bars, dict(barmode="group", yaxis=dict(ticksuffix="%")), height=300)


def ranking(current: pd.DataFrame, previous: pd.DataFrame, names: dict[str, str], n: int = 5) -> dict:
    """Worst units by late rate now, and the most improved against the previous period."""
    def by_group(df):
        g = df.groupby("group")[["late", "present"]].sum()
        return _rate(g["late"], g["present"])

    now, before = by_group(current), by_group(previous)
    both = pd.DataFrame({"now": now, "before": before}).dropna(subset=["now"])
    both["change"] = both["now"] - both["before"]
    worst = both.sort_values("now", ascending=False).head(n)
    improved = both.dropna(subset=["change"]).sort_values("change").head(n)
    improved = improved[improved["change"] < 0]
    as_list = lambda d: [{"unit_code": k, "name": names.get(k, k), "now": float(r["now"]),
                          "before": None if pd.isna(r["before"]) else float(r["before"])}
                         for k, r in d.iterrows()]
    return {"worst": as_list(worst), "improved": as_list(improved)}


def previous_period(d0: dt.date, d1: dt.date) -> tuple[dt.date, dt.date]:
    length = (d1 - d0).days + 1
    return d0 - dt.timedelta(days=length), d0 - dt.timedelta(days=1)
