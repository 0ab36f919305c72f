"""The administration pages without a browser: every new callback and route, and that a
kepala_unit of another unit (or a role without the page) gets nothing from any of them."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from dashboard.auth import hash_password
from ingest import devices, events, leave_requests, review
from queries import audit, db
from queries import leave as ql
from queries import users
from tests.support.admin import PDF
from tests.conftest import ROOT
from tests.support.dash_client import ADMIN_CALLBACKS, DashClient, logged_in as client
from tests.support.city import PASSWORD, seed_city


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "admdash")
    data = seed_city(rt)
    with rt.transaction() as conn:
        users.add_user(conn, "admindinkes", hash_password(PASSWORD), "admin_unit", "DINKES", "Admin Dinkes")
    person = data["people"]["DINKES"][0]
    later = data["today"] + dt.timedelta(days=20)
    data["leave"] = leave_requests.request(rt, person["id"], "sakit", later, later, "demam tinggi",
                                           [leave_requests.Document("surat_dokter.pdf", PDF)])
    data["leave_person"] = person
    with rt.connection() as conn:   # a DINKES check-in under review (the review page's callbacks)
        data["review_item"] = db.scalar(conn, "SELECT id FROM check_ins WHERE employee_id = :e LIMIT 1", e=person["id"])
    review.add_flags(rt, [{"check_in_id": data["review_item"], "source": "pattern", "kind": "selfie_reuse",
                           "weight": 60}])
    return rt, data


def call(c, outputs, inputs, state=()):
    """POST a callback by its first input; (status, response text)."""
    status, out = c.callback(outputs, inputs, state, key=c.output_key(inputs[0][0]))
    return status, json.dumps(out, ensure_ascii=False)


LEAVE = ([("lv-result", "children"), ("lv-list", "children"), ("lv-choice", "options")],
         [("lv-approve", "n_clicks", 1), ("lv-reject", "n_clicks", None)])


def test_the_nav_shows_each_role_its_pages(app):
    _, bkpp = client(app, "bkpp").page("/overview")
    assert all(p in bkpp for p in ("/admin/leave", "/admin/devices", "/admin/events", "/admin/manual", "/admin/audit",
                                   "/admin/users"))
    _, kepala = client(app, "kadamkar").page("/overview")
    assert "/admin/leave" in kepala and "/admin/devices" not in kepala and "/admin/audit" not in kepala
    assert "/admin/users" not in kepala
    _, sekda = client(app, "sekda").page("/overview")
    assert "/admin/terminals" in sekda and "/admin/" not in sekda.replace("/admin/terminals", "")
    for path in ("/admin/leave", "/admin/devices", "/admin/events", "/admin/manual", "/admin/audit", "/admin/qr",
                 "/admin/users"):
        status, text = client(app, "sekda").page(path, "?event=1")
        assert status == 200 and '"nothing"' in text, path


def test_pending_leave_and_its_document_stay_inside_the_unit(app, city):
    rt, data = city
    leave_id, person = data["leave"]["id"], data["leave_person"]
    sha = data["leave"]["attachments"][0]["sha256"]
    _, own = client(app, "kadinkes").page("/admin/leave")
    assert person["name"] in own and f"/admin/attachment/{leave_id}/{sha}" in own
    other = client(app, "kadamkar")
    _, text = other.page("/admin/leave")
    assert person["name"] not in text and "surat_dokter" not in text
    status, text = call(other, LEAVE[0], LEAVE[1], [("lv-choice", "value", leave_id), ("lv-comment", "value", "ok")])
    assert status == 200 and "out_of_scope" in text and person["name"] not in text
    assert other.http.get(f"/admin/attachment/{leave_id}/{sha}").status_code == 404
    assert client(app, "sekda").http.get(f"/admin/attachment/{leave_id}/{sha}").status_code == 401
    assert DashClient(app).http.get(f"/admin/attachment/{leave_id}/{sha}").status_code == 401
    got = client(app, "kadinkes").http.get(f"/admin/attachment/{leave_id}/{sha}")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    with rt.connection() as conn:
        assert ql.leave_for_decision(conn, leave_id)["state"] == "pending"


def test_a_rejection_needs_a_comment_and_an_approval_goes_through(app, city):
    rt, data = city
    leave_id = data["leave"]["id"]
    c = client(app, "kadinkes")
    status, text = call(c, LEAVE[0], [("lv-reject", "n_clicks", 1), ("lv-approve", "n_clicks", None)],
                        [("lv-choice", "value", leave_id), ("lv-comment", "value", " ")])
    assert "Komentar wajib" in text
    status, text = call(c, LEAVE[0], LEAVE[1], [("lv-choice", "value", leave_id), ("lv-comment", "value", "lekas sembuh")])
    assert status == 200 and f"Pengajuan {leave_id} disetujui" in text
    with rt.connection() as conn:
        assert ql.leave_for_decision(conn, leave_id)["state"] == "approved"
    status, text = call(c, LEAVE[0], LEAVE[1], [("lv-choice", "value", leave_id), ("lv-comment", "value", "lagi")])
    assert "already_decided" in text


def test_devices_page_lists_resets_and_issues_a_code_for_bkpp_only(app, city):
    rt, data = city
    person = data["people"]["DAMKAR"][0]
    code = devices.issue_code(rt, person["nip"], "test").code
    devices.activate(rt, person["nip"], code, "android-admindash-1", "Samsung A15")
    outputs = [("dv-result", "children"), ("dv-list", "children")]
    inputs = [("dv-reset", "n_clicks", 1), ("dv-code", "n_clicks", None)]
    state = [("dv-nip", "value", person["nip"]), ("dv-reason", "value", "ponsel hilang"), ("dv-search", "value", "")]
    for username in ("kadamkar", "sekda"):
        status, text = call(client(app, username), outputs, inputs, state)
        assert status == 204 and "Samsung" not in text
        assert client(app, username).page("/admin/devices")[1].count("Samsung") == 0
    c = client(app, "bkpp")
    _, page = c.page("/admin/devices", f"?q={person['nip']}")
    assert "Samsung A15" in page
    status, text = call(c, outputs, inputs, state)
    assert status == 200 and "Samsung A15" in text and "direset" in text
    with rt.connection() as conn:
        assert devices.q.active_device(conn, person["id"]) is None
    status, text = call(c, outputs, [("dv-code", "n_clicks", 1), ("dv-reset", "n_clicks", None)], state)
    assert '"dv-issued"' in text
    issued = json.loads(text)["dv-result"]["children"]["props"]["children"][1]["props"]["children"]
    assert devices.activate(rt, person["nip"], issued, "android-admindash-2", "Oppo")[1]["nip"] == person["nip"]


USERS_OUT = [("us-result", "children"), ("us-list", "children")]


def _users_call(c, action: str, username: str, reason: str = "lupa kata sandi"):
    inputs = [(b, "n_clicks", 1 if b == action else None) for b in ("us-password", "us-disable", "us-enable")]
    status, out = c.callback(USERS_OUT, inputs, [("us-username", "value", username), ("us-reason", "value", reason)],
                             changed=f"{action}.n_clicks", key=c.output_key("us-password"))
    return status, json.dumps(out, ensure_ascii=False)


def test_users_page_resets_a_password_disables_and_enables_for_bkpp_only(app, city):
    rt, _ = city
    with rt.transaction() as conn:
        users.add_user(conn, "lupasandi", hash_password(PASSWORD), "kepala_unit", "DAMKAR", "Kepala Lupa Sandi")
    for username in ("kadamkar", "sekda", "kada"):   # nothing shown, nothing changed
        assert _users_call(client(app, username), "us-password", "lupasandi")[0] == 204
        assert "lupasandi" not in client(app, username).page("/admin/users")[1]
    assert rt_authenticates(rt, "lupasandi", PASSWORD)
    forgetful = client(app, "lupasandi")   # logged in somewhere with the old password
    assert forgetful.page("/overview")[0] == 200

    bkpp = client(app, "bkpp")
    _, page = bkpp.page("/admin/users")
    assert "Kepala Lupa Sandi" in page and "Kepala Unit" in page and "Pemadam" in page
    assert "pbkdf2" not in page and "scrypt" not in page   # no password hash reaches the page
    status, text = _users_call(bkpp, "us-password", "lupasandi")
    assert status == 200 and '"us-issued"' in text and "1 sesi ditutup" in text, text[:400]
    temporary = json.loads(text)["us-result"]["children"]["props"]["children"][1]["props"]["children"]
    assert rt_authenticates(rt, "lupasandi", temporary) and not rt_authenticates(rt, "lupasandi", PASSWORD)
    assert forgetful.http.get("/overview").status_code == 302   # the old session ended with the reset
    with rt.connection() as conn:
        entry = audit.entries(conn, actor="bkpp", action="user.password")[0]
    assert entry["target"] == "lupasandi" and entry["reason"] == "lupa kata sandi"
    assert temporary not in json.dumps(entry, default=str)   # the audit names the change, never the password

    _first_login_opens_only_the_password_page(app, rt, temporary)

    status, text = _users_call(bkpp, "us-disable", "lupasandi", "pindah tugas")
    assert "dinonaktifkan" in text and "Nonaktif" in text
    assert not rt_authenticates(rt, "lupasandi", temporary)
    assert "sudah nonaktif" in _users_call(bkpp, "us-disable", "lupasandi", "lagi")[1]
    assert "dapat masuk lagi" in _users_call(bkpp, "us-enable", "lupasandi", "kembali")[1]
    assert rt_authenticates(rt, "lupasandi", temporary)

    with rt.connection() as conn:
        audited = len(audit.entries(conn, action="user."))
    for username, reason, refusal in (("bkpp", "x", "halaman Ganti kata sandi"), ("tidakada", "x", "Tidak ada pengguna"),
                                      ("", "x", "wajib diisi"), ("lupasandi", " ", "Alasan wajib diisi")):
        action = "us-disable" if reason.strip() == "" else "us-password"
        status, text = _users_call(bkpp, action, username, reason)
        assert status == 200 and '"refusal"' in text and refusal in text, (username, text[:300])
    assert rt_authenticates(rt, "bkpp", PASSWORD)
    with rt.connection() as conn:   # a refusal changes nothing, so nothing is audited
        assert len(audit.entries(conn, action="user.")) == audited


def _first_login_opens_only_the_password_page(app, rt, temporary: str) -> None:
    c = DashClient(app)
    res = c.login("lupasandi", temporary, next_path="/overview")
    assert res.status_code == 302 and res.headers["Location"].endswith("/password")
    assert "kata sandi sementara" in c.http.get("/password").get_data(as_text=True)
    for path in ("/overview", "/admin/leave", "/"):   # every page leads back to the form
        res = c.http.get(path)
        assert res.status_code == 302 and res.headers["Location"].endswith("/password"), path
    assert c.page("/overview")[0] == 403   # and Dash's callbacks answer nothing
    assert c.http.get("/download/units.csv").status_code == 302
    mine = "sandi-pilihan-sendiri-42"
    done = c.http.post("/password", data={"csrf_token": c.csrf(), "current": temporary, "new": mine, "again": mine})
    assert done.status_code == 200 and "password-done" in done.get_data(as_text=True)
    assert c.http.get("/overview").status_code == 200 and c.page("/overview")[0] == 200
    with rt.connection() as conn:
        assert users.user_by_username(conn, "lupasandi")["must_change_password"] is False
    with rt.transaction() as conn:   # back to the temporary one for the rest of the test
        users.set_password(conn, users.user_by_username(conn, "lupasandi")["id"], hash_password(temporary), True)


def rt_authenticates(rt, username: str, password: str) -> bool:
    from dashboard import auth

    return auth.authenticate(rt, username, password) is not None


EVENT_STATE = [("ev-id", "value", None), ("ev-name", "value", "Apel Senin"), ("ev-kind", "value", "apel"),
               ("ev-date", "value", None), ("ev-opens", "value", "07:00"), ("ev-closes", "value", "08:00"),
               ("ev-office", "value", "DINKES-1"), ("ev-lat", "value", None), ("ev-lon", "value", None),
               ("ev-radius", "value", None), ("ev-units", "value", ["DINKES"]), ("ev-nips", "value", ""),
               ("ev-compulsory", "value", ["yes"]), ("ev-deduction", "value", None), ("ev-reason", "value", "")]
EVENT_OUT = [("ev-result", "children"), ("ev-list", "children"), ("ev-id", "options")]


def _event_state(**values):
    return [(i, p, values.get(i.removeprefix("ev-"), v)) for i, p, v in EVENT_STATE]


def test_events_are_created_shown_and_downloaded_by_bkpp_only(app, city):
    rt, data = city
    state = _event_state(date=data["today"].isoformat())
    for username in ("kadamkar", "kadinkes"):
        status, _ = call(client(app, username), EVENT_OUT, [("ev-save", "n_clicks", 1), ("ev-cancel", "n_clicks", None)],
                         state)
        assert status == 204
    c = client(app, "bkpp")
    status, text = call(c, EVENT_OUT, [("ev-save", "n_clicks", 1), ("ev-cancel", "n_clicks", None)],
                        _event_state(date=data["today"].isoformat(), closes="06:00", office=None))
    assert "window" in text and "place" in text        # the refusal names the fields
    status, text = call(c, EVENT_OUT, [("ev-save", "n_clicks", 1), ("ev-cancel", "n_clicks", None)], state)
    assert status == 200 and "dibuat" in text and "Apel Senin" in text
    event_id = int(text.split("Acara ")[1].split(" dibuat")[0])
    _, detail = c.page("/admin/events", f"?event={event_id}")
    assert all(p["name"] in detail for p in data["people"]["DINKES"])      # all missing so far
    res = c.http.get(f"/admin/events/{event_id}.csv?format=csv")
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True)[1:])))
    assert res.status_code == 200 and {r["status"] for r in rows} == {"tidak hadir"}
    assert {r["nip"] for r in rows} >= {p["nip"] for p in data["people"]["DINKES"]}
    other = client(app, "kadamkar")
    assert other.http.get(f"/admin/events/{event_id}.csv").status_code == 401
    _, text = other.page("/admin/events", f"?event={event_id}")
    assert data["people"]["DINKES"][0]["name"] not in text
    for inputs in ([("ev-tick", "n_intervals", 1)], [("qr-tick", "n_intervals", 1)]):
        out = [("ev-live", "children")] if inputs[0][0] == "ev-tick" else [("qr-block", "children")]
        st = [("ev-shown", "data", event_id)] if inputs[0][0] == "ev-tick" else [("qr-event", "data", event_id)]
        assert call(other, out, inputs, st)[0] == 204
        status, text = call(c, out, inputs, st)
        assert status == 200 and (data["people"]["DINKES"][0]["name"] in text or "data-token" in text)
    fill = _admin_calls(data)["ev-id"][0]
    status, text = call(c, fill, [("ev-id", "value", event_id)])
    filled = json.loads(text)
    assert filled["ev-name"]["value"] == "Apel Senin" and filled["ev-units"]["value"] == ["DINKES"]
    assert filled["ev-opens"]["value"] == "07:00" and filled["ev-deduction"]["value"] == 0.5
    status, text = call(c, EVENT_OUT, [("ev-cancel", "n_clicks", 1), ("ev-save", "n_clicks", None)],
                        _event_state(id=event_id, reason="hujan"))
    assert f"Acara {event_id} dibatalkan" in text


def test_manual_entries_by_a_unit_admin_stay_in_the_unit(app, city):
    rt, data = city
    yesterday = (data["today"] - dt.timedelta(days=1)).isoformat()

    def form(nip, day=yesterday, note="mesin mati"):
        return [("mn-nip", "value", nip), ("mn-date", "value", day), ("mn-time", "value", "07:25"),
                ("mn-session", "value", "in"), ("mn-reason", "value", "terminal_failure"),
                ("mn-note", "value", note), ("mn-document", "contents", None), ("mn-document", "filename", None)]
    out = [("mn-result", "children"), ("mn-list", "children")]
    inputs = [("mn-save", "n_clicks", 1)]
    dinkes, damkar = data["people"]["DINKES"][1], data["people"]["DAMKAR"][1]
    assert call(client(app, "kadamkar"), out, inputs, form(damkar["nip"]))[0] == 204
    c = client(app, "admindinkes")
    status, text = call(c, out, inputs, form(damkar["nip"]))
    assert "out_of_scope" in text and damkar["name"] not in text
    status, text = call(c, out, inputs, form(dinkes["nip"], (data["today"] - dt.timedelta(days=10)).isoformat()))
    assert "backdated" in text and "paling lama 3 hari" in text
    status, text = call(c, out, inputs, form(dinkes["nip"], note=""))
    assert "note_required" in text
    status, text = call(c, out, inputs, form(dinkes["nip"], day="31/12/2026"))
    assert "tanggal/jam" in text
    status, text = call(c, out, inputs, form(dinkes["nip"]))
    assert status == 200 and "Presensi manual tersimpan" in text and dinkes["nip"] in text


def test_audit_viewer_filters_and_pages_for_bkpp_only(app, city):
    out = [("au-list", "children"), ("au-page-label", "children"), ("au-prev", "disabled"),
           ("au-next", "disabled"), ("au-page", "data")]
    inputs = [("au-actor", "value", ""), ("au-action", "value", "leave."), ("au-target", "value", ""),
              ("au-dates", "start_date", None), ("au-dates", "end_date", None),
              ("au-prev", "n_clicks", None), ("au-next", "n_clicks", None)]
    assert call(client(app, "kadinkes"), out, inputs, [("au-page", "data", 0)])[0] == 204
    status, text = call(client(app, "bkpp"), out, inputs, [("au-page", "data", 0)])
    assert status == 200 and "leave.decide" in text and "device.reset" not in text
    inputs[1] = ("au-action", "value", "")
    inputs[0] = ("au-actor", "value", "nobody-at-all")
    status, text = call(client(app, "bkpp"), out, inputs, [("au-page", "data", 0)])
    assert "au-empty" in text


def _admin_calls(data) -> dict:
    """Each administration callback with inputs aimed at DINKES (its leave, people, event)."""
    dinkes = data["people"]["DINKES"][0]
    day = str(data["today"] - dt.timedelta(days=1))
    return {
        "lv-approve": (LEAVE[0], LEAVE[1], [("lv-choice", "value", data["leave"]["id"]), ("lv-comment", "value", "x")]),
        "dv-search": ([("dv-list", "children")], [("dv-search", "value", dinkes["nip"])], []),
        "dv-reset": ([("dv-result", "children"), ("dv-list", "children")],
                     [("dv-reset", "n_clicks", 1), ("dv-code", "n_clicks", None)],
                     [("dv-nip", "value", dinkes["nip"]), ("dv-reason", "value", "x"), ("dv-search", "value", "")]),
        "ev-save": (EVENT_OUT, [("ev-save", "n_clicks", 1), ("ev-cancel", "n_clicks", None)],
                    _event_state(date=day)),
        "ev-id": ([("ev-name", "value"), ("ev-kind", "value"), ("ev-date", "value"), ("ev-opens", "value"),
                   ("ev-closes", "value"), ("ev-office", "value"), ("ev-units", "value"), ("ev-compulsory", "value"),
                   ("ev-deduction", "value"), ("ev-nips", "value"), ("ev-lat", "value"), ("ev-lon", "value"),
                   ("ev-radius", "value")], [("ev-id", "value", 1)], []),
        "ev-tick": ([("ev-live", "children")], [("ev-tick", "n_intervals", 1)], [("ev-shown", "data", 1)]),
        "qr-tick": ([("qr-block", "children")], [("qr-tick", "n_intervals", 1)], [("qr-event", "data", 1)]),
        "mn-save": ([("mn-result", "children"), ("mn-list", "children")], [("mn-save", "n_clicks", 1)],
                    [("mn-nip", "value", dinkes["nip"]), ("mn-date", "value", day), ("mn-time", "value", "07:20"),
                     ("mn-session", "value", "in"), ("mn-reason", "value", "terminal_failure"),
                     ("mn-note", "value", "x"), ("mn-document", "contents", None), ("mn-document", "filename", None)]),
        "mn-document": ([("mn-document-label", "children")], [("mn-document", "filename", "surat.pdf")], []),
        "au-actor": ([("au-list", "children"), ("au-page-label", "children"), ("au-prev", "disabled"),
                      ("au-next", "disabled"), ("au-page", "data")],
                     [("au-actor", "value", ""), ("au-action", "value", ""), ("au-target", "value", dinkes["nip"]),
                      ("au-dates", "start_date", None), ("au-dates", "end_date", None),
                      ("au-prev", "n_clicks", None), ("au-next", "n_clicks", None)], [("au-page", "data", 0)]),
        "tm-sync": ([("tm-result", "children"), ("tm-list", "children")], [("tm-sync", "n_clicks", 1)],
                    [("tm-sn", "value", "DINKES-TERMINAL")]),
        "fc-show": ([("fc-employee", "children"), ("fc-selfie", "options")],
                    [("fc-show", "n_clicks", 1), ("fc-nip", "n_submit", None)], [("fc-nip", "value", dinkes["nip"])]),
        "fc-upload": ([("fc-upload-name", "children")], [("fc-upload", "filename", "wajah.jpg")], []),
        "fc-enrol": ([("fc-result", "children"), ("fc-employee", "children"), ("fc-selfie", "options")],
                     [("fc-enrol", "n_clicks", 1), ("fc-approve", "n_clicks", None)],
                     [("fc-nip", "value", dinkes["nip"]), ("fc-upload", "contents", None),
                      ("fc-upload", "filename", None), ("fc-selfie", "value", None)]),

        "rv-selected": ([("rv-evidence", "children"), ("rv-list", "children"), ("rv-result", "children"),
                         ("rv-decision", "hidden")],
                        [("rv-selected", "data", data["review_item"])], []),
        "rv-sah": ([("rv-result", "children"), ("rv-list", "children"), ("rv-evidence", "children"),
                    ("rv-note", "value")], [("rv-sah", "n_clicks", 1), ("rv-tolak", "n_clicks", None)],
                   [("rv-note", "value", "x"), ("rv-selected", "data", data["review_item"])]),
        "rv-month": ([("rv-download", "href")], [("rv-month", "value", day[:7])], []),
        "us-password": (USERS_OUT, [("us-password", "n_clicks", 1), ("us-disable", "n_clicks", None),
                                    ("us-enable", "n_clicks", None)],
                        [("us-username", "value", "kadinkes"), ("us-reason", "value", "x")]),
    }


def test_every_admin_callback_as_another_units_head_returns_nothing_of_theirs(app, city):
    rt, data = city
    events_made = events.create_event(
        rt, "bkpp", name="Apel DINKES", kind="apel", event_date=data["today"],
        opens_at=dt.datetime.combine(data["today"], dt.time(7), rt.config.zone),
        closes_at=dt.datetime.combine(data["today"], dt.time(8), rt.config.zone),
        place=events.Place(office_code="DINKES-1"), invited_units=["DINKES"])
    calls = _admin_calls(data)
    for key in ("ev-id", "ev-tick", "qr-tick"):
        outputs, inputs, state = calls[key]
        calls[key] = (outputs, [(i, p, events_made if i == "ev-id" else v) for i, p, v in inputs],
                      [(i, p, events_made) for i, p, _ in state])
    server_side = {cb["inputs"][0]["id"] for cb in app.callback_map.values() if cb.get("callback")}
    assert ADMIN_CALLBACKS <= server_side and set(calls) == ADMIN_CALLBACKS   # a new callback must be added here
    secret = [p["name"] for p in data["people"]["DINKES"]] + [p["nip"] for p in data["people"]["DINKES"]] + \
        ["Apel DINKES", data["leave_person"]["name"]]
    c = client(app, "kadamkar")
    for input_id, (outputs, inputs, state) in calls.items():
        status, text = call(c, outputs, inputs, state)
        assert status in (200, 204) and not any(s in text for s in secret), (input_id, text[:300])
    with rt.connection() as conn:
        assert audit.entries(conn, actor="kadamkar") == []   # nothing was changed on their behalf
