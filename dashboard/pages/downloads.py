"""/downloads and the files behind it, written by ingest.export (the CLI's writer): Excel
Indonesia CSV (';', decimal comma, Indonesian headers, the default), .xlsx, or plain CSV.

Each CSV is written row by row from a server-side cursor: a year of check-ins never sits
in memory; an .xlsx is written row by row to a temporary file. Every file is cut to the
viewer's scope in queries/.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import tempfile
from pathlib import Path

from dash import Input, Output, dcc, html
from flask import Blueprint, Response, abort, request, send_file, stream_with_context

from ingest.export import FLAVOURS, csv_lines, write_table
from ingest.recap import month_range

from .. import auth, data, formats, maps
from . import map as map_page
from .common import date_range, date_range_picker, dropdown, href, text

blueprint = Blueprint("downloads", __name__)
CHECK_IN_FIELDS = ("work_date", "captured_at_local", "zone", "nip", "name", "unit_code", "session", "source",
                   "verdict", "reasons", "minutes_late", "minutes_early", "office_code", "distance_m",
                   "lat", "lon", "accuracy_m", "terminal_sn")
UNIT_FIELDS = ("work_date", "unit_code", "unit_name", "expected", "present", "late", "on_leave", "tk",
               "not_yet", "late_minutes")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT_LABELS = {"excel": "Excel Indonesia (CSV dengan ;)", "xlsx": "Excel (.xlsx)", "csv": "CSV biasa (dengan ,)"}


def file_response(name: str, columns, rows, sheet: str) -> Response:
    """`rows` as the file kind the request asks for (?format=excel|xlsx|csv; excel by default)."""
    flavour = request.args.get("format") or "excel"
    if flavour not in FLAVOURS:
        abort(400, f"format {flavour!r}: choose excel, xlsx or csv")
    options = FLAVOURS[flavour]
    if options["fmt"] == "xlsx":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "out.xlsx"
            write_table(path, list(columns), rows, fmt="xlsx", sheet=sheet[:31])
            body = path.read_bytes()
        return Response(body, content_type=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    lines = csv_lines(list(columns), _started(rows), sep=options["sep"], decimal=options["decimal"],
                      labels=options["labels"])
    return Response(stream_with_context(lines), content_type=CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _started(rows):
    """`rows` with the first one read now, in the view: Postgres down is the 503 page
    (dashboard/outage.py), not a 200 whose file stops after the header."""
    rows = iter(rows)
    first = next(rows, None)
    return rows if first is None else itertools.chain([first], rows)


def _viewer():
    viewer = auth.viewer()
    if viewer is None or viewer.is_kiosk:
        abort(401)
    if viewer.is_province:   # its scope matches no unit anyway; say so rather than send empty files
        abort(403, "Akun provinsi tidak mengunduh data wilayah ini. / Not for province logins.")
    return viewer


def _check_in_rows(config, viewer, d0, d1):
    for r in data.check_in_stream(viewer, d0, d1):
        zone = config.unit_zone(r["unit_code"]) if r["unit_code"] in config.unit_by_code else config.zone
        r["captured_at_local"] = r["captured_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        r["zone"] = zone.key
        r["reasons"] = list(r["reasons"] or [])
        if not viewer.show_names:
            r["name"] = ""
        yield r


@blueprint.route("/download/checkins.csv")
def check_ins_csv():
    viewer, config = _viewer(), data.runtime().config
    d0, d1 = date_range(request.args, data.today(config))
    return file_response(f"presensi_{d0}_{d1}", CHECK_IN_FIELDS, _check_in_rows(config, viewer, d0, d1), "Presensi")


@blueprint.route("/download/units.csv")
def units_csv():
    viewer, config = _viewer(), data.runtime().config
    d0, d1 = date_range(request.args, data.today(config))
    rows = data.unit_day_rows(viewer, d0, d1)  # days x units: small
    for r in rows:
        r["unit_name"] = config.unit_by_code[r["unit_code"]].name if r["unit_code"] in config.unit_by_code else ""
    return file_response(f"unit_harian_{d0}_{d1}", UNIT_FIELDS, rows, "Unit harian")


def unit_codes(config, viewer) -> list[str] | None:
    """The viewer's subtree as unit codes (what ingest.recap filters on); None: the region."""
    if viewer.scope is None:
        return None
    return [u.code for u in config.units if viewer.can_see_unit(auth.unit_scope(config, u.code))]


def _recap_response(kind: str):
    """A month of `pantau recap` (ingest.recap) for the viewer's units."""
    viewer, config = _viewer(), data.runtime().config
    try:
        first, last = month_range(request.args.get("month") or f"{data.today(config):%Y-%m}")
    except ValueError:
        first, last = month_range(f"{data.today(config):%Y-%m}")
    stream = data.recap_stream(kind, first, last, unit_codes(config, viewer))
    columns = next(stream)
    return file_response(f"{kind}_{first:%Y-%m}", tuple(columns), stream, f"Rekap {first:%Y-%m}")


@blueprint.route("/download/recap.csv")
def recap_csv():
    return _recap_response("rekap")


@blueprint.route("/download/unit_recap.csv")
def unit_recap_csv():
    return _recap_response("rekap_unit")


@blueprint.route("/download/map.html")
def map_html():
    viewer = _viewer()
    built = map_page.build(viewer, dict(request.args))
    if built is None:
        abort(404)
    m, day, unit, _ = built
    return Response(maps.render(m, standalone=True), mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="peta_presensi_{day}.html"'})


@blueprint.route("/map/frame")
def map_frame():
    """The /map page's frame: its own document, so its inline scripts can carry the CSP
    nonce (a srcdoc frame would inherit the page's policy, which allows no inline script)."""
    built = map_page.build(_viewer(), dict(request.args))
    if built is None:
        abort(404)
    return Response(maps.render(built[0], nonce=request.csp_nonce), mimetype="text/html")


@blueprint.route("/selfie/<sha>")
def selfie(sha: str):
    """A check-in's selfie, for roles allowed to see selfies, inside their scope."""
    viewer = _viewer()
    if not viewer.can_see_selfies or not SHA256.match(sha):
        abort(404)
    path = data.selfie_file(viewer, sha)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=3600)


def month_options(today: dt.date, count: int = 24) -> list[dict]:
    """This month and the `count` - 1 before it, newest first, in Indonesian."""
    out, year, month = [], today.year, today.month
    for _ in range(count):
        out.append({"label": formats.month_year(dt.date(year, month, 1)), "value": f"{year}-{month:02d}"})
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def layout(viewer, params: dict):
    config = data.runtime().config
    today = data.today(config)
    month_start = today.replace(day=1)
    return html.Div([
        html.H2("Unduh data"),
        html.P("Dibatasi pada unit yang boleh Anda lihat. \"Excel Indonesia\" dibuka langsung di Excel "
               "berbahasa Indonesia: kolom terpisah, koma desimal, NIP tetap teks (ditulis dengan spasi "
               "seperti di dokumen resmi).", className="muted"),
        html.Div([html.Label("Jenis berkas", htmlFor="dl-format"),
                  dcc.RadioItems(id="dl-format", value="excel", className="choice",
                                 options=[{"label": v, "value": k} for k, v in FORMAT_LABELS.items()])],
                 className="field"),
        html.H3("Rekap bulanan (potongan TPP)"),
        html.Div([html.Label("Bulan", htmlFor="dl-month"),
                  dropdown("dl-month", month_options(today), value=f"{today:%Y-%m}",
                               clearable=False, searchable=False, className="filter")], className="field"),
        html.Ul([
            html.Li(html.A("Rekap bulanan per pegawai", id="dl-recap", href="")),
            html.Li(html.A("Rekap bulanan per unit", id="dl-unit-recap", href="")),
        ], className="downloads"),
        html.H3("Data harian"),
        date_range_picker("dl-dates", month_start.isoformat(), today.isoformat()),
        html.Ul([
            html.Li(html.A("Ringkasan harian per unit", id="dl-units", href="")),
            html.Li(html.A("Data presensi mentah", id="dl-checkins", href="")),
        ], className="downloads"),
    ])


def register(app) -> None:
    @app.callback(Output("dl-recap", "href"), Output("dl-unit-recap", "href"), Output("dl-units", "href"),
                  Output("dl-checkins", "href"),
                  Input("dl-dates", "start_date"), Input("dl-dates", "end_date"), Input("dl-month", "value"),
                  Input("dl-format", "value"))
    def _links(start, end, month, flavour):
        kind = {"format": flavour if flavour in FLAVOURS else "excel"}
        rng = {"from": text(start)[:10], "to": text(end)[:10], **kind}
        month = {"month": text(month)[:7], **kind}
        return (href("/download/recap.csv", month), href("/download/unit_recap.csv", month),
                href("/download/units.csv", rng), href("/download/checkins.csv", rng))
