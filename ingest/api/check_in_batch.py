"""The check-in writer's job: a batch of check-in requests, from who is calling to one
transaction through `attendance.record_many` (the phone's way into the one path).

The API handler (`check_ins.check_in`) queues a `Job`; the group-commit writer calls
`record_batch` with the app's state and the batch; the answer goes back to the handler.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError

from ingest import attendance, selfies
from ingest.rules.judge import Attempt

from . import auth
from .errors import ApiError, field_error, from_pydantic, validation_error
from .schemas import CheckInBody, Verdict


def event_key(employee_id: int, event_id: uuid.UUID) -> str:
    # Namespaced per employee: one employee's UUID can never collide with another's.
    return f"mobile:{employee_id}:{event_id}"


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
        received_at = state.now()
        try:
            body, sha = _parsed(rt, job, received_at)
        except ApiError as exc:
            out[i] = exc
            continue
        loc, face = body.location, body.face
        attempt = Attempt(
            source="mobile", captured_at=body.captured_at, received_at=received_at,
            lat=loc.lat, lon=loc.lon, accuracy_m=loc.accuracy_m, mock=loc.mock, offline=body.offline,
            session=body.session, face_score=face.score if face else None,
            liveness=face.liveness if face else None, provider=loc.provider,
            device_shared=device.shared, offline_since=body.offline_since, last_contact_at=device.last_seen_at)
        entries.append(attendance.Entry(device.employee_id, attempt, event_key(device.employee_id, body.event_id),
                                        body.model_dump(mode="json"),
                                        columns={"device_ref": device.device_ref, "selfie_sha256": sha}))
        bodies.append((i, body))
    for (i, body), done in zip(bodies, attendance.record_many(rt, entries) if entries else ()):
        out[i] = done if isinstance(done, Exception) else Verdict(
            event_id=body.event_id, duplicate=done.duplicate, **_verdict_fields(done.verdict))
    return out


def _parsed(rt, job: Job, now) -> tuple[CheckInBody, str | None]:
    """The validated body (captured_at within the clock rules' window around `now`) and the
    stored selfie's hash; ApiError (422) naming each bad field."""
    problems = job.problems
    if job.selfie is not None and (bad := selfies.problem(job.selfie)):
        problems = [*problems, field_error("selfie", *bad)]
    try:
        body = CheckInBody.model_validate_json(
            job.data, context={"now": now, "clock": rt.config.rules.clock}) if job.data is not None else None
    except ValidationError as exc:
        raise from_pydantic(exc, extra=problems) from None
    if problems:
        raise validation_error([], extra=problems)
    return body, selfies.store(rt.settings.selfie_dir, job.selfie) if job.selfie is not None else None


def _verdict_fields(stored: dict) -> dict:
    return {k: stored.get(k) for k in Verdict.model_fields if k not in ("event_id", "duplicate")} | {
        "messages": stored.get("messages") or [], "reasons": stored.get("reasons") or []}
