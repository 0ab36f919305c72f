"""/downloads and the streamed files behind it (CSV with a UTF-8 BOM so Excel reads it).

Each CSV is written row by row from a server-side cursor: a year of check-ins never sits
in memory. Every file is cut to the viewer's scope in queries/.
"""
from __future__ import annotations

import csv
import re

from dash import Input, Output, dcc, html
from flask import Blueprint, Response, abort, request, send_file, stream_with_context

from ingest.recap import month_range

from .. import auth, data, maps
from . import map as map_page
from .common import date_range, href, text

blueprint = Blueprint("downloads", __name__)
BOM = "\ufeff"
CHECK_IN_FIELDS = ("work_date", "captured_at_local", "zone", "nip", "name", "unit_code", "session", "source",
                   "verdict", "reasons", "minutes_late", "minutes_early", "office_code", "distance_m",
                   "lat", "lon", "accuracy_m", "terminal_sn")
UNIT_FIELDS = ("work_date", "unit_code", "unit_name", "expected", "present", "late", "on_leave", "tk",
               "not_yet", "late_minutes")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _Line:
    """csv.writer target that hands back each written line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(fields: tuple[str, ...], rows):
    """BOM, header, then one CSV line per row (quoting by the csv module)."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(fields)
    for row in rows:
        yield writer.writerow([row.get(f) for f in fields])


def _csv_response(name: str, fields: tuple[str, ...], rows) -> Response:
    return Response(stream_with_context(csv_lines(fields, rows)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _viewer():
    viewer = auth.viewer()
    if viewer is None or viewer.is_kiosk:
        abort(401)
    return viewer


def _check_in_rows(config, viewer, d0, d1):
    for r in data.check_in_stream(viewer, d0, d1):
        zone = config.unit_zone(r["unit_code"]) if r["unit_code"] in config.unit_by_code else config.zone
        r["captured_at_local"] = r["captured_at"].astimezone(zone).isoformat(timespec="seconds")
        r["zone"] = zone.key
        r["reasons"] = ";".join(r["reasons"] or [])
        if not viewer.show_names:
            r["name"] = ""
        yield r


@blueprint.route("/download/checkins.csv")
def check_ins_csv():
    viewer, config = _viewer(), data.runtime().config
    d0, d1 = date_range(request.args, data.today(config))
    return _csv_response(f"presensi_{d0}_{d1}.csv", CHECK_IN_FIELDS, _check_in_rows(config, viewer, d0, d1))


@blueprint.route("/download/units.csv")
def units_csv():
    viewer, config = _viewer(), data.runtime().config
    d0, d1 = date_range(request.args, data.today(config))
    rows = data.unit_day_rows(viewer, d0, d1)  # days x units: small
    for r in rows:
        r["unit_name"] = config.unit_by_code[r["unit_code"]].name if r["unit_code"] in config.unit_by_code else ""
    return _csv_response(f"unit_harian_{d0}_{d1}.csv", UNIT_FIELDS, rows)


def unit_codes(config, viewer) -> list[str] | None:
    """The viewer's subtree as unit codes (what ingest.recap filters on); None: the region."""
    if viewer.scope is None:
        return None
    return [u.code for u in config.units if viewer.can_see_unit(auth.unit_scope(config, u.code))]


def _recap_response(kind: str):
    """A month of `pantau recap` (ingest.recap) for the viewer's units, streamed."""
    viewer, config = _viewer(), data.runtime().config
    try:
        first, last = month_range(request.args.get("month") or f"{data.today(config):%Y-%m}")
    except ValueError:
        first, last = month_range(f"{data.today(config):%Y-%m}")
    stream = data.recap_stream(kind, first, last, unit_codes(config, viewer))
    columns = next(stream)
    return _csv_response(f"{kind}_{first:%Y-%m}.csv", tuple(columns), stream)


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


def layout(viewer, params: dict):
    config = data.runtime().config
    today = data.today(config)
    month_start = today.replace(day=1)
    return html.Div([
        html.H2("Unduh data"),
        html.P("Berkas CSV (UTF-8, dibuka langsung di Excel), dibatasi pada unit yang boleh Anda lihat.",
               className="muted"),
        dcc.DatePickerRange(id="dl-dates", start_date=month_start.isoformat(), end_date=today.isoformat(),
                            display_format="DD/MM/YYYY", first_day_of_week=1),
        html.Ul([
            html.Li(html.A("Rekap bulanan per pegawai", id="dl-recap", href="")),
            html.Li(html.A("Rekap bulanan per unit", id="dl-unit-recap", href="")),
            html.Li(html.A("Ringkasan harian per unit", id="dl-units", href="")),
            html.Li(html.A("Data presensi mentah", id="dl-checkins", href="")),
        ], className="downloads"),
    ])


def register(app) -> None:
    @app.callback(Output("dl-recap", "href"), Output("dl-unit-recap", "href"), Output("dl-units", "href"),
                  Output("dl-checkins", "href"),
                  Input("dl-dates", "start_date"), Input("dl-dates", "end_date"))
    def _links(start, end):
        rng = {"from": text(start)[:10], "to": text(end)[:10]}
        month = {"month": text(start)[:7]}
        return (href("/download/recap.csv", month), href("/download/unit_recap.csv", month),
                href("/download/units.csv", rng), href("/download/checkins.csv", rng))
