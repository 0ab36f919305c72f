"""One error envelope for every refusal, in Indonesian and English.

    {"error": {"code": "...", "message_id": "...", "message_en": "...", "fields": [...]}}

`fields` names each bad field (`location.lat`), so the app can point at it. A database
outage is a 503 with Retry-After: the phone keeps its queue and sends again.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from queries.db import DatabaseUnavailable

from .schemas import ErrorEnvelope

log = logging.getLogger("pantau.api")

DB_RETRY_AFTER_S = 5


class ApiError(Exception):
    def __init__(self, status: int, code: str, message_id: str, message_en: str,
                 fields: list[dict] | None = None, headers: dict | None = None):
        super().__init__(message_en)
        self.status, self.code = status, code
        self.message_id, self.message_en = message_id, message_en
        self.fields, self.headers = fields, headers

    def response(self) -> JSONResponse:
        error = {"code": self.code, "message_id": self.message_id, "message_en": self.message_en}
        if self.fields is not None:
            error["fields"] = self.fields
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)


def field_error(field: str, code: str, message_id: str, message_en: str) -> dict:
    return {"field": field, "code": code, "message_id": message_id, "message_en": message_en}


def invalid_field(field: str, code: str, message_id: str, message_en: str) -> ApiError:
    """The 422 for one bad field, shaped like a validation error's."""
    return ApiError(422, "invalid_fields", f"Ada isian yang tidak valid: {field}", f"Some fields are not valid: {field}",
                    [field_error(field, code, message_id, message_en)])


MEANING = {   # what each refusal means for the app, in the OpenAPI document
    400: "malformed_json / bad_request: the body is not JSON, or the multipart cannot be read",
    401: "missing_token, invalid_token, device_revoked, employee_inactive, activation_failed: activate again",
    403: "refused for this phone or unit (e.g. device_shared: the phone is bound to another employee too)",
    404: "no such resource (check-in, event)",
    409: "conflicts with what is stored (another phone, a reason already given, overlapping leave)",
    413: "payload_too_large: over 64 KB (JSON) or 600 KB (multipart), refused before it is read whole",
    415: "unsupported_media_type: the Content-Type is not one this operation reads",
    422: "invalid_fields: each bad field named in `fields` (Indonesian and English); nothing was written",
    429: "rate_limited: wait Retry-After seconds, then send again",
    503: "database_unavailable: keep the queue, send again after Retry-After",
}


# what a phone waits for on a 429 or 503: sent with every one (errors._too_many, db_unavailable,
# healthz), so it is in the contract too, for an app built against the document alone
RETRY_AFTER = {"Retry-After": {
    "description": "seconds to wait before sending again (the phone keeps its queue meanwhile)",
    "required": True, "schema": {"type": "integer", "minimum": 1}}}
WAIT_STATUSES = (429, 503)


def documented(*statuses: int) -> dict:
    """`responses=` for the error statuses an operation can answer, each with the one envelope
    (and, on 429 and 503, the Retry-After header)."""
    return {s: {"model": ErrorEnvelope, "description": MEANING[s],
                **({"headers": RETRY_AFTER} if s in WAIT_STATUSES else {})} for s in statuses}


_KNOWN = {  # pydantic error type -> (Indonesian, English)
    "missing": ("wajib diisi", "is required"),
    "extra_forbidden": ("bukan kolom yang dikenal", "is not a known field"),
    "uuid_parsing": ("harus UUID, mis. 3f2b9c1e-8d4a-4e7b-9a51-0c6d2e8f1a27", "must be a UUID"),
    "uuid_type": ("harus UUID", "must be a UUID"),
    "uuid_version": ("harus UUID", "must be a UUID"),
    "datetime_parsing": ("harus waktu ISO 8601 dengan offset UTC, mis. 2026-03-02T07:21:05+07:00",
                         "must be an ISO 8601 time with a UTC offset, e.g. 2026-03-02T07:21:05+07:00"),
    "datetime_from_date_parsing": ("harus waktu ISO 8601 dengan offset UTC", "must be an ISO 8601 time with a UTC offset"),
    "datetime_type": ("harus waktu ISO 8601 dengan offset UTC", "must be an ISO 8601 time with a UTC offset"),
    "timezone_aware": ("harus memuat offset UTC, mis. +07:00", "must carry a UTC offset, e.g. +07:00"),
    "date_parsing": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_from_datetime_parsing": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_type": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "finite_number": ("harus angka terhingga", "must be a finite number"),
    "float_parsing": ("harus angka", "must be a number"),
    "float_type": ("harus angka", "must be a number"),
    "int_parsing": ("harus bilangan bulat", "must be an integer"),
    "int_type": ("harus bilangan bulat", "must be an integer"),
    "bool_parsing": ("harus true atau false", "must be true or false"),
    "bool_type": ("harus true atau false", "must be true or false"),
    "string_type": ("harus teks", "must be a string"),
    "model_type": ("harus objek JSON", "must be a JSON object"),
    "model_attributes_type": ("harus objek JSON", "must be a JSON object"),
    "dict_type": ("harus objek JSON", "must be a JSON object"),
    "json_invalid": ("bukan JSON yang sah", "is not valid JSON"),
    "json_type": ("bukan JSON yang sah", "is not valid JSON"),
}


def _describe(err: dict) -> tuple[str, str]:
    """Indonesian and English text for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _KNOWN:
        return _KNOWN[kind]
    bounds = {"greater_than_equal": ("ge", ">="), "less_than_equal": ("le", "<="),
              "greater_than": ("gt", ">"), "less_than": ("lt", "<")}
    if kind in bounds:
        key, sign = bounds[kind]
        return f"harus {sign} {ctx.get(key)}", f"must be {sign} {ctx.get(key)}"
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return f"terlalu panjang (maks. {n} karakter)", f"is too long (max {n} characters)"
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return f"terlalu pendek (min. {n} karakter)", f"is too short (min {n} characters)"
    if kind == "string_pattern_mismatch":
        return "formatnya salah", "has the wrong format"
    if kind == "literal_error":
        return f"harus salah satu dari {ctx.get('expected')}", f"must be one of {ctx.get('expected')}"
    if "id" in ctx:   # our own checks carry their Indonesian text
        return ctx["id"], err["msg"]
    return "nilai tidak valid", err.get("msg", "invalid value")


def validation_error(errors: list[dict], drop: tuple[str, ...] = ("body",), extra: list[dict] = ()) -> ApiError:
    """400 for a body that is not JSON at all, 422 naming each bad field otherwise."""
    fields = list(extra)
    malformed = False
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in drop + ("query", "path", "header"):
            loc = loc[1:]
        if err["type"] in ("json_invalid", "json_type"):
            malformed = True
            loc = []
        message_id, message_en = _describe(err)
        fields.append(field_error(".".join(loc) or "body", err["type"], message_id, message_en))
    if malformed:
        return ApiError(400, "malformed_json", "Isi permintaan bukan JSON yang sah",
                        "The request body is not valid JSON", fields)
    return ApiError(422, "invalid_fields", "Ada isian yang tidak valid: " + ", ".join(f["field"] for f in fields),
                    "Some fields are not valid: " + ", ".join(f["field"] for f in fields), fields)


def from_pydantic(exc: ValidationError, extra: list[dict] = ()) -> ApiError:
    return validation_error(exc.errors(include_url=False), extra=extra)


_HTTP = {
    400: ("bad_request", "Permintaan tidak dapat dibaca", "The request cannot be read"),
    404: ("not_found", "Alamat tidak ditemukan", "No such endpoint"),
    405: ("method_not_allowed", "Metode tidak diizinkan untuk alamat ini", "Method not allowed here"),
    413: ("payload_too_large", "Permintaan terlalu besar", "Request too large"),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return validation_error(list(exc.errors())).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, mid, men = _HTTP.get(exc.status_code, ("http_error", "Permintaan ditolak", "Request refused"))
        if exc.status_code == 400 and isinstance(exc.detail, str):
            men = f"{men}: {exc.detail}"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:   # every method of the path, not only the first route's
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return ApiError(exc.status_code, code, mid, men, headers=headers).response()

    @app.exception_handler(DatabaseUnavailable)
    async def _db_down(request: Request, exc: DatabaseUnavailable):
        log.error("database unavailable: %s", exc)
        return unavailable().response()

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        if _database_outage(exc):   # e.g. the pool timed out waiting for a connection
            log.error("database unavailable: %s", exc)
            return unavailable().response()
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiError(500, "internal_error", "Terjadi kesalahan di server; presensi tidak tersimpan, coba lagi",
                        "Server error; the check-in was not stored, try again").response()


def _allowed(request: Request) -> list[str]:
    """The methods the request's path has, from the API's own OpenAPI document (FastAPI no
    longer lists an included router's routes in app.router.routes)."""
    from starlette.routing import compile_path

    methods: set[str] = set()
    for path, operations in request.app.openapi().get("paths", {}).items():
        if compile_path(path)[0].match(request.url.path):
            methods |= {m.upper() for m in operations if m in _METHODS}
    return sorted(methods)


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _database_outage(exc: Exception) -> bool:
    """A lost or exhausted connection that queries.db did not already call DatabaseUnavailable
    (named, not imported: only queries/ imports SQLAlchemy)."""
    kind = type(exc)
    return kind.__module__.startswith("sqlalchemy") and kind.__name__ in ("TimeoutError", "InterfaceError",
                                                                          "DisconnectionError", "OperationalError")


def unavailable() -> ApiError:
    return ApiError(503, "database_unavailable",
                    "Server belum dapat menyimpan presensi. Aplikasi akan mengirim ulang otomatis",
                    "The server cannot store check-ins right now. The app will send it again automatically",
                    headers={"Retry-After": str(DB_RETRY_AFTER_S)})
