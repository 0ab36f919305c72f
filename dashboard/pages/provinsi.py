"""/provinsi: the regions under this region (their `region.parent` is its code), for the
`provinsi` login only. Counts and shares per region and per SKPD, each region in its own zone
and date, from its live state (what its wall shows) and its month's lateness; never a name or
a NIP. A region whose config says `region.people_to_parent: true` also lets the province
download its monthly recap per employee (/provinsi/rekap/<code>.csv); the others answer 403.
"""
from __future__ import annotations

from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate
from flask import Blueprint, Response, current_app, request
from flask_login import current_user

from foundation import clock
from ingest.export import FLAVOURS
from ingest.recap import month_range

from .. import auth, formats, province
from ..data import province as data
from .common import DAY_NAMES, href, nothing
from .downloads import file_response

PATH = "/provinsi"
REFRESH_MS = 60_000   # counts, not a ticker: once a minute is fresh enough for a province
REGION_HEAD = ["Wilayah", "Zona", "Hadir", "Terlambat", "Belum hadir", "TK", "Cuti / izin", "Keterlambatan bulan ini",
               "Diharapkan hari ini", "Pegawai"]
UNIT_HEAD = ["Unit kerja", "Hadir", "Terlambat", "Belum hadir", "TK", "Cuti / izin", "Diharapkan"]
blueprint = Blueprint("provinsi", __name__)


def _table(head: list[str], rows: list[list], table_id: str, foot: list | None = None):
    def cells(row, tag):
        return [tag(row[0])] + [tag(c, className="num") for c in row[1:]]
    parts = [html.Thead(html.Tr(cells(head, html.Th))),
             html.Tbody([html.Tr(cells(r, html.Td)) for r in rows])]
    if foot:
        parts.append(html.Tfoot(html.Tr(cells(foot, html.Th))))
    return html.Table(parts, className="people province", id=table_id)


def _day(row: dict) -> str:
    day = row["day"]
    when = f"{DAY_NAMES[day.weekday()]} {day:%d/%m/%Y}"
    return when + (f", diperbarui {row['updated']} {row['zone']}" if row["updated"] else "")


def _grants(rows: list[dict]):
    granted = [r["name"] for r in rows if r["granted"]]
    said = ("Wilayah yang membagikan rekap bulanan per pegawai ke provinsi: " + ", ".join(granted) + "."
            if granted else "Belum ada wilayah yang membagikan rekap per pegawai ke provinsi.")
    return html.P(said, className="muted", id="pv-grants")


def _region_section(row: dict):
    body = [html.H3(f"{row['name']} · {_day(row)}"),
            html.P(f"Keterlambatan bulan ini: {formats.percent(row['late_rate'])} "
                   f"({formats.number(row['month_late'])} dari {formats.number(row['month_present'])} hari hadir)",
                   className="muted")]
    if row["units"]:
        body.append(_table(UNIT_HEAD, [[u["name"], *province.unit_cells(u)] for u in row["units"]],
                           f"pv-units-{row['code']}"))
    else:
        body.append(html.P("Hari ini tidak ada pegawai yang dijadwalkan masuk.", className="muted"))
    if row["granted"]:
        body.append(html.A("Unduh rekap bulanan per pegawai (Excel Indonesia)", id=f"pv-recap-{row['code']}",
                           href=href(f"{PATH}/rekap/{row['code']}.csv", {"month": f"{row['day']:%Y-%m}"})))
    else:
        body.append(html.P("Rekap per pegawai tidak dibagikan ke provinsi.", className="muted"))
    return html.Section(body, className="province-region", id=f"pv-region-{row['code']}")


def content(rows: list[dict], province_name: str):
    """The page's body for these regions' rows (data.province_rollup)."""
    if not rows:
        return nothing(f"Belum ada wilayah di bawah {province_name} pada instalasi ini.")
    total = province.province_totals(rows)
    foot = ["Seluruh wilayah", "", *(province.share(total["today"][k], total["today"][f"{k}_pct"]) for k in province.SHOWN),
            formats.percent(total["late_rate"]), formats.number(total["today"]["expected"]),
            formats.number(total["employees"])]
    return html.Div([
        _table(REGION_HEAD, [[r["name"], *province.region_cells(r)] for r in rows], "pv-regions", foot),
        html.P("Persentase dari pegawai yang diharapkan hari ini; keterlambatan bulan ini = hari hadir terlambat "
               "dibagi hari hadir. Tiap wilayah dengan tanggal dan zona waktunya sendiri.", className="muted"),
        _grants(rows),
        *(_region_section(r) for r in rows)])


def _own():
    return current_app.extensions["pantau"]


def _content():
    return content(data.province_rollup(data.regions(), data.province_code()), _own().config.region.name)


def layout(viewer, params: dict):
    if not viewer.is_province:
        return nothing("Halaman ini untuk akun provinsi. / This page is for province logins.")
    name = _own().config.region.name
    return html.Div([
        html.H2(f"Wilayah di bawah {name}"),
        html.P("Angka per wilayah dan unit kerja saja: tidak ada nama atau NIP pegawai.", className="muted"),
        dcc.Interval(id="pv-tick", interval=REFRESH_MS),
        html.Div(_content(), id="pv-body"),
    ], className="province-page")


def register(app) -> None:
    @app.callback(Output("pv-body", "children"), Input("pv-tick", "n_intervals"), prevent_initial_call=True)
    def _refresh(_):
        viewer = auth.viewer()
        if viewer is None or not viewer.is_province:
            raise PreventUpdate
        return _content()


def _refusal(status: int, message_id: str, message_en: str) -> Response:
    return Response(f"{message_id}\n{message_en}\n", status=status, mimetype="text/plain")


@blueprint.route(f"{PATH}/rekap/<code>.csv")
def recap(code: str):
    """A region's month per employee, for the province, when that region granted its people."""
    viewer = auth.viewer()
    if viewer is None or not viewer.is_province:
        return _refusal(403, "Unduhan ini hanya untuk akun provinsi.", "This download is for province logins only.")
    rt = data.child(code[:40])
    if rt is None:
        return _refusal(404, "Wilayah ini tidak dikenal atau tidak berada di bawah provinsi Anda.",
                        "No such region under your province.")
    if not rt.config.region.people_to_parent:
        return _refusal(403, f"{rt.config.region.name} tidak membagikan data pegawainya ke provinsi "
                             "(region.people_to_parent di konfigurasi wilayah itu).",
                        f"{rt.config.region.name} has not granted its people to the province.")
    if (request.args.get("format") or "excel") not in FLAVOURS:
        return _refusal(400, "Format berkas tidak dikenal: pilih excel, xlsx atau csv.",
                        "Unknown format: choose excel, xlsx or csv.")
    today = clock.today(rt.config.zone)
    try:
        first, last = month_range(request.args.get("month") or f"{today:%Y-%m}")
    except ValueError:
        first, last = month_range(f"{today:%Y-%m}")
    data.note_recap(rt, getattr(current_user, "username", "provinsi"), data.province_code(), first)
    stream = data.recap_stream(rt, first, last)
    columns = next(stream)
    return file_response(f"rekap_{code}_{first:%Y-%m}", tuple(columns), stream, f"Rekap {first:%Y-%m}")
