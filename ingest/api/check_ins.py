"""POST /api/v1/check-ins (JSON, or multipart with a selfie) and the lateness reason."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ingest import attendance, selfies
from ingest.rules.judge import Attempt
from queries import mobile as q

from . import auth
from .errors import ApiError, field_error, from_pydantic, validation_error
from .schemas import CheckInBody, ErrorEnvelope, Reason, ReasonBody, Verdict

router = APIRouter(tags=["check-ins"])

_JSON_SCHEMA = {"$ref": "#/components/schemas/CheckInBody"}
REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _JSON_SCHEMA},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["data"],
        "properties": {
            "data": {"type": "string", "description": "the CheckInBody as JSON text"},
            "selfie": {"type": "string", "format": "binary", "description": "JPEG, at most 500 KB"}}},
        "encoding": {"selfie": {"contentType": "image/jpeg"}}},
}}}
ERRORS = {s: {"model": ErrorEnvelope} for s in (400, 401, 413, 415, 422, 429, 503)}


def event_key(employee_id: int, event_id: uuid.UUID) -> str:
    # Namespaced per employee: one employee's UUID can never collide with another's.
    return f"mobile:{employee_id}:{event_id}"


async def _read(request: Request) -> tuple[bytes | str | None, bytes | None, list[dict]]:
    """The JSON text, the selfie bytes and any problems with the multipart framing."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("", "application/json"):
        return await request.body(), None, []
    if ctype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Kirim application/json atau multipart/form-data",
                       "Send application/json or multipart/form-data")
    form = await request.form(max_files=2, max_fields=4, max_part_size=64 * 1024)
    problems = [field_error(name, "unknown_part", "bagian yang tidak dikenal", "is not a known part")
                for name in form if name not in ("data", "selfie")]
    data, selfie = form.get("data"), form.get("selfie")
    if data is None:
        problems.append(field_error("data", "missing", "wajib diisi (JSON presensi)", "is required (the check-in JSON)"))
    elif not isinstance(data, str):
        problems.append(field_error("data", "string_type", "harus teks JSON, bukan berkas", "must be JSON text, not a file"))
        data = None
    raw = None
    if isinstance(selfie, UploadFile):
        raw = await selfie.read(selfies.MAX_BYTES + 1)
    elif selfie is not None:
        problems.append(field_error("selfie", "file_expected", "harus berkas JPEG", "must be a JPEG file"))
    await form.close()
    return data, raw, problems


@router.post("/check-ins", response_model=Verdict, status_code=201, openapi_extra=REQUEST_BODY,
             responses={200: {"model": Verdict, "description": "a retry: the original verdict, nothing written"},
                        **ERRORS})
async def check_in(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> Verdict:
    """Store and judge one check-in. 201 with the verdict (accepted, flagged or refused, with
    reason codes); the same `event_id` again returns the original verdict with 200."""
    data, selfie, problems = await _read(request)
    verdict = await request.app.state.check_in_writer.submit(
        Job(auth.client_ip(request), credentials, data, selfie, problems))
    # serialised once here: returning the model would have FastAPI validate it again first
    return Response(verdict.model_dump_json(), status_code=200 if verdict.duplicate else 201,
                    media_type="application/json")


@dataclass
class Job:
    """One check-in request as read off the wire, waiting for the writer."""

    ip: str
    credentials: HTTPAuthorizationCredentials | None
    data: bytes | str | None
    selfie: bytes | None
    problems: list[dict]


def record_batch(state, jobs: list[Job]) -> list[Verdict | Exception]:
    """The writer's batch: who is calling, what they sent, then one transaction for all."""
    rt = state.rt
    out: list[Verdict | Exception | None] = [None] * len(jobs)
    entries, bodies = [], []
    for i, (job, device) in enumerate(zip(jobs, auth.phones(state, [(j.ip, j.credentials) for j in jobs]))):
        if isinstance(device, ApiError):
            out[i] = device
            continue
        try:
            body, sha = _parsed(rt, job)
        except ApiError as exc:
            out[i] = exc
            continue
        loc, face = body.location, body.face
        attempt = Attempt(
            source="mobile", captured_at=body.captured_at, received_at=state.now(),
            lat=loc.lat, lon=loc.lon, accuracy_m=loc.accuracy_m, mock=loc.mock, offline=body.offline,
            session=body.session, face_score=face.score if face else None,
            liveness=face.liveness if face else None)
        entries.append(attendance.Entry(device.employee_id, attempt, event_key(device.employee_id, body.event_id),
                                        body.model_dump(mode="json"),
                                        columns={"device_ref": device.device_ref, "selfie_sha256": sha}))
        bodies.append((i, body))
    for (i, body), done in zip(bodies, attendance.record_many(rt, entries) if entries else ()):
        out[i] = done if isinstance(done, Exception) else Verdict(
            event_id=body.event_id, duplicate=done.duplicate, **_verdict_fields(done.verdict))
    return out


def _parsed(rt, job: Job) -> tuple[CheckInBody, str | None]:
    """The validated body and the stored selfie's hash; ApiError (422) naming each bad field."""
    problems = job.problems
    if job.selfie is not None and (bad := selfies.problem(job.selfie)):
        problems = [*problems, field_error("selfie", *bad)]
    try:
        body = CheckInBody.model_validate_json(job.data) if job.data is not None else None
    except ValidationError as exc:
        raise from_pydantic(exc, extra=problems) from None
    if problems:
        raise validation_error([], extra=problems)
    return body, selfies.store(rt.settings.selfie_dir, job.selfie) if job.selfie is not None else None


def _verdict_fields(stored: dict) -> dict:
    return {k: stored.get(k) for k in Verdict.model_fields if k not in ("event_id", "duplicate")} | {
        "messages": stored.get("messages") or [], "reasons": stored.get("reasons") or []}


@router.post("/check-ins/{event_id}/reason", response_model=Reason, status_code=201, responses={
    200: {"model": Reason, "description": "the same reason again: nothing changed"},
    404: {"model": ErrorEnvelope}, 409: {"model": ErrorEnvelope}, **ERRORS})
def late_reason(event_id: uuid.UUID, body: ReasonBody, request: Request, response: Response,
                credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> Reason:
    """The employee's reason for a late check-in, shown to the head of unit. The first
    reason stands; sending the same reason again is harmless."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    with state.rt.transaction() as conn:
        found = q.check_in_for_note(conn, event_key(device.employee_id, event_id))
        if found is None:
            raise ApiError(404, "check_in_not_found", "Presensi dengan event_id ini tidak ditemukan",
                           "No check-in with this event_id")
        if not found["minutes_late"]:
            raise ApiError(409, "not_late", "Presensi ini tidak terlambat; alasan tidak diperlukan",
                           "This check-in was not late; no reason is needed")
        if found["reason"] is None:
            note = q.add_note(conn, found["id"], body.reason)
            if note is not None:
                return Reason(event_id=event_id, **note)
            found = q.check_in_for_note(conn, event_key(device.employee_id, event_id))
    if found["reason"] != body.reason:
        raise ApiError(409, "reason_already_given", "Alasan keterlambatan sudah dikirim sebelumnya",
                       "A reason was already given for this check-in")
    response.status_code = 200
    return Reason(event_id=event_id, reason=found["reason"], submitted_at=found["submitted_at"])
