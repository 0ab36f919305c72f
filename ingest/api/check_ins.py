"""POST /api/v1/check-ins (JSON, or multipart with a selfie) and the lateness reason.

The handler reads the request off the wire and hands it to the group-commit writer;
the writer runs `check_in_batch.record_batch`, which never calls back into this module.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.datastructures import UploadFile

from ingest import selfies
from queries import mobile as q

from . import auth
from .check_in_batch import Job, event_key
from .errors import ApiError, documented, field_error
from .schemas import Reason, ReasonBody, Verdict

router = APIRouter(tags=["check-ins"])

_JSON_SCHEMA = {"$ref": "#/components/schemas/CheckInBody"}
REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _JSON_SCHEMA},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["data"], "additionalProperties": False,
        "properties": {
            "data": {**_JSON_SCHEMA, "description": "the CheckInBody, as a JSON part"},
            "selfie": {"type": "string", "format": "binary", "description": "a JPEG (read by its content), at most 500 KB"}}},
        "encoding": {"data": {"contentType": "application/json"}, "selfie": {"contentType": "image/jpeg"}}},
}}}
ERRORS = documented(400, 401, 413, 415, 422, 429, 503)
# The bearer token is read in the handler (below), so the document names it here.
BEARER = {"security": [{auth.bearer.scheme_name: []}]}


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


@router.post("/check-ins", response_model=Verdict, status_code=201, openapi_extra={**REQUEST_BODY, **BEARER},
             responses={200: {"model": Verdict, "description": "a retry: the original verdict, nothing written"},
                        **ERRORS})
async def check_in(request: Request) -> Verdict:
    """Store and judge one check-in. 201 with the verdict (accepted, flagged or refused, with
    reason codes); the same `event_id` again returns the original verdict with 200."""
    # The same HTTPBearer, called here rather than as a Depends: FastAPI's dependency solving
    # per request cost about as much CPU as this whole handler under the 07:00 rush.
    credentials = await auth.bearer(request)
    data, selfie, problems = await _read(request)
    verdict = await request.app.state.check_in_writer.submit(
        Job(auth.client_ip(request), credentials, data, selfie, problems))
    # serialised once here: returning the model would have FastAPI validate it again first
    return Response(verdict.model_dump_json(), status_code=200 if verdict.duplicate else 201,
                    media_type="application/json")


@router.post("/check-ins/{event_id}/reason", response_model=Reason, status_code=201,
             dependencies=[Depends(auth.json_body)], responses={
                 200: {"model": Reason, "description": "the same reason again: nothing changed"},
                 **documented(400, 401, 404, 409, 413, 415, 422, 429, 503)})
def late_reason(event_id: uuid.UUID, body: ReasonBody, request: Request, response: Response,
                credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> Reason:
    """The employee's reason for a late check-in or an early check-out, shown to the head of unit. The first
    reason stands; sending the same reason again is harmless."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    with state.rt.transaction() as conn:
        found = q.check_in_for_note(conn, event_key(device.employee_id, event_id))
        if found is None:
            raise ApiError(404, "check_in_not_found", "Presensi dengan event_id ini tidak ditemukan",
                           "No check-in with this event_id")
        if not found["minutes_late"] and not found["minutes_early"]:   # late in, or leaving early (PSW)
            raise ApiError(409, "not_late", "Presensi ini tidak terlambat atau pulang cepat; alasan tidak diperlukan",
                           "This check-in was neither late nor early; no reason is needed")
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


class Shortcut:
    """POST /api/v1/check-ins straight to `check_in`, past FastAPI's router, its exception
    middleware and its endpoint wrapper (pure ASGI, installed inside the body limit). The
    07:00 rush is this one route, and that machinery cost several per cent of a worker's CPU
    per check-in. Refusals get the app's own exception handlers; anything else goes on to the
    server-error handler, as before. The route stays registered for the OpenAPI document
    and every other method or path."""

    def __init__(self, app, path: str):
        self.app, self.path = app, path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path or scope.get("root_path"):
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        try:
            response = await check_in(request)
        except Exception as exc:
            handler = _handler(request.app.exception_handlers, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)


def _handler(handlers: dict, exc: Exception):
    """The app's handler for `exc` by its class, short of the catch-all (the 500's own path)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
