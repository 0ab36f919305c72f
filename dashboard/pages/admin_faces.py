"""/admin/faces (BKPP): each employee's reference face, which the server matches every selfie
with. Upload a photo, or approve one of the employee's own accepted selfies; a replaced face
stays on record. Both are audit-logged (ingest.face_match)."""
from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from ingest.face_match import FaceError, enrol_photo, enrol_selfie

from .. import data, formats
from ..data import admin as admin_data
from .admin_common import BKPP, actor, admin_viewer, done, refusal, uploaded
from .common import local_time, nothing, text

SOURCE = {"photo": "berkas foto", "selfie": "swafoto presensi"}
SESSION = {"in": "masuk", "midday": "siang", "out": "pulang", None: "acara"}


def _when(config, unit, value) -> str:
    return f"{value.astimezone(config.zone):%d/%m/%Y} {local_time(config, unit, value)}" if value else "–"


def _photo(sha: str, alt: str, id_: str | None = None):
    url = admin_data.photo_thumbnail(sha)
    if url is None:
        return html.Div("foto tidak ditemukan", className="muted face-photo")
    return html.Img(src=url, alt=alt, className="face-photo", **({"id": id_} if id_ else {}))


def _employee(nip: str):
    """The employee's reference face and their selfies, or why not; and the selfie choices."""
    if not nip:
        return html.P("Masukkan NIP untuk melihat wajah acuan pegawai.", className="muted", id="fc-empty"), []
    try:
        view = admin_data.face_enrolment(nip)
    except FaceError as exc:
        return refusal(exc), []
    config = data.runtime().config
    person, current = view["employee"], view["current"]
    unit = person["unit_code"]
    if current is None:
        face = html.P("Belum ada wajah acuan: swafoto pegawai ini belum dapat dicocokkan.", className="warning",
                      id="fc-none")
    else:
        kept = (f"{current['replaced']} wajah acuan sebelumnya tetap tersimpan."
                if current["replaced"] else "Belum pernah diganti.")
        face = html.Div([
            _photo(current["photo_sha256"], "wajah acuan", "fc-current-photo"),
            html.Div([html.Strong("Wajah acuan saat ini"),
                      html.P(f"Dari {SOURCE.get(current['source'], current['source'])}, oleh {current['enrolled_by']}, "
                             f"{_when(config, unit, current['enrolled_at'])}."),
                      html.P(kept + " Mengganti wajah acuan tidak menghapus yang lama.", className="muted")]),
        ], className="face-current", id="fc-current-face")
    choices, cards = [], []
    threshold = config.rules.face.server_threshold
    for c in view["candidates"]:
        label = f"{c['work_date']:%d/%m/%Y} {SESSION.get(c['session'], c['session'])} " \
                f"{local_time(config, unit, c['captured_at'])}"
        match = ("belum dicocokkan" if c["result"] is None else
                 f"jarak {formats.number(round(c['distance'], 2))} (ambang {formats.number(threshold)})"
                 if c["distance"] is not None else "tidak dapat dicocokkan")
        choices.append({"label": label, "value": c["id"]})
        cards.append(html.Figure([_photo(c["selfie_sha256"], f"swafoto {label}"),
                                  html.Figcaption([label, html.Br(), html.Span(match, className="muted")])],
                                 className="face-card"))
    selfies = html.Div(cards, className="face-cards", id="fc-selfies") if cards else \
        html.P("Belum ada swafoto dari presensi yang diterima.", className="muted", id="fc-no-selfies")
    return html.Div([html.H3(f"{person['name']} (NIP {person['nip']}, {unit})"), face,
                     html.H4("Swafoto presensi pegawai ini"), selfies], id="fc-person"), choices


def layout(viewer, params: dict):
    if admin_viewer(BKPP) is None:
        return nothing()
    counts = admin_data.face_counts()
    nip = params.get("nip", "")
    person, choices = _employee(nip)
    return html.Div([
        html.H2("Wajah acuan pegawai"),
        html.P(f"Server mencocokkan setiap swafoto presensi dengan wajah acuan pegawai. "
               f"{formats.number(counts['enrolled'])} pegawai sudah memiliki wajah acuan; "
               f"{formats.number(counts['waiting'])} swafoto menunggu dicocokkan.", id="fc-counts"),
        html.Div([dcc.Input(id="fc-nip", type="text", placeholder="NIP (18 digit)", value=nip, className="filter",
                            style={"maxWidth": "22em"}),
                  html.Button("Tampilkan", id="fc-show", className="button")], className="filters"),
        html.Div(id="fc-result"),   # above the employee: the outcome is seen without scrolling
        html.Div(person, id="fc-employee"),
        html.H3("Daftarkan atau ganti wajah acuan"),
        html.P("Satu wajah per foto, cukup terang, wajah tidak terlalu kecil. Wajah acuan lama tetap tersimpan.",
               className="muted"),
        html.Div([
            dcc.Upload(html.Button("Pilih foto (JPEG/PNG)", className="button"), id="fc-upload", multiple=False,
                       accept="image/jpeg,image/png"),
            html.Span(id="fc-upload-name", className="muted"),
            html.Button("Daftarkan foto sebagai wajah acuan", id="fc-enrol", className="button primary"),
        ], className="filters"),
        html.Div([
            dcc.Dropdown(id="fc-selfie", options=choices, placeholder="Pilih swafoto presensi pegawai ini",
                         className="filter wide"),
            html.Button("Setujui swafoto sebagai wajah acuan", id="fc-approve", className="button primary"),
        ], className="filters"),
    ])


def act(action: str, nip: str, contents, filename, check_in_id):
    """Enrol from the uploaded photo or approve a selfie, as the page shows the outcome."""
    rt = data.runtime()
    if not nip:
        return html.Div("NIP wajib diisi. / NIP is required.", className="error", id="refusal")
    try:
        if action == "fc-enrol":
            photo = uploaded(contents, filename)
            if photo is None:
                return html.Div("Pilih foto terlebih dahulu (JPEG atau PNG, maks. 2 MB). / "
                                "Choose a photo first (JPEG or PNG, max 2 MB).", className="error", id="refusal")
            made = enrol_photo(rt, nip, photo[1], actor())
        else:
            if not isinstance(check_in_id, int):
                return html.Div("Pilih swafoto terlebih dahulu. / Choose a selfie first.", className="error",
                                id="refusal")
            made = enrol_selfie(rt, nip, check_in_id, actor())
    except FaceError as exc:
        return refusal(exc)
    kept = " Wajah acuan lama tetap tersimpan." if made["replaced"] else ""
    return done(f"Wajah acuan {made['name']} (NIP {made['nip']}) terdaftar.{kept}")


def register(app) -> None:
    @app.callback(Output("fc-employee", "children"), Output("fc-selfie", "options"),
                  Input("fc-show", "n_clicks"), Input("fc-nip", "n_submit"), State("fc-nip", "value"),
                  prevent_initial_call=True)
    def _show(clicks, submits, nip):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        return _employee(text(nip, 40))

    @app.callback(Output("fc-upload-name", "children"), Input("fc-upload", "filename"), prevent_initial_call=True)
    def _named(filename):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        return text(filename, 120)

    @app.callback(Output("fc-result", "children"), Output("fc-employee", "children", allow_duplicate=True),
                  Output("fc-selfie", "options", allow_duplicate=True),
                  Input("fc-enrol", "n_clicks"), Input("fc-approve", "n_clicks"),
                  State("fc-nip", "value"), State("fc-upload", "contents"), State("fc-upload", "filename"),
                  State("fc-selfie", "value"), prevent_initial_call=True)
    def _act(enrol_clicks, approve_clicks, nip, contents, filename, check_in_id):
        if admin_viewer(BKPP) is None:
            raise PreventUpdate
        nip = text(nip, 40)
        return (act(ctx.triggered_id, nip, contents, filename, check_in_id), *_employee(nip))
