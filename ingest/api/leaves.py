"""POST /api/v1/leaves (multipart: the fields and up to 3 documents) and GET /api/v1/leaves."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ingest import attachments, leave_requests
from queries import attendance as qa
from queries import leave as ql

from . import auth
from .errors import ApiError, documented, field_error, from_pydantic, invalid_field, validation_error
from .schemas import LEAVE_FUTURE_DAYS, LEAVE_PAST_DAYS, LeaveFields, LeaveList, LeaveRequest, day_problem

router = APIRouter(tags=["leave"])

TEXT_PARTS = tuple(LeaveFields.model_fields)


def request_body(document_required: list[str]) -> dict:
    """The multipart body as the OpenAPI document shows it: the text parts with LeaveFields'
    own rules, the attachments, and which types cannot go without one (config)."""
    fields = LeaveFields.model_json_schema()
    schema = {"type": "object", "required": fields["required"], "additionalProperties": False, "properties": {
        **fields["properties"],
        "attachments": {"type": "array", "maxItems": attachments.MAX_FILES,
                        "items": {"type": "string", "format": "binary"},
                        "description": "PDF, JPEG or PNG (read by their content), at most 2 MB each"}}}
    types = fields["properties"]["type"]["enum"]
    needing = [t for t in types if t in document_required]
    if needing:   # either a type that needs no document, or at least one attachment
        schema["anyOf"] = [{"properties": {"type": {"enum": [t for t in types if t not in needing]}}},
                           {"required": ["attachments"], "properties": {"attachments": {"minItems": 1}}}]
        schema["properties"]["attachments"]["description"] += "; required for " + ", ".join(needing)
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


ERRORS = documented(400, 401, 409, 413, 415, 422, 429, 503)


async def _read(request: Request) -> tuple[dict, list[leave_requests.Document], list[dict]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported_media_type", "Kirim multipart/form-data", "Send multipart/form-data")
    form = await request.form(max_files=attachments.MAX_FILES, max_fields=8, max_part_size=64 * 1024)
    fields, docs, problems = {}, [], []
    for name, value in form.multi_items():
        if name == "attachments":
            if isinstance(value, UploadFile):
                docs.append(leave_requests.Document(value.filename or "", await value.read(attachments.MAX_BYTES + 1)))
            else:
                problems.append(field_error(name, "file_expected", "harus berkas", "must be a file"))
        elif name in TEXT_PARTS and isinstance(value, str):
            fields[name] = value
        else:
            problems.append(field_error(name, "unknown_part", "bagian yang tidak dikenal", "is not a known part"))
    await form.close()
    return fields, docs, problems


@router.post("/leaves", response_model=LeaveRequest, status_code=201, responses=ERRORS,
             openapi_extra={"requestBody": request_body([])})   # the app adds the config's types
async def create(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)
                 ) -> LeaveRequest:
    """Send a leave, permission, sick or duty request with its documents; it waits for the
    unit head or BKPP. Refused: overlaps with approved or pending leave (409), beyond the
    cuti tahunan balance (409), a missing required document or a bad file (422)."""
    fields, docs, problems = await _read(request)
    return await run_in_threadpool(_create, request.app.state, auth.client_ip(request), credentials,
                                   fields, docs, problems)


def _create(state, ip: str, credentials, fields: dict, docs: list, problems: list[dict]) -> LeaveRequest:
    device = auth.phone(state, ip, credentials)
    if len(docs) > attachments.MAX_FILES:
        problems = [*problems, field_error("attachments", "too_many", f"maks. {attachments.MAX_FILES} berkas",
                                           f"at most {attachments.MAX_FILES} files")]
    try:
        body = LeaveFields.model_validate(fields)
    except ValidationError as exc:
        raise from_pydantic(exc, extra=problems) from None
    if problems:
        raise validation_error([], extra=problems)
    today = state.now().astimezone(state.rt.config.unit_zone(device.unit_code)).date()
    for name in ("date_from", "date_to"):
        if bad := day_problem(getattr(body, name), today, LEAVE_PAST_DAYS, LEAVE_FUTURE_DAYS):
            raise invalid_field(name, "date_range", *bad)
    try:
        stored = leave_requests.request(state.rt, device.employee_id, body.type, body.date_from, body.date_to,
                                        body.reason, docs)
    except leave_requests.RequestRefused as exc:
        fields_ = [field_error(exc.field, exc.code, exc.message_id, exc.message_en)] if exc.field else None
        raise ApiError(exc.status, exc.code, exc.message_id, exc.message_en, fields_) from None
    return _shape(stored)


def _shape(row: dict) -> LeaveRequest:
    return LeaveRequest(type=row["leave_type"], **{k: row[k] for k in LeaveRequest.model_fields
                                                   if k != "type" and k in row})


@router.get("/leaves", response_model=LeaveList, responses=documented(401, 429, 503))
def mine(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)) -> LeaveList:
    """The employee's requests, newest first, with their state, and this year's cuti tahunan balance."""
    state = request.app.state
    device = auth.phone(state, auth.client_ip(request), credentials)
    year = state.now().astimezone(state.rt.config.unit_zone(device.unit_code)).year
    with state.rt.connection() as conn:
        employee = qa.employee(conn, device.employee_id)
        found = ql.requests_of(conn, device.employee_id)
        balance = leave_requests.balance(conn, state.rt.config, employee, year)
    return LeaveList(leaves=[_shape(r) for r in found], annual_leave=balance)
