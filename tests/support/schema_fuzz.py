"""Schemathesis over the check-in API's own OpenAPI document, against a running server.

Used by tests/ingest/api/test_schemathesis.py (a fixed seed, a few examples per operation)
and by bench/schemathesis (many more). It runs the `schemathesis` command with every check
and reads its JSON report back:

    found = run(url, token, examples=20, seed=1, out=tmp_dir)
    found.operations, found.examples, found.failures, found.text
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
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


def command(url: str, token: str, *, examples: int, seed: int, out: Path, phases: str | None = None,
            workers: int = 1) -> list[str]:
    cmd = [str(Path(sys.executable).parent / "schemathesis"), "run", url + OPENAPI, "--checks", "all",
           "--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers),
           "--header", f"Authorization: Bearer {token}", "--report", "ndjson",
           "--report-ndjson-path", str(out / "events.ndjson"), "--output-truncate", "false",
           "--suppress-health-check", "all", "--request-timeout", "30"]
    if phases:
        cmd += ["--phases", phases]
    return cmd


def run(url: str, token: str, *, examples: int, seed: int, out: Path, phases: str | None = None,
        workers: int = 1, env: dict | None = None, timeout_s: float = 1800) -> Found:
    """One schemathesis run; its summary and the counts from its event log."""
    out.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ if env is None else env)
    full_env.update(SCHEMATHESIS_HOOKS=HOOKS, NO_COLOR="1", COLUMNS="160")
    root = Path(__file__).resolve().parent.parent.parent
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), full_env.get("PYTHONPATH")]))
    done = subprocess.run(command(url, token, examples=examples, seed=seed, out=out, phases=phases, workers=workers),
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
