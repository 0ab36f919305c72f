"""The API's per-address rate limits read the caller from X-Forwarded-For only as deep as
`proxies.trusted` (config.yaml): with 0 a client cannot dodge them by naming addresses."""
from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from foundation.config import Proxies
from ingest.api.auth import forwarded_client
from ingest.app import create_app
from tests.conftest import with_rate_limits

BODY = {"nip": "199001012020121001", "code": "SALAH-KODE", "device_id": "hp-uji"}


def statuses(rt, trusted: int, forwarded: list[str]) -> list[int]:
    rt = with_rate_limits(rt, activate_ip="2/minute")
    app = create_app(dataclasses.replace(rt, config=rt.config.model_copy(update={"proxies": Proxies(trusted=trusted)})))
    with TestClient(app) as c:
        return [c.post("/api/v1/devices/activate", json=BODY, headers={"X-Forwarded-For": f}).status_code
                for f in forwarded]


def test_forwarded_for_is_ignored_with_no_trusted_proxy(runtime):
    # three requests from one peer, each naming another address: the third is over the limit
    assert statuses(runtime, 0, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])[-1] == 429


def test_forwarded_for_is_honoured_behind_one_proxy(runtime):
    # behind nginx every phone arrives from one peer; each is counted by its own address
    codes = statuses(runtime, 1, ["198.51.100.11", "198.51.100.12", "198.51.100.13"])
    assert 429 not in codes and set(codes) <= {401, 404}
    assert statuses(runtime, 1, ["198.51.100.21"] * 3)[-1] == 429


def test_only_the_trusted_end_of_the_header_counts():
    assert forwarded_client("10.0.0.1", ["1.1.1.1, 2.2.2.2"], 1) == "2.2.2.2"   # what nginx saw
    assert forwarded_client("10.0.0.1", ["1.1.1.1", "2.2.2.2, 3.3.3.3"], 2) == "2.2.2.2"
    assert forwarded_client("10.0.0.1", ["1.1.1.1"], 0) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", ["1.1.1.1"], 2) == "10.0.0.1"            # fewer than the proxies: not trusted
    assert forwarded_client("10.0.0.1", [], 1) == "10.0.0.1"


def test_the_procfile_worker_believes_no_header_on_its_own(runtime):
    """uvicorn's stock worker rewrites the client from X-Forwarded-For for a 127.0.0.1 peer;
    the Procfile's (ingest.serving.Worker) leaves that to `proxies.trusted` (0 here)."""
    import httpx

    from tests.support import phones

    with phones.gunicorn(runtime, env={"PANTAU_RATE_ACTIVATE_IP": "2/minute"}, workers=1) as server:
        codes = [httpx.post(server.url + "/api/v1/devices/activate", json=BODY,
                            headers={"X-Forwarded-For": f"198.51.100.{30 + i}"}).status_code for i in range(3)]
    assert codes[-1] == 429, codes
