"""/review ("Tinjauan"): check-ins waiting for review and the patterns found, worst first,
with the evidence side by side, and the decision (sah / tolak with a note).

BKPP and the inspectorate see the whole region; a kepala_unit their unit's subtree (the
queue is cut in SQL; ingest.review.decide checks the scope again and writes the audit log).
The selfie comes from /selfie/<sha> (selfie roles only), the map from /review/map/<id>, a
document of its own like /map/frame; the month's findings as a file from /review/findings.csv.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import Blueprint, Response, abort, request

from ingest import export_labels, review
from ingest.recap import month_range
from ingest.rules import review as review_rules
from ingest.rules.work_day import STATUS_LABELS

from .. import data, formats, maps
from ..data import admin as admin_data
from .admin_common import REVIEW_ROLES, actor, admin_viewer, done, refusal, unit_codes
from .common import day_label, local_time, nothing, parse_int, text
from .downloads import file_response, month_options

PATH = "/review"
blueprint = Blueprint("review", __name__)
SESSIONS = {"in": "masuk", "midday": "istirahat", "out": "pulang"}
STATE_LABELS = {"none": "–", **review_rules.LABELS}
FLAG_SOURCES = {"judge": "pemeriksaan presensi", "face": "pencocokan wajah", "pattern": "pola antar-presensi",
                "trust": "skor kepercayaan"}


def _kind(kind: str) -> str:
    """A flag's or finding's code in words (reasons and patterns share export_labels)."""
    for column in ("pola", "reasons"):
        if kind in export_labels.VALUES[column]:
            return export_labels.VALUES[column][kind]
    return kind.replace("_", " ")


def _allowed(viewer, item: dict | None) -> bool:
    config = data.runtime().config
    return item is not None and review.may_review(config, viewer.role, viewer.unit_code, item["unit_code"])


# --- the queue ---------------------------------------------------------------------------------

def _queue(viewer) -> list[dict]:
    return review.queue(data.runtime(), unit_codes(viewer))


def _queue_list(items: list[dict], selected: int | None):
    config = data.runtime().config
    if not items:
        return html.P("Tidak ada presensi yang menunggu tinjauan.", className="muted", id="rv-empty")
    rows = []
    for i in items:
        why = [_kind(k) for k in (*i["flag_kinds"], *i["pattern_kinds"], *(i["reasons"] or []))
               if k not in ("late", "early_leave")]
        rows.append(html.Tr([
            html.Td(formats.number(round(i["weight"])), className="num"),
            html.Td([html.Div(f"{day_label(i['work_date'])} {local_time(config, i['unit_code'], i['captured_at'])}"),
                     html.Div(SESSIONS.get(i["session"], ""), className="muted")]),
            html.Td([html.Div(i["name"]), html.Div(i["nip"], className="muted")]),
            html.Td(", ".join(dict.fromkeys(why)) or "ditandai"),
            html.Td(f"batas {day_label(i['deadline'])}"),
            html.Td(html.Button("Periksa", id={"type": "rv-open", "index": i["id"]},
                                className="button primary" if i["id"] == selected else "button")),
        ], className="review-row selected" if i["id"] == selected else "review-row"))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Bobot", "Waktu", "Pegawai", "Alasan", "Batas tinjauan", "")]))
    return html.Div([html.P(f"{formats.number(len(items))} presensi menunggu tinjauan", id="rv-count"),
                     html.Table([head, html.Tbody(rows)], className="people", id="rv-table")])


# --- the evidence ------------------------------------------------------------------------------

def _evidence(viewer, check_in_id: int | None):
    if check_in_id is None:
        return html.P("Pilih presensi di daftar untuk melihat buktinya.", className="muted")
    rt = data.runtime()
    found = review.evidence(rt, check_in_id)
    if found is None or not _allowed(viewer, found["check_in"]):
        return nothing()
    c, config = found["check_in"], rt.config
    when = f"{day_label(c['work_date'])}, {local_time(config, c['unit_code'], c['captured_at'])}"
    state = STATE_LABELS[c["review_state"]]
    if c["review_state"] == review_rules.TOLAK and c["note"]:
        state = review_rules.label(c["review_state"], c["note"])
    flags = [html.Li(f"{_kind(f['kind'])} (bobot {formats.number(round(f['weight']))}, {FLAG_SOURCES.get(f['source'], f['source'])})")
             for f in found["flags"]]
    flags += [html.Li(_kind(r)) for r in c["reasons"] or () if r not in ("late", "early_leave")]
    office = config.office_by_code.get(c["office_code"])
    where = (f"{formats.number(round(c['distance_m']))} m dari {office.name if office else c['office_code']}"
             if c["distance_m"] is not None else (office.name if office else "tanpa lokasi"))
    return html.Div([
        html.H3([c["name"], html.Span(f" · NIP {c['nip']} · {c['unit_name'] or c['unit_code']}", className="muted")]),
        html.P([when, f" · {SESSIONS.get(c['session'], '')} · {where} · ",
                html.Strong(state, id="rv-state")]),
        html.Ul(flags or [html.Li("ditandai")], className="flags"),
        html.Div([
            html.Figure([_face(viewer, found["face"]),
                         html.Figcaption(["Wajah terdaftar", html.Br(), _match(config, found["match"])])],
                        className="evidence-photo"),
            html.Figure([_selfie(viewer, c), html.Figcaption("Swafoto presensi")], className="evidence-photo"),
            html.Iframe(src=f"/review/map/{c['id']}", className="evidence-map", id="rv-map",
                        title="Peta kantor dan titik presensi"),
        ], className="evidence"),
        _findings(viewer, found["findings"]),
        html.H4("Presensi pegawai minggu ini"),
        _timeline(config, c, found["week"]),
    ])


def _face(viewer, enrolment: dict | None):
    """The employee's reference face (the server matched the selfie against it)."""
    if enrolment is None:
        return html.Div("Belum ada wajah terdaftar", className="face-empty", id="rv-face")
    if not viewer.can_see_selfies:
        return html.Div("Wajah hanya untuk peran yang berwenang", className="face-empty", id="rv-face")
    url = admin_data.photo_thumbnail(enrolment["photo_sha256"], side=200)
    if url is None:
        return html.Div("Foto wajah tidak ditemukan", className="face-empty", id="rv-face")
    return html.Img(src=url, alt="Wajah terdaftar", id="rv-face")


MATCH_LABELS = {"match": "cocok", "mismatch": "tidak cocok", "no_face": "tidak ada wajah di swafoto",
                "no_enrolment": "belum ada wajah terdaftar saat dicocokkan", "error": "gagal dicocokkan"}


def _match(config, match: dict | None) -> str:
    """What the server's face match said of this selfie, in words."""
    if match is None:
        return ""
    if match.get("result") is None:
        return "menunggu pencocokan"
    said = MATCH_LABELS.get(match["result"], match["result"])
    if match.get("distance") is None:
        return said
    return (f"{said}: jarak {formats.number(round(match['distance'], 2))} "
            f"(ambang {formats.number(config.rules.face.server_threshold)})")


def _selfie(viewer, c: dict):
    if not c["selfie_sha256"]:
        return html.Div("Tanpa swafoto", className="face-empty")
    if not viewer.can_see_selfies:
        return html.Div("Swafoto hanya untuk peran yang berwenang", className="face-empty")
    return html.Img(src=f"/selfie/{c['selfie_sha256']}", alt="Swafoto presensi", id="rv-selfie")


def _findings(viewer, findings: list[dict]):
    """The patterns naming this check-in; the other employee of a pair by name when the viewer
    may see them (a unit head sees only that someone of another unit is involved)."""
    if not findings:
        return html.Div()
    mine, items = unit_codes(viewer), []
    for f in findings:
        others = ", ".join(f"{o['name']} ({o['nip']}, {o['unit_code']})" if mine is None or o["unit_code"] in mine
                           else f"pegawai unit lain ({o['unit_code']})" for o in f["others"])
        items.append(html.Li([html.Strong(_kind(f["kind"])), f" · {day_label(f['work_date'])} · ",
                              f["message_id"], html.Div(f"Pegawai lain: {others}", className="pair") if others else ""]))
    return html.Div([html.H4("Pola yang ditemukan"), html.Ul(items, id="rv-findings")])


def _timeline(config, c: dict, week: list[dict]):
    rows = []
    for r in week:
        verdict = export_labels.VALUES["verdict"].get(r["verdict"], r["verdict"])
        rows.append(html.Tr([html.Td(day_label(r["work_date"])),
                             html.Td(local_time(config, c["unit_code"], r["captured_at"])),
                             html.Td(SESSIONS.get(r["session"], "acara")), html.Td(verdict),
                             html.Td(STATE_LABELS[r["review_state"]])],
                            className="this-check-in" if r["id"] == c["id"] else ""))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Tanggal", "Jam", "Sesi", "Keputusan sistem", "Tinjauan")]))
    return html.Table([head, html.Tbody(rows)], className="people timeline", id="rv-timeline")


def _decision(selected: int | None):
    # hidden with nothing chosen: a Sah / Tolak with no check-in would decide nothing
    return html.Div([
        dcc.Textarea(id="rv-note", placeholder="Catatan (wajib): alasan keputusan", className="comment", maxLength=1000),
        html.Div([html.Button("Sah", id="rv-sah", className="button primary"),
                  html.Button("Tolak", id="rv-tolak", className="button danger")], className="row-decision"),
        html.Div(id="rv-result"),
    ], className="decision", id="rv-decision", hidden=selected is None)


# --- the page ----------------------------------------------------------------------------------

def layout(viewer, params: dict):
    if admin_viewer(REVIEW_ROLES) is None:
        return nothing()
    config = data.runtime().config
    items = _queue(viewer)
    selected = parse_int(params.get("id")) or (items[0]["id"] if items else None)
    rules = config.rules.review
    counted = "dihitung" if rules.pending_counts else "belum dihitung hadir"
    return html.Div([
        html.H2("Tinjauan presensi"),
        html.P(f"Terberat dulu (jumlah bobot tanda, lalu yang paling lama); selama menunggu {counted}. "
               f"Batas tinjauan {rules.deadline_days} hari setelah tanggal kerja.", className="muted", id="rv-summary"),
        html.Div([
            dcc.Dropdown(id="rv-month", options=month_options(data.today(config), 12),
                         value=f"{data.today(config):%Y-%m}", clearable=False, className="filter"),
            html.A("Unduh temuan bulan ini (CSV)", id="rv-download", className="button",
                   href=f"/review/findings.csv?month={data.today(config):%Y-%m}"),
        ], className="filters"),
        html.Div([
            html.Section(_queue_list(items, selected), id="rv-list", className="review-list"),
            html.Section([html.Div(_evidence(viewer, selected), id="rv-evidence"), _decision(selected)],
                         className="review-evidence"),
        ], className="review-grid"),
        dcc.Store(id="rv-selected", data=selected),
    ])


def register(app) -> None:
    @app.callback(Output("rv-selected", "data"), Input({"type": "rv-open", "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def _open(clicks):
        if admin_viewer(REVIEW_ROLES) is None or not isinstance(ctx.triggered_id, dict) or not any(clicks or ()):
            raise PreventUpdate
        return ctx.triggered_id["index"]

    @app.callback(Output("rv-evidence", "children"), Output("rv-list", "children", allow_duplicate=True),
                  Output("rv-result", "children", allow_duplicate=True), Output("rv-decision", "hidden"),
                  Input("rv-selected", "data"), prevent_initial_call=True)
    def _show(selected):
        viewer = admin_viewer(REVIEW_ROLES)
        if viewer is None:
            raise PreventUpdate
        chosen = selected if isinstance(selected, int) else None
        return _evidence(viewer, chosen), _queue_list(_queue(viewer), chosen), "", chosen is None

    @app.callback(Output("rv-result", "children"), Output("rv-list", "children"),
                  Output("rv-evidence", "children", allow_duplicate=True), Output("rv-note", "value"),
                  Input("rv-sah", "n_clicks"), Input("rv-tolak", "n_clicks"),
                  State("rv-note", "value"), State("rv-selected", "data"), prevent_initial_call=True)
    def _decide(sah, tolak, note, selected):
        viewer = admin_viewer(REVIEW_ROLES)
        if viewer is None or not isinstance(selected, int) or ctx.triggered_id not in ("rv-sah", "rv-tolak"):
            raise PreventUpdate
        decision = review_rules.SAH if ctx.triggered_id == "rv-sah" else review_rules.TOLAK
        try:
            after = review.decide(data.runtime(), selected, decision, text(note, 1000), actor(),
                                  role=viewer.role, user_unit=viewer.unit_code)
        except review.ReviewRefused as exc:
            return refusal(exc), _queue_list(_queue(viewer), selected), _evidence(viewer, selected), note
        day = STATUS_LABELS.get(after["status"], after["status"]) + (f" ({after['late_band']})" if after["late_band"] else "")
        message = f"Presensi {selected}: {review_rules.LABELS[decision]}. Hari kerjanya kini: {day}."
        return done(message), _queue_list(_queue(viewer), selected), _evidence(viewer, selected), ""

    @app.callback(Output("rv-download", "href"), Input("rv-month", "value"), prevent_initial_call=True)
    def _month(month):
        return f"/review/findings.csv?month={text(month, 7)}"


# --- the map and the file ----------------------------------------------------------------------

@blueprint.route("/review/map/<int:check_in_id>")
def evidence_map(check_in_id: int):
    """The office (its geofence) and the check-in's point, for a reviewer of its employee."""
    viewer = admin_viewer(REVIEW_ROLES)
    if viewer is None:
        abort(401)
    rt = data.runtime()
    found = review.evidence(rt, check_in_id)
    if found is None or not _allowed(viewer, found["check_in"]):
        abort(404)
    c = found["check_in"]
    offices = [o for o in rt.config.unit_offices(c["unit_code"])]
    near = [o for o in offices if o.code == c["office_code"]] or offices[:1]
    m = maps.check_in_map(near, [c], rt.config, show_names=True, show_selfie=False)
    if c["lat"] is not None and near:
        m.fit_bounds([[min(c["lat"], near[0].lat), min(c["lon"], near[0].lon)],
                      [max(c["lat"], near[0].lat), max(c["lon"], near[0].lon)]], padding=(40, 40), max_zoom=17)
    return Response(maps.render(m, nonce=request.csp_nonce), mimetype="text/html")


@blueprint.route("/review/findings.csv")
def findings_csv():
    """The month's pattern findings, one row per employee, in the viewer's units."""
    viewer = admin_viewer(REVIEW_ROLES)
    if viewer is None:
        abort(401)
    rt = data.runtime()
    try:
        first, last = month_range(request.args.get("month") or f"{data.today(rt.config):%Y-%m}")
    except ValueError:
        abort(400, "month harus YYYY-MM / month must be YYYY-MM")
    rows = review.month_findings(rt, first, last, unit_codes(viewer))
    return file_response(f"temuan_{first:%Y-%m}", review.FINDING_COLUMNS, rows, f"Temuan {first:%Y-%m}")
