"""The review page (/review) through the Dash app's callbacks and its Flask routes: who sees
what, the evidence, a decision that changes the work day, the findings file."""
from __future__ import annotations

import csv
import io

import pytest

from queries import audit, db, faces
from tests.conftest import ROOT
from tests.support.dash_client import logged_in as client
from tests.support.days import work_day
from tests.support.review import seed_review


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "review_dash")
    return rt, seed_review(rt)


DECIDE = ([("rv-result", "children"), ("rv-list", "children"), ("rv-evidence", "children"), ("rv-note", "value")],
          [("rv-sah", "n_clicks", 1), ("rv-tolak", "n_clicks", None)])


def decide(c, check_in_id: int, note: str, button: str = "rv-sah"):
    inputs = [(i, p, 1 if i == button else None) for i, p, _ in DECIDE[1]]
    status, out = c.callback(DECIDE[0], inputs, [("rv-note", "value", note), ("rv-selected", "data", check_in_id)],
                             changed=f"{button}.n_clicks", key=c.output_key("rv-sah"))
    return status, str(out)


def test_each_role_sees_its_share_of_the_queue_worst_first(app, city):
    _, data = city
    who = data["who"]
    status, everything = client(app, "inspektur").page("/review")
    assert status == 200 and all(p["name"] in everything for p in who.values())
    # worst first: the pair (50 each), then the face flag (30), then the clock (20)
    order = [everything.index(f'"index": {data["review"][k]}') for k in ("pair_a", "setda", "lone")]
    assert order == sorted(order)
    assert "Belum ada wajah terdaftar" in everything and "Pola yang ditemukan" in everything
    _, dinkes = client(app, "kadinkes").page("/review")
    assert who["lone"]["name"] in dinkes and who["pair_a"]["name"] in dinkes
    assert who["setda"]["name"] not in dinkes
    # the pair's other employee (DAMKAR) is named only as "another unit's" to DINKES's head
    assert who["pair_b"]["name"] not in dinkes and "pegawai unit lain (DAMKAR)" in dinkes
    for username in ("sekda", "admindinkes"):
        _, page = client(app, username).page("/review")
        assert '"nothing"' in page and who["lone"]["name"] not in page, username
    _, nav = client(app, "inspektur").page("/overview")
    assert '"/review"' in nav


def test_the_evidence_map_and_selfie_follow_the_scope(app, city):
    _, data = city
    lone = data["review"]["lone"]
    assert client(app, "kadamkar").http.get(f"/review/map/{lone}").status_code == 404
    assert client(app, "sekda").http.get(f"/review/map/{lone}").status_code == 401
    shown = client(app, "kadinkes").http.get(f"/review/map/{lone}")
    assert shown.status_code == 200 and "geofence" in shown.get_data(as_text=True)
    assert client(app, "inspektur").http.get(f"/selfie/{data['selfie']}").status_code == 200
    assert client(app, "sekda").http.get(f"/selfie/{data['selfie']}").status_code == 404


def test_the_findings_file_per_unit(app, city):
    _, data = city
    month = f"{data['review_day']:%Y-%m}"
    def rows(username):
        res = client(app, username).http.get(f"/review/findings.csv?month={month}&format=csv")
        assert res.status_code == 200, res.status_code
        return list(csv.DictReader(io.StringIO(res.get_data(as_text=True).lstrip("\ufeff"))))
    everyone = rows("inspektur")
    assert {r["nip"] for r in everyone} == {data["who"]["pair_a"]["nip"], data["who"]["pair_b"]["nip"]}
    assert {r["pola"] for r in everyone} == {"arrive_together"}
    assert [r["unit_kode"] for r in rows("kadinkes")] == ["DINKES"]
    assert client(app, "sekda").http.get(f"/review/findings.csv?month={month}").status_code == 401
    assert client(app).http.get(f"/review/findings.csv?month={month}").status_code == 401   # not logged in
    assert client(app, "inspektur").http.get("/review/findings.csv?month=2026-13").status_code == 400


def test_a_decision_needs_a_note_stays_in_scope_and_changes_the_day(app, city):
    rt, data = city
    lone, day = data["review"]["lone"], data["review_day"]
    employee = data["who"]["lone"]
    assert work_day(rt, employee["id"], day)["status"] == "tk"        # pending: not hadir
    status, text = decide(client(app, "kadinkes"), lone, "  ")
    assert status == 200 and "Catatan wajib diisi" in text
    status, text = decide(client(app, "kadamkar"), lone, "bukan unit saya")
    assert "tidak ditemukan" in text and employee["name"] not in text
    assert work_day(rt, employee["id"], day)["status"] == "tk"
    status, text = decide(client(app, "kadinkes"), lone, "Jam ponsel salah, sudah dikonfirmasi")
    assert status == 200 and "Dinyatakan sah" in text and "Hadir" in text
    got = work_day(rt, employee["id"], day)
    assert (got["status"], got["late_band"]) == ("hadir", None)       # 07:12: on time
    with rt.connection() as conn:
        logged = audit.entries(conn, action="review.decide", actor="kadinkes")
    assert len(logged) == 1 and logged[0]["after"]["review"] == "sah"


def test_pantau_users_adds_an_inspektorat_login(city, monkeypatch):
    from pantau import cli
    from queries import users
    from tests.conftest import runtime_env

    rt = city[0]
    for k, v in runtime_env(rt).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-inspektorat-1\n"))
    assert cli.main(["users", "add", "irban2", "--role", "inspektorat", "--password-stdin", "--actor", "bkpp"]) == 0
    with rt.connection() as conn:
        assert users.user_by_username(conn, "irban2")["role"] == "inspektorat"


def test_the_evidence_shows_the_reference_face_and_the_servers_match(app, city):
    rt, data = city
    lone, who = data["review"]["lone"], data["who"]["lone"]
    evidence = [("rv-evidence", "children"), ("rv-list", "children"), ("rv-result", "children"),
                ("rv-decision", "hidden")]

    def shown(username: str) -> str:
        c = client(app, username)
        status, out = c.callback(evidence, [("rv-selected", "data", lone)], [], key=c.output_key("rv-selected"))
        assert status == 200
        return str(out)

    assert "Belum ada wajah terdaftar" in shown("inspektur")
    with rt.transaction() as conn:
        faces.add_enrolment(conn, who["id"], [0.0] * 128, "test-model", "photo", data["selfie"], "bkpp")
        db.run(conn, """INSERT INTO face_matches (check_in_id, employee_id, selfie_sha256, result, distance, model,
                                                  matched_at)
                        VALUES (:c, :e, :s, 'mismatch', 0.71, 'test-model', now())""",
               c=lone, e=who["id"], s=data["selfie"])
    page = shown("inspektur")
    assert "Belum ada wajah terdaftar" not in page and "data:image/jpeg;base64," in page
    assert "tidak cocok: jarak 0,71 (ambang 0,6)" in page


def test_sah_and_tolak_show_only_with_a_check_in_chosen(app, city):
    c = client(app, "inspektur")
    _, page = c.page("/review")
    assert '"id": "rv-decision"' in page and '"hidden": false' in page   # the worst item is chosen
    outputs = [("rv-evidence", "children"), ("rv-list", "children"), ("rv-result", "children"),
               ("rv-decision", "hidden")]
    for chosen, hidden in ((None, True), (city[1]["review"]["lone"], False)):
        status, out = c.callback(outputs, [("rv-selected", "data", chosen)], [], changed="rv-selected.data",
                                 key=c.output_key("rv-selected"))
        assert status == 200 and out["rv-decision"]["hidden"] is hidden, out
