"""Leave requested from the phone (documents, overlaps, balance) and decided by the unit head or BKPP."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ingest import devices, leave_requests
from ingest.recap import employee_recap
from foundation import freshness
from queries import audit, db
from tests.support.admin import PDF, PNG, close_as_tk, leave_form
from tests.support.phones import JPEG, new_phone

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2027, 2, 15, 9, 0, tzinfo=WIB)   # dates apart from other tests
D = dt.date


def _post(client, phone, form, files=()):
    return client.post("/api/v1/leaves", data=form, files=[("attachments", f) for f in files],
                       headers=phone["headers"])


def test_sick_leave_with_a_pdf_is_stored_pending_and_listed(runtime, client):
    phone = new_phone(runtime, client)
    r = _post(client, phone, leave_form("sakit", D(2027, 2, 8), D(2027, 2, 9), "demam"),
              [("surat_dokter.pdf", PDF, "application/pdf"), ("foto.png", PNG, "image/png")])
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "pending" and [a["mime"] for a in r.json()["attachments"]] == \
        ["application/pdf", "image/png"]
    sha = r.json()["attachments"][0]["sha256"]
    stored = runtime.settings.var_dir / "attachments" / sha[:2]
    assert any(p.read_bytes() == PDF for p in stored.iterdir())
    listed = client.get("/api/v1/leaves", headers=phone["headers"]).json()
    assert [x["type"] for x in listed["leaves"]] == ["sakit"] and len(listed["leaves"][0]["attachments"]) == 2
    assert listed["annual_leave"] == {"year": 2027, "entitled": 12, "used": 0, "left": 12}


@pytest.mark.parametrize("files, code", [
    ([], "document_required"),
    ([("surat.pdf", b"MZ\x90\x00 not a document", "application/pdf")], "attachment_type"),
    ([("surat.pdf", JPEG, "application/pdf")], "attachment_mismatch"),
    ([("besar.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024), "application/pdf")], "attachment_too_large"),
])
def test_bad_or_missing_documents_are_refused_naming_the_field(runtime, client, files, code):
    phone = new_phone(runtime, client)
    r = _post(client, phone, leave_form("sakit", D(2027, 2, 8), D(2027, 2, 8)), files)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["fields"][0]["field"] == "attachments" and err["message_id"]
    assert client.get("/api/v1/leaves", headers=phone["headers"]).json()["leaves"] == []


def test_izin_needs_no_document_and_bad_fields_are_named(runtime, client):
    phone = new_phone(runtime, client)
    assert _post(client, phone, leave_form("izin", D(2027, 2, 10), D(2027, 2, 10))).status_code == 201
    r = _post(client, phone, {"type": "izin", "date_from": "10/02/2027", "date_to": "2027-02-10", "reason": "x"})
    assert r.status_code == 422 and {f["field"] for f in r.json()["error"]["fields"]} == {"date_from", "reason"}
    r = _post(client, phone, leave_form("libur_panjang", D(2027, 2, 11), D(2027, 2, 11)))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_leave_type"
    r = client.post("/api/v1/leaves", json=leave_form("izin", D(2027, 2, 11), D(2027, 2, 11)),
                    headers=phone["headers"])
    assert r.status_code == 415
    assert client.post("/api/v1/leaves", data=leave_form("izin", D(2027, 2, 11), D(2027, 2, 11))).status_code == 401


def test_overlap_with_pending_or_approved_leave_is_refused(runtime, client):
    phone = new_phone(runtime, client)
    first = _post(client, phone, leave_form("izin", D(2027, 3, 1), D(2027, 3, 3)))
    assert first.status_code == 201
    r = _post(client, phone, leave_form("izin", D(2027, 3, 3), D(2027, 3, 4)))
    assert r.status_code == 409 and r.json()["error"]["code"] == "leave_overlap"
    assert "masih menunggu" in r.json()["error"]["message_id"] and "pending" in r.json()["error"]["message_en"]
    leave_requests.decide(runtime, first.json()["id"], True, "bkpp:test", "ok")
    r = _post(client, phone, leave_form("izin", D(2027, 2, 26), D(2027, 3, 1)))
    assert r.status_code == 409 and "sudah disetujui" in r.json()["error"]["message_id"]


def test_annual_leave_beyond_the_balance_is_refused(runtime, client):
    phone = new_phone(runtime, client)
    # 2027-04-05 .. 2027-04-16: two Mon-Fri weeks = 10 work days; 12 a year
    assert _post(client, phone, leave_form("cuti_tahunan", D(2027, 4, 5), D(2027, 4, 16))).status_code == 201
    r = _post(client, phone, leave_form("cuti_tahunan", D(2027, 5, 3), D(2027, 5, 5)))   # 3 more
    assert r.status_code == 409 and r.json()["error"]["code"] == "annual_leave_exceeded"
    assert "tinggal 2 hari kerja" in r.json()["error"]["message_id"]
    assert _post(client, phone, leave_form("cuti_tahunan", D(2027, 5, 3), D(2027, 5, 4))).status_code == 201
    assert client.get("/api/v1/leaves", headers=phone["headers"]).json()["annual_leave"]["left"] == 0


def test_approval_turns_tk_into_leave_and_changes_the_recap(runtime, client):
    phone = new_phone(runtime, client)
    emp = phone["employee"]
    day = D(2027, 2, 3)   # a Wednesday
    close_as_tk(runtime, emp["id"], day, day)
    leave = _post(client, phone, leave_form("sakit", day, day), [("dokter.jpg", JPEG, "image/jpeg")]).json()

    def recap_row():
        with runtime.connection() as conn:
            _, found = employee_recap(conn, runtime.config, day, day, unit_codes=[emp["unit_code"]])
            return next(r for r in found if r["nip"] == emp["nip"])
    assert recap_row()["tk"] == 1 and recap_row()["sakit"] == 0
    with pytest.raises(leave_requests.RequestRefused) as refused:
        leave_requests.decide(runtime, leave["id"], True, "kepala:x", "ok", role="kepala_unit", user_unit="DINDIKBUD")
    assert refused.value.code == "out_of_scope"
    generation = int(freshness.generation(runtime))
    after = leave_requests.decide(runtime, leave["id"], True, "kepala:dinkes", "semoga lekas sembuh",
                                  role="kepala_unit", user_unit="DINKES")
    assert after["days"] == {day.isoformat(): "sakit"}
    assert int(freshness.generation(runtime)) == generation + 1   # the dashboard's cache turns over at once
    row = recap_row()
    assert row["tk"] == 0 and row["sakit"] == 1
    with runtime.connection() as conn:
        entry = audit.entries(conn, action="leave.decide", limit=50)
    mine = next(e for e in entry if e["after"]["leave_id"] == leave["id"])
    assert mine["before"]["days"] == {day.isoformat(): "tk"} and mine["actor"] == "kepala:dinkes"
    with pytest.raises(leave_requests.RequestRefused) as again:
        leave_requests.decide(runtime, leave["id"], False, "bkpp:test", "no")
    assert again.value.code == "already_decided"
    assert client.get("/api/v1/leaves", headers=phone["headers"]).json()["leaves"][0]["state"] == "approved"


def test_rejection_leaves_the_tk_day_and_is_audited(runtime, client):
    phone = new_phone(runtime, client)
    day = D(2027, 2, 4)
    close_as_tk(runtime, phone["employee"]["id"], day, day)
    leave = _post(client, phone, leave_form("izin", day, day)).json()
    after = leave_requests.decide(runtime, leave["id"], False, "bkpp:test", "tanpa bukti")
    assert after["state"] == "rejected"
    with runtime.connection() as conn:
        status = db.scalar(conn, "SELECT status FROM work_days WHERE employee_id = :e AND work_date = :d",
                           e=phone["employee"]["id"], d=day)
        decided = db.one(conn, "SELECT state, decision_comment FROM leaves WHERE id = :id", id=leave["id"])
    assert status == "tk" and decided == {"state": "rejected", "decision_comment": "tanpa bukti"}


def test_a_phone_whose_binding_was_reset_gets_401_on_leave_requests(runtime, client):
    phone = new_phone(runtime, client)
    assert client.get("/api/v1/leaves", headers=phone["headers"]).status_code == 200
    devices.reset(runtime, phone["employee"]["nip"], "bkpp:test", "ganti ponsel")
    r = _post(client, phone, leave_form("izin", D(2027, 2, 12), D(2027, 2, 12)))
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked" and "BKPP" in r.json()["error"]["message_id"]
    assert client.get("/api/v1/leaves", headers=phone["headers"]).status_code == 401
