"""Small pieces the pages share: parameters from the URL, dates, times in the unit's zone."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode

from dash import dcc, html

from foundation.config import zone_label

from .. import formats, summary

MAX_RANGE_DAYS = 400
KIND_LABELS = {"sekretariat": "Sekretariat", "dinas": "Dinas", "badan": "Badan", "kantor": "Kantor",
               "kecamatan": "Kecamatan", "kelurahan": "Kelurahan", "puskesmas": "Puskesmas",
               "sekolah": "Sekolah", "uptd": "UPTD", "rsud": "RSUD", "inspektorat": "Inspektorat"}
STATUS_OPTIONS = [{"label": "Semua", "value": ""}, {"label": "Hadir", "value": "hadir"},
                  {"label": "Terlambat", "value": "terlambat"}, {"label": "Cuti / izin", "value": "cuti"},
                  {"label": "TK", "value": "tk"}, {"label": "Belum hadir", "value": "belum"}]


DAY_NAMES = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
STATUS_LABELS = {"hadir": "Hadir", "tk": "TK (tanpa keterangan)", "belum": "Belum hadir", "libur": "Libur"}


# Dash's own words are English ("Start Date", "Search", "No options found"): every picker and
# dropdown is made here, in Indonesian, with dates as day/month/year and weeks from Monday
DATE_FORMAT = "DD/MM/YYYY"
DROPDOWN_LABELS = {"select_all": "Pilih semua", "deselect_all": "Batalkan semua", "selected_count": "{num_selected} dipilih",
                   "search": "Cari", "clear_search": "Hapus pencarian", "clear_selection": "Hapus pilihan",
                   "no_options_found": "Tidak ada pilihan"}


def date_range_picker(id_: str, start: str | None = None, end: str | None = None, **kw):
    return dcc.DatePickerRange(id=id_, start_date=start, end_date=end, display_format=DATE_FORMAT,
                               month_format="MMMM YYYY", first_day_of_week=1,
                               start_date_placeholder_text="Tanggal mulai", end_date_placeholder_text="Tanggal akhir",
                               **kw)


def date_picker(id_: str, date: str | None = None, **kw):
    return dcc.DatePickerSingle(id=id_, date=date, display_format=DATE_FORMAT, month_format="MMMM YYYY",
                                first_day_of_week=1, placeholder="Pilih tanggal", **kw)


def dropdown(id_: str, options: list, **kw):
    return dcc.Dropdown(id=id_, options=options, labels=DROPDOWN_LABELS, **{"placeholder": "Pilih …", **kw})


def status_label(status: str | None, minutes_late: int | None = 0) -> str:
    """A work-day status in words: leave types such as cuti_tahunan become 'Cuti tahunan'."""
    if status == "hadir" and (minutes_late or 0) > 0:
        return "Terlambat"
    if not status:
        return "–"
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def day_label(day: dt.date) -> str:
    return f"{DAY_NAMES[day.weekday()]} {day:%d/%m}"


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


def text(value, limit: int = 200) -> str:
    """A callback input as a short string: a tampered request may send any JSON there."""
    return value[:limit] if isinstance(value, str) else ""


def search_params(search: str | None) -> dict:
    return {k: v[-1] for k, v in parse_qs(text(search, 2000).lstrip("?")).items()}


def filters_changed(search: str | None, chosen: dict, shown: dict) -> bool:
    """Whether filter values differ from what the page was drawn with.

    Dash components may report their values once when mounted; that must not count as a
    choice (it would, for example, drop ?employee= from a reloaded URL)."""
    params = search_params(search)
    return any((v or "") != (params.get(k) or shown.get(k) or "") for k, v in chosen.items())


def href(path: str, params: dict) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(clean) if clean else "")


def local_time(config, unit_code: str, value: dt.datetime | None) -> str:
    if value is None:
        return "–"
    zone = config.unit_zone(unit_code) if unit_code in config.unit_by_code else config.zone
    return value.astimezone(zone).strftime("%H.%M")


def zone_name(config, unit_code: str | None) -> str:
    zone = config.unit_zone(unit_code) if unit_code in config.unit_by_code else config.zone
    return zone_label(zone.key)


def tiles(counts: dict, class_name: str = "tiles"):
    return html.Div([
        html.Div([html.Div(t["label"], className="tile-label"),
                  html.Div(formats.number(t["value"]), className="tile-value"),
                  html.Div(f"{formats.percent(t['pct'])} dari {formats.number(counts.get('expected', 0))}",
                           className="tile-pct")],
                 className=f"tile tile-{t['key']}", id=f"tile-{t['key']}")
        for t in summary.tiles(counts)], className=class_name)


def element(tag: str, children=None, namespace: str = "dash_html_components", **props) -> dict:
    """A component as the JSON Dash sends for it (what Component.to_plotly_json gives), for
    tables with thousands of cells: building and serialising Dash's component classes cost
    ~60 µs a cell, more than the query behind the table."""
    if children is not None:
        props["children"] = children
    return {"type": tag, "namespace": namespace, "props": props}


def nothing(message: str = "Tidak ada data untuk Anda di sini. / Nothing for you here."):
    return html.Div(message, className="notice", id="nothing")
