"""Schemathesis over the check-in API's own OpenAPI document, against a running server.

Used by tests/ingest/api/test_schemathesis.py (a fixed seed, a few examples per operation)
and by bench/schemathesis (many more). It runs the `schemathesis` command with every check
and reads its JSON report back:

    found = run(url, seed_data(rt, client), examples=20, seed=1, out=tmp_dir)
    found.operations, found.examples, found.failures, found.text
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
import uuid
from pathlib import Path

OPENAPI = "/api/v1/openapi.json"
HOOKS = "tests.support.schema_hooks"   # the rules the JSON Schema cannot say (dates relative to now)


@dataclass
class Found:
    operations: int
    examples: int
    failures: int
    errors: int
    exit_code: int
    text: str                               # schemathesis' own summary, for the failure message
    failure_kinds: dict = field(default_factory=dict)


def seed_data(rt, client) -> dict:
    """What the path parameters need to reach past 404: an activated phone, an event open now
    that invites it, and one of its check-ins (an hour old, sent offline)."""
    from ingest import events
    from tests.support.phones import body, new_phone

    phone = new_phone(rt, client)
    now = dt.datetime.now(dt.timezone.utc).astimezone(rt.config.zone)
    event = events.create_event(rt, "bkpp:schemathesis", name="Apel uji", kind="apel", event_date=now.date(),
                                opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=2),
                                place=events.Place(office_code="DINKES-1"), invited_units=[phone["employee"]["unit_code"]])
    check_in = body(rt, now - dt.timedelta(hours=1), offline=True)
    r = client.post("/api/v1/check-ins", json=check_in, headers=phone["headers"])
    assert r.status_code == 201, r.text
    return {"token": phone["token"], "event": event, "event_id": check_in["event_id"]}


def _config(out: Path, data: dict) -> Path:
    path = out / "schemathesis.toml"
    path.write_text(f"""
[[operations]]
include-name = "POST /api/v1/events/{{event}}/attend"
parameters = {{ "path.event" = {int(data["event"])} }}

[[operations]]
include-name = "POST /api/v1/check-ins/{{event_id}}/reason"
parameters = {{ "path.event_id" = "{uuid.UUID(data["event_id"])}" }}
""")
    return path


def command(url: str, data: dict, *, examples: int, seed: int, out: Path, phases: str | None = None,
            workers: int = 1) -> list[str]:
    token = data["token"]
    cmd = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(_config(out, data)), "run",
           url + OPENAPI, "--checks", "all", "--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers),
           "--header", f"Authorization: Bearer {token}", "--report", "ndjson",
           "--report-ndjson-path", str(out / "events.ndjson"), "--output-truncate", "false",
           "--suppress-health-check", "all", "--request-timeout", "30"]
    if phases:
        cmd += ["--phases", phases]
    return cmd


def run(url: str, data: dict, *, examples: int, seed: int, out: Path, phases: str | None = None,
        workers: int = 1, env: dict | None = None, timeout_s: float = 1800) -> Found:
    """One schemathesis run; its summary and the counts from its event log."""
    out.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ if env is None else env)
    full_env.update(SCHEMATHESIS_HOOKS=HOOKS, NO_COLOR="1", COLUMNS="160")
    root = Path(__file__).resolve().parent.parent.parent
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), full_env.get("PYTHONPATH")]))
    done = subprocess.run(command(url, data, examples=examples, seed=seed, out=out, phases=phases, workers=workers),
                          cwd=root, env=full_env, capture_output=True, text=True, timeout=timeout_s)
    text = done.stdout + done.stderr
    (out / "summary.txt").write_text(text)
    return _counted(out / "events.ndjson", done.returncode, text)


def _counted(path: Path, exit_code: int, text: str) -> Found:
    operations, examples, failures, errors, kinds = set(), 0, 0, 0, {}
    if path.exists():
        for line in path.read_text().splitlines():
            event = json.loads(line)
            for name, body in event.items():
                if name == "ScenarioFinished":
                    label = body.get("label") or (body.get("recorder") or {}).get("label")
                    if label:
                        operations.add(label)
                    recorder = body.get("recorder") or {}
                    examples += len(recorder.get("cases") or {})
                    for check_list in (recorder.get("checks") or {}).values():
                        for check in check_list:
                            if check.get("status") == "failure":
                                failures += 1
                                kinds[check.get("name")] = kinds.get(check.get("name"), 0) + 1
                elif name == "NonFatalError":
                    errors += 1
    return Found(len(operations), examples, failures, errors, exit_code, text, kinds)
