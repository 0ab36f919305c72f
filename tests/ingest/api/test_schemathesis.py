"""Schemathesis with every check over the OpenAPI document, against the Procfile's ingest
process (gunicorn) with an activated phone's token: the API answers what its schema says."""
from __future__ import annotations

import httpx

from tests.support import schema_fuzz
from tests.support.phones import gunicorn

EXAMPLES, SEED = 25, 20261204


def test_schemathesis_finds_nothing(runtime, tmp_path):
    with gunicorn(runtime, workers=1, env={"PANTAU_RATE_DEVICE": "1000000/minute", "PANTAU_RATE_IP": "1000000/minute",
                                          "PANTAU_RATE_ACTIVATE_IP": "1000000/minute"}) as server:
        with httpx.Client(base_url=server.url) as client:
            data = schema_fuzz.seed_data(runtime, client)
        found = schema_fuzz.run(server.url, data, examples=EXAMPLES, seed=SEED, out=tmp_path)
    print(found.text[-6000:])
    assert found.operations >= 7 and found.examples > 0, found.text[-4000:]
    assert (found.failures, found.errors, found.exit_code) == (0, 0, 0), found.text[-20000:]
