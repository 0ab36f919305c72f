"""Small pieces the pages share: parameters from the URL, dates, times in the unit's zone."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from dash import html

from pantau.config import zone_label

from .. import summary

MAX_RANGE_DAYS = 400
KIND_LABELS = {"sekretariat": "Sekretariat", "dinas": "Dinas", "badan": "Badan", "kantor": "Kantor",
               "kecamatan": "Kecamatan", "kelurahan": "Kelurahan", "puskesmas": "Puskesmas",
               "sekolah": "Sekolah", "uptd": "UPTD", "rsud": "RSUD", "inspektorat": "Inspektorat"}
STATUS_OPTIONS = [{"label": "Semua", "value": ""}, {"label": "Hadir", "value": "hadir"},
                  {"label": "Terlambat", "value": "terlambat"}, {"label": "Cuti / izin", "value": "cuti"},
                  {"label": "TK", "value": "tk"}, {"label": "Belum hadir", "value": "belum"}]


def parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def date_range(params: dict, today: dt.date) -> tuple[dt.date, dt.date]:
    """from/to from the URL, ordered and bounded, defaulting to today."""
    d0 = parse_date(params.get("from"), today)
    d1 = parse_date(params.get("to"), d0)
    if d1 < d0:
        d0, d1 = d1, d0
    if (d1 - d0).days > MAX_RANGE_DAYS:
        d0 = d1 - dt.timedelta(days=MAX_RANGE_DAYS)
    return d0, d1


def parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def href(path: str, params: dict) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(clean) if clean else "")


def local_time(config, unit_code: str, value: dt.datetime | None) -> str:
    if value is None:
        return "–"
    zone = config.unit_zone(unit_code) if unit_code in config.unit_by_code else config.zone
    return value.astimezone(zone).strftime("%H:%M")


def zone_name(config, unit_code: str | None) -> str:
    zone = config.unit_zone(unit_code) if unit_code in config.unit_by_code else config.zone
    return zone_label(zone.key)


def tiles(counts: dict, class_name: str = "tiles"):
    return html.Div([
        html.Div([html.Div(t["label"], className="tile-label"),
                  html.Div(f"{t['value']:,}".replace(",", "."), className="tile-value"),
                  html.Div(f"{t['pct']:g}% dari {counts.get('expected', 0):,}".replace(",", "."),
                           className="tile-pct")],
                 className=f"tile tile-{t['key']}", id=f"tile-{t['key']}")
        for t in summary.tiles(counts)], className=class_name)


def nothing(message: str = "Tidak ada data untuk Anda di sini. / Nothing for you here."):
    return html.Div(message, className="notice", id="nothing")
