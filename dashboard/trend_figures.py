"""Lateness trends: pure functions from per unit-day counts to frames and figures.

Late rate = late arrivals / people present, per period. Rows are what
queries.dashboard.unit_day_counts returns, plus a `group` column (the child unit
the row belongs to, from dashboard.summary.child_of).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from .figures import COLORS, _base

GRAINS = {"day": "D", "week": "W-MON", "month": "MS"}
WEEKDAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["work_date", "unit_code", "group", "expected", "present", "late", "on_leave", "tk", "not_yet"]
    df = pd.DataFrame(rows, columns=cols)
    df["work_date"] = pd.to_datetime(df["work_date"])
    for c in cols[3:]:
        df[c] = pd.to_numeric(df[c]).fillna(0).astype(int)
    return df


def _rate(late: pd.Series, present: pd.Series) -> pd.Series:
    return (100 * late / present.where(present > 0)).round(1)


def late_rate_figure(df: pd.DataFrame, grain: str, names: dict[str, str], top: int = 8) -> go.Figure:
    """Region (or node) late rate per day/week/month, and the units with most lateness."""
    fig = go.Figure()
    if df.empty:
        return _base(fig, False, 360)
    if grain == "week":
        period = df["work_date"].dt.to_period("W-SUN").dt.start_time
    elif grain == "month":
        period = df["work_date"].dt.to_period("M").dt.start_time
    else:
        period = df["work_date"]
    df = df.assign(period=period)
    total = df.groupby("period")[["late", "present"]].sum()
    fig.add_scatter(x=total.index, y=_rate(total["late"], total["present"]), name="Semua",
                    line=dict(width=4, color="#222"))
    worst = df.groupby("group")["late"].sum().nlargest(top).index
    for g in worst:
        part = df[df["group"] == g].groupby("period")[["late", "present"]].sum()
        fig.add_scatter(x=part.index, y=_rate(part["late"], part["present"]), name=names.get(g, g),
                        line=dict(width=1.5), mode="lines+markers")
    fig.update_yaxes(title="% terlambat dari yang hadir", rangemode="tozero")
    return _base(fig, False, 380)


def arrival_figure(buckets: list[dict], offsets: dict[str, int], starts: list[int]) -> go.Figure:
    """First check-in times (local, 5-minute buckets) against the start time(s).

    offsets: each unit's UTC offset in minutes (WIB 420, WITA 480, WIT 540)."""
    counts: dict[int, int] = {}
    for b in buckets:
        minute = (b["utc_minute"] + offsets.get(b["unit_code"], 420)) % 1440
        counts[minute] = counts.get(minute, 0) + int(b["people"])
    xs = sorted(counts)
    fig = go.Figure(go.Bar(x=[f"{m // 60:02d}:{m % 60:02d}" for m in xs], y=[counts[m] for m in xs],
                           marker_color=[COLORS["late"] if starts and m >= min(starts) else COLORS["on_time"]
                                         for m in xs], name="Pegawai"))
    for s in sorted(set(starts)):
        fig.add_vline(x=f"{s // 60:02d}:{s % 60:02d}", line=dict(color="#d62728", dash="dash", width=2))
    fig.update_xaxes(type="category", title="Jam masuk (waktu setempat)")
    fig.update_yaxes(title="Orang")
    return _base(fig, False, 340)


def heatmap_figure(df: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """Late rate by unit (rows) and day (columns)."""
    if df.empty:
        return _base(go.Figure(), False, 300)
    g = df.groupby(["group", "work_date"])[["late", "present"]].sum()
    pivot = _rate(g["late"], g["present"]).unstack("work_date")
    fig = go.Figure(go.Heatmap(z=pivot.values, x=[d.strftime("%d/%m") for d in pivot.columns],
                               y=[names.get(c, c) for c in pivot.index], colorscale="OrRd", zmin=0,
                               colorbar=dict(title="% TL"), hoverongaps=False))
    fig.update_xaxes(type="category")
    return _base(fig, False, max(300, 26 * len(pivot.index) + 120))


def weekday_figure(df: pd.DataFrame) -> go.Figure:
    if df.empty:
        return _base(go.Figure(), False, 300)
    g = df.groupby(df["work_date"].dt.day_of_week)[["late", "present"]].sum()
    fig = go.Figure(go.Bar(x=[WEEKDAYS_ID[i] for i in g.index], y=_rate(g["late"], g["present"]),
                           marker_color=COLORS["late"]))
    fig.update_yaxes(title="% terlambat", rangemode="tozero")
    return _base(fig, False, 300)


def rates(df: pd.DataFrame) -> dict[str, float]:
    s = df[["expected", "present", "late", "on_leave", "tk"]].sum()
    exp = s["expected"] or 0
    pct = (lambda v: round(100 * v / exp, 1) if exp else 0.0)
    return {"Hadir": pct(s["present"]), "Terlambat": round(100 * s["late"] / s["present"], 1) if s["present"] else 0.0,
            "Cuti / izin": pct(s["on_leave"]), "TK": pct(s["tk"])}


def compare_figure(current: pd.DataFrame, previous: pd.DataFrame, labels: tuple[str, str]) -> go.Figure:
    a, b = rates(previous), rates(current)
    fig = go.Figure([go.Bar(x=list(a), y=list(a.values()), name=labels[0], marker_color="#9c9c9c"),
                     go.Bar(x=list(b), y=list(b.values()), name=labels[1], marker_color="#4e79a7")])
    fig.update_layout(barmode="group")
    fig.update_yaxes(ticksuffix="%")
    return _base(fig, False, 300).update_layout(barmode="group")


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
