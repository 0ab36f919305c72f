"""The server's face check on real Postgres: enrolment (replaced, the old kept, audited), each
selfie queued with its check-in over the API, the worker's match, a mismatch flagged for review
or refused as config says, no enrolment, and two workers that never match one selfie twice.
Its own database: the queue is this module's alone."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import threading
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ingest import attendance, face_match, selfies
from foundation import clock
from ingest import work_days
from ingest.app import create_app
from ingest.rules.judge import Attempt
from ingest.worker import Worker
from queries import audit, db
from queries import faces as q
from tests.conftest import ROOT
from tests.support.faces import FACES
from tests.support import factories
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 11, 3, 7, 20, tzinfo=WIB)   # a Tuesday, on time


@pytest.fixture(scope="module")
def rt(make_runtime):
    return make_runtime(ROOT / "config.yaml", "faces")


@pytest.fixture(scope="module")
def client(rt):
    app = create_app(rt)
    app.state.now = lambda: NOW
    with TestClient(app) as c:
        yield c


def selfie(name: str, width: int = 800) -> bytes:
    """A photo as a phone sends it: a JPEG under the API's 500 KB, at most `width` wide."""
    image = Image.open(FACES / name).convert("RGB")
    width = min(width, image.width)
    image = image.resize((width, round(image.height * width / image.width)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 640), (90, 120, 150)).save(out, "JPEG")
    return out.getvalue()


def send(rt, client, phone, photo: bytes | None, minutes: int = 0) -> int:
    """A check-in over the API (with a selfie when given); its id."""
    data = json.dumps(body(rt, NOW + dt.timedelta(minutes=minutes)))
    files = {"data": (None, data)}
    if photo is not None:
        files["selfie"] = ("s.jpg", photo, "image/jpeg")
    r = client.post("/api/v1/check-ins", files=files, headers=phone["headers"])
    assert r.status_code == 201, r.text
    with rt.connection() as conn:
        return db.scalar(conn, "SELECT id FROM check_ins WHERE employee_id = :e ORDER BY id DESC LIMIT 1",
                         e=phone["employee"]["id"])


def flags_of(rt, check_in_id: int) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, "SELECT source, kind, weight, evidence FROM check_in_flags WHERE check_in_id = :c",
                       c=check_in_id)


def decisions_of(rt, check_in_id: int) -> list[dict]:
    with rt.connection() as conn:
        return db.rows(conn, "SELECT decision, decided_by, note FROM review_decisions WHERE check_in_id = :c",
                       c=check_in_id)


def refusing(rt):
    """The same servers under `rules.face.server_mismatch: refuse`."""
    face = rt.config.rules.face.model_copy(update={"server_mismatch": "refuse"})
    rules = rt.config.rules.model_copy(update={"face": face})
    return dataclasses.replace(rt, config=rt.config.model_copy(update={"rules": rules}))


def test_enrol_from_a_photo_then_replace_it_keeping_the_old_one_audited(rt):
    person = factories.employee(rt, "DINKES", name="Budi Santoso")
    first = face_match.enrol_photo(rt, person["nip"], selfie("obama_obama.jpg"), "bkpp_admin")
    second = face_match.enrol_photo(rt, person["nip"], selfie("obama1.jpg"), "bkpp_lain")
    assert (first["replaced"], second["replaced"]) == (False, True)
    with rt.connection() as conn:
        history = q.enrolment_history(conn, person["id"])
        current = q.current_enrolments(conn, [person["id"]])[person["id"]]
        logged = audit.entries(conn, action="face.enrol", target=person["nip"])
    assert [h["id"] for h in history] == [second["enrolment_id"], first["enrolment_id"]]
    assert current["id"] == second["enrolment_id"] and current["replaced"] == 1
    assert len(current["descriptor"]) == 128 and current["source"] == "photo"
    assert [(e["actor"], e["after"]["enrolment_id"]) for e in logged] == [
        ("bkpp_lain", second["enrolment_id"]), ("bkpp_admin", first["enrolment_id"])]
    assert logged[0]["before"] == {"enrolment_id": first["enrolment_id"], "photo_sha256": first["photo_sha256"]}
    assert selfies.path_for(rt.settings.selfie_dir, second["photo_sha256"]).exists()


def test_enrol_refuses_two_faces_no_face_and_an_unknown_nip_and_stores_nothing(rt):
    person = factories.employee(rt, "DINKES")
    for photo, code in ((selfie("two_people.jpg", 900), "many_faces"), (blank(), "no_face"),
                        (b"not an image", "unreadable")):
        with pytest.raises(face_match.FaceError) as caught:
            face_match.enrol_photo(rt, person["nip"], photo, "bkpp_admin")
        assert caught.value.code == code and caught.value.message_id and caught.value.message_en
    with pytest.raises(face_match.FaceError) as caught:
        face_match.enrol_photo(rt, "199901012020011999", selfie("obama1.jpg"), "bkpp_admin")
    assert caught.value.code == "unknown_employee" and "199901012020011999" in caught.value.message_id
    with rt.connection() as conn:
        assert q.enrolment_history(conn, person["id"]) == []


def test_a_selfie_is_queued_with_its_check_in_and_the_worker_matches_it(rt, client):
    phone = new_phone(rt, client)
    face_match.enrol_photo(rt, phone["employee"]["nip"], selfie("biden_biden.jpg"), "bkpp_admin")
    with_selfie = send(rt, client, phone, selfie("biden_biden2.jpg"))
    without = send(rt, client, phone, None, minutes=1)
    with rt.connection() as conn:
        waiting = q.match_of(conn, with_selfie)
        assert q.match_of(conn, without) is None          # no selfie, nothing to match
    assert waiting["result"] is None and waiting["matched_at"] is None    # never matched in the request
    Worker(rt, first_day=NOW.date(), live_every_s=10**6).tick(NOW + dt.timedelta(minutes=2))
    with rt.connection() as conn:
        done = q.match_of(conn, with_selfie)
    assert done["result"] == "match" and 0 < done["distance"] < 0.6
    assert done["model"].startswith("dlib ") and done["matched_at"] is not None
    assert flags_of(rt, with_selfie) == [] and decisions_of(rt, with_selfie) == []


def test_a_mismatch_is_flagged_for_review_and_its_work_day_queued_again(rt, client):
    phone = new_phone(rt, client)
    face_match.enrol_photo(rt, phone["employee"]["nip"], selfie("rose_leslie_img1.jpg"), "bkpp_admin")
    check_in = send(rt, client, phone, selfie("kit_harington_john1.jpeg"))
    outcomes = face_match.drain(rt)
    assert outcomes.get("mismatch", 0) >= 1
    [flag] = flags_of(rt, check_in)
    assert (flag["source"], flag["kind"], flag["weight"]) == ("face", "face_server_mismatch", 60)
    assert flag["evidence"]["distance"] > 0.6 and flag["evidence"]["model"].startswith("dlib ")
    assert decisions_of(rt, check_in) == []                # review: BKPP decides
    with rt.connection() as conn:
        queued = db.rows(conn, "SELECT work_date FROM work_day_queue WHERE employee_id = :e", e=phone["employee"]["id"])
    assert [r["work_date"] for r in queued] == [NOW.date()]
    work_days.drain(rt)
    with rt.connection() as conn:
        assert db.scalar(conn, "SELECT count(*) FROM work_day_queue WHERE employee_id = :e",
                         e=phone["employee"]["id"]) == 0


def test_a_mismatch_is_refused_when_config_says_refuse(rt, client):
    phone = new_phone(rt, client)
    face_match.enrol_photo(rt, phone["employee"]["nip"], selfie("alex_lacamoire1.jpg"), "bkpp_admin")
    check_in = send(rt, client, phone, selfie("obama_obama2.jpg"))
    face_match.drain(refusing(rt))
    assert [f["kind"] for f in flags_of(rt, check_in)] == ["face_server_mismatch"]
    [decision] = decisions_of(rt, check_in)
    assert (decision["decision"], decision["decided_by"]) == ("tolak", "system:face")
    assert decision["note"].startswith("Wajah tidak cocok") and "jarak 0," in decision["note"]


def test_no_enrolment_and_a_selfie_without_a_face_are_settled_with_their_reason(rt, client):
    unenrolled, enrolled = new_phone(rt, client), new_phone(rt, client)
    face_match.enrol_photo(rt, enrolled["employee"]["nip"], selfie("obama_obama.jpg"), "bkpp_admin")
    nobody = send(rt, client, unenrolled, selfie("obama1.jpg"))
    faceless = send(rt, client, enrolled, blank())
    face_match.drain(rt)
    with rt.connection() as conn:
        first, second = q.match_of(conn, nobody), q.match_of(conn, faceless)
    assert (first["result"], first["distance"]) == ("no_enrolment", None) and flags_of(rt, nobody) == []
    assert (second["result"], second["detail"]) == ("no_face", "no_face")
    assert [f["kind"] for f in flags_of(rt, faceless)] == ["face_server_no_face"]


def test_approve_an_own_accepted_selfie_as_the_reference_but_not_anothers(rt, client):
    phone, other = new_phone(rt, client), new_phone(rt, client)
    own = send(rt, client, phone, selfie("rose_leslie_img2.jpg"))
    theirs = send(rt, client, other, selfie("obama1.jpg"))
    with pytest.raises(face_match.FaceError) as caught:
        face_match.enrol_selfie(rt, phone["employee"]["nip"], theirs, "bkpp_admin")
    assert caught.value.code == "not_own_selfie"
    done = face_match.enrol_selfie(rt, phone["employee"]["nip"], own, "bkpp_admin")
    with rt.connection() as conn:
        current = q.current_enrolments(conn, [phone["employee"]["id"]])[phone["employee"]["id"]]
    assert (current["source"], current["check_in_id"], current["id"]) == ("selfie", own, done["enrolment_id"])
    assert face_match.check(rt, phone["employee"]["nip"], selfie("rose_leslie_img1.jpg")).result == "match"
    assert face_match.check(rt, phone["employee"]["nip"], selfie("biden_biden.jpg")).result == "mismatch"


def _queue(rt, employee: dict, count: int) -> list[int]:
    """`count` check-ins with a selfie, stored through the one write path."""
    sha = selfies.store(rt.settings.selfie_dir, selfie("kit_harington_john2.jpeg"))
    office = rt.config.office_by_code["DINKES-1"]
    ids = []
    for n in range(count):
        when = NOW + dt.timedelta(seconds=n)
        attempt = Attempt(source="mobile", captured_at=when, received_at=when, lat=office.lat, lon=office.lon,
                          accuracy_m=6.0, session="in")
        ids.append(attendance.record(rt, employee["id"], attempt, f"faces-queue:{employee['id']}:{n}", payload={},
                                     selfie_sha256=sha).check_in_id)
    return ids


def test_two_workers_claim_disjoint_rows_and_match_each_selfie_once(rt):
    person = factories.employee(rt, "DINKES")
    face_match.enrol_photo(rt, person["nip"], selfie("kit_harington_john1.jpeg"), "bkpp_admin")
    face_match.drain(rt)                                     # what earlier tests left
    ids = _queue(rt, person, 14)
    # one claim holds its rows: a second one at the same time skips them
    with rt.transaction() as one, rt.transaction() as two:
        first, second = q.claim(one, 5), q.claim(two, 5)
        assert {c["check_in_id"] for c in first}.isdisjoint({c["check_in_id"] for c in second})
        assert {c["check_in_id"] for c in first} | {c["check_in_id"] for c in second} == set(ids[:10])
        one.rollback()
        two.rollback()
    seen: list[list[dict]] = [[], []]

    def worker(n: int) -> None:
        while done := face_match.match_batch(rt, 3):
            seen[n].extend(done)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    matched = [o["check_in_id"] for o in seen[0] + seen[1]]
    assert sorted(matched) == sorted(ids)                    # each once, none lost
    assert {o["result"] for o in seen[0] + seen[1]} == {"match"}
    with rt.connection() as conn:
        assert q.waiting(conn) == 0


def test_enrolling_matches_the_selfies_that_waited_for_a_reference_face(rt):
    person = factories.employee(rt, "DINKES")
    sha = selfies.store(rt.settings.selfie_dir, selfie("alex_lacamoire_img1.jpg"))
    office = rt.config.office_by_code["DINKES-1"]
    when = clock.now()    # recent: a new enrolment looks back REQUEUE_DAYS, whatever the verdict was
    attempt = Attempt(source="mobile", captured_at=when, received_at=when, lat=office.lat, lon=office.lon,
                      accuracy_m=6.0, session="in")
    check_in = attendance.record(rt, person["id"], attempt, f"faces-late:{person['id']}", payload={},
                                 selfie_sha256=sha).check_in_id
    face_match.drain(rt)
    with rt.connection() as conn:
        assert q.match_of(conn, check_in)["result"] == "no_enrolment"
    done = face_match.enrol_photo(rt, person["nip"], selfie("alex_lacamoire1.jpg"), "bkpp_admin")
    assert done["requeued"] == 1
    face_match.drain(rt)
    with rt.connection() as conn:
        matched = q.match_of(conn, check_in)
    assert matched["result"] == "match" and matched["enrolment_id"] == done["enrolment_id"]
