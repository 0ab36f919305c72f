"""The server's face check: enrol a reference face per employee, and match every selfie with
it in the worker, off the check-in's path.

Each check-in with a selfie is queued (`face_matches`) in the check-in's own transaction
(queries/attendance.py). `drain` claims waiting rows with FOR UPDATE SKIP LOCKED, matches
them, and in the same transaction stores the outcome, flags a mismatch for review or refuses
it (`rules.face.server_mismatch`), and queues the employee's work day for the worker's drain
to derive again. A crash before commit leaves the rows waiting for the next pass.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from foundation import clock

from queries import audit
from queries import employees as qe
from queries import faces as q
from queries import review as qr
from queries import work_days as qw

from . import faces, selfies
from .rules import face as rules
from .rules.face import PhotoLimits, PhotoProblem

log = logging.getLogger("pantau.faces")
BATCH = 16          # selfies per claim: one transaction holds their row locks while matching
SYSTEM = "system:face"
MISMATCH_KIND = "face_server_mismatch"
NO_FACE_KIND = "face_server_no_face"
REQUEUE_DAYS = dt.timedelta(days=7)   # a new enrolment matches the selfies of this many past days that had none


class FaceError(Exception):
    """A refusal with a stable code and a message in Indonesian and English."""

    def __init__(self, code: str, message_id: str, message_en: str):
        super().__init__(f"{message_id} / {message_en}")
        self.code, self.message_id, self.message_en = code, message_id, message_en


def limits(config) -> PhotoLimits:
    face = config.rules.face
    return PhotoLimits(min_face_px=face.min_face_px, min_brightness=face.min_brightness)


def _employee(conn, nip: str) -> dict:
    employee = qe.by_nip(conn, nip.strip())
    if employee is None:
        raise FaceError("unknown_employee", f"NIP {nip} tidak terdaftar", f"NIP {nip} is not registered")
    return employee


def _describe(rt, data: bytes):
    try:
        return faces.describe(data, limits(rt.config))
    except PhotoProblem as exc:
        raise FaceError(exc.code, exc.message_id, exc.message_en) from None


def _store(rt, employee: dict, descriptor, data: bytes, actor: str, source: str,
           check_in_id: int | None = None) -> dict:
    sha = selfies.store(rt.settings.selfie_dir, data)   # by content, served like a selfie
    with rt.transaction() as conn:
        before = q.current_enrolments(conn, [employee["id"]]).get(employee["id"])
        made = q.add_enrolment(conn, employee["id"], descriptor.tolist(), faces.model_version(), source, sha,
                               actor, check_in_id)
        # the last days' selfies that waited for a reference face are matched now
        requeued = q.requeue_unenrolled(conn, employee["id"], clock.today(rt.config.zone) - REQUEUE_DAYS)
        audit.record(conn, actor, "face.enrol", employee["nip"],
                     "dari swafoto presensi" if source == "selfie" else "dari berkas foto",
                     before=None if before is None else {"enrolment_id": before["id"], "photo_sha256": before["photo_sha256"]},
                     after={"enrolment_id": made["id"], "source": source, "check_in_id": check_in_id,
                            "photo_sha256": sha, "model": faces.model_version()})
    return {"enrolment_id": made["id"], "nip": employee["nip"], "name": employee["name"], "replaced": before is not None,
            "photo_sha256": sha, "requeued": requeued}


def enrol_photo(rt, nip: str, data: bytes, actor: str) -> dict:
    """Enrol (or replace, keeping the old) the employee's reference face from a photo file."""
    with rt.connection() as conn:
        employee = _employee(conn, nip)
    return _store(rt, employee, _describe(rt, data), data, actor, "photo")


def enrol_selfie(rt, nip: str, check_in_id: int, actor: str) -> dict:
    """Enrol the selfie of one of the employee's own accepted check-ins as the reference face."""
    with rt.connection() as conn:
        employee = _employee(conn, nip)
        check_in = q.check_in_selfie(conn, check_in_id)
    if check_in is None or check_in["employee_id"] != employee["id"] or not check_in["selfie_sha256"]:
        raise FaceError("not_own_selfie", f"Presensi {check_in_id} bukan swafoto milik {nip}",
                        f"Check-in {check_in_id} is not a selfie of {nip}")
    if check_in["verdict"] != "accepted":
        raise FaceError("not_accepted", f"Presensi {check_in_id} tidak diterima; pilih swafoto dari presensi yang diterima",
                        f"Check-in {check_in_id} was not accepted; choose a selfie of an accepted check-in")
    data = _selfie_bytes(rt, check_in["selfie_sha256"])
    if data is None:
        raise FaceError("selfie_missing", "Berkas swafoto tidak ditemukan di server", "The selfie file is missing on the server")
    return _store(rt, employee, _describe(rt, data), data, actor, "selfie", check_in_id)


def _selfie_bytes(rt, sha256: str) -> bytes | None:
    try:
        return selfies.path_for(rt.settings.selfie_dir, sha256).read_bytes()
    except OSError:
        return None


@dataclass(frozen=True)
class Check:
    distance: float
    result: str
    threshold: float
    enrolment_id: int
    model: str


def check(rt, nip: str, data: bytes) -> Check:
    """The distance of a photo's face to the employee's enrolled face, and the verdict."""
    with rt.connection() as conn:
        employee = _employee(conn, nip)
        enrolled = q.current_enrolments(conn, [employee["id"]]).get(employee["id"])
    if enrolled is None:
        raise FaceError("no_enrolment", f"Belum ada wajah acuan untuk {nip}", f"No reference face enrolled for {nip}")
    _same_model(enrolled)
    distance = faces.distance(_describe(rt, data), enrolled["descriptor"])
    threshold = rt.config.rules.face.server_threshold
    return Check(distance, rules.verdict(distance, threshold), threshold, enrolled["id"], faces.model_version())


def _same_model(enrolled: dict) -> None:
    if enrolled["model"] != faces.model_version():
        raise FaceError("enrolment_outdated", "Wajah acuan dibuat dengan model lain; daftarkan ulang",
                        f"The reference face was made with another model ({enrolled['model']}); enrol again")


def drain(rt, *, batch: int = BATCH, budget_s: float | None = None) -> dict[str, int]:
    """Match waiting selfies batch by batch until none wait (or `budget_s` is spent);
    counts per result."""
    counts: dict[str, int] = {}
    started = time.monotonic()
    while budget_s is None or time.monotonic() - started < budget_s:
        done = match_batch(rt, batch)
        if not done:
            break
        for outcome in done:
            counts[outcome["result"]] = counts.get(outcome["result"], 0) + 1
    return counts


def match_batch(rt, batch: int = BATCH) -> list[dict]:
    """Claim up to `batch` waiting selfies, match them and settle them, in one transaction."""
    config, model = rt.config, faces.model_version()
    face_rules = config.rules.face
    with rt.transaction() as conn:
        claimed = q.claim(conn, batch)
        if not claimed:
            return []
        enrolled = q.current_enrolments(conn, sorted({c["employee_id"] for c in claimed}))
        outcomes = [_match(rt, c, enrolled.get(c["employee_id"]), model) for c in claimed]
        q.settle(conn, outcomes)
        flags, refused = [], []
        for claim, outcome in zip(claimed, outcomes):
            evidence = {"distance": outcome.get("distance"), "model": model, "detail": outcome.get("detail"),
                        "threshold": face_rules.server_threshold}
            if outcome["result"] == rules.MISMATCH:
                flags.append({"check_in_id": claim["check_in_id"], "source": "face", "kind": MISMATCH_KIND,
                              "weight": face_rules.server_weight, "evidence": evidence})
                if face_rules.server_mismatch == "refuse":
                    refused.append(claim)
            elif outcome["result"] == rules.NO_FACE:   # a selfie with no usable face: a person looks
                flags.append({"check_in_id": claim["check_in_id"], "source": "face", "kind": NO_FACE_KIND,
                              "weight": face_rules.server_weight, "evidence": evidence})
        qr.add_flags(conn, flags)
        for claim in refused:
            qr.add_decision(conn, claim["check_in_id"], "tolak",
                            f"Wajah tidak cocok dengan wajah acuan (jarak {_comma(outcomes[claimed.index(claim)]['distance'])})",
                            SYSTEM)
        # the flagged days are derived again by the worker's drain (work_days.drain)
        qw.queue_pairs(conn, {(c["employee_id"], c["work_date"]) for c in claimed
                              if c["session"] is not None and any(f["check_in_id"] == c["check_in_id"] for f in flags)})
    return outcomes


def _comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _match(rt, claim: dict, enrolled: dict | None, model: str) -> dict:
    out = {"check_in_id": claim["check_in_id"], "model": model}
    if enrolled is None:
        return {**out, "result": rules.NO_ENROLMENT}
    if enrolled["model"] != model:
        return {**out, "result": rules.ERROR, "detail": f"enrolment {enrolled['id']} made with {enrolled['model']}"}
    data = _selfie_bytes(rt, claim["selfie_sha256"])
    if data is None:
        return {**out, "result": rules.ERROR, "detail": "selfie file missing"}
    try:
        descriptor = faces.describe(data, limits(rt.config))
    except PhotoProblem as exc:
        return {**out, "result": rules.NO_FACE, "detail": exc.code, "enrolment_id": enrolled["id"]}
    except Exception as exc:   # one bad selfie must not hold up the queue
        log.exception("face match of check-in %s failed", claim["check_in_id"])
        return {**out, "result": rules.ERROR, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    distance = faces.distance(descriptor, enrolled["descriptor"])
    return {**out, "result": rules.verdict(distance, rt.config.rules.face.server_threshold), "distance": distance,
            "enrolment_id": enrolled["id"]}


def enrolment_view(rt, nip: str) -> dict:
    """For the admin page: the employee, their standing reference face (with how many older
    ones are kept) and their own accepted selfies to approve one from."""
    with rt.connection() as conn:
        employee = _employee(conn, nip)
        current = q.current_enrolments(conn, [employee["id"]]).get(employee["id"])
        candidates = q.selfie_check_ins(conn, employee["id"])
    return {"employee": employee, "current": current, "candidates": candidates}
