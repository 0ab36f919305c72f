"""Fixtures of the ingest tests: the check-in API in process, judging at the test
module's `NOW` (each module that uses them sets it), and a test client of it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ingest.app import create_app


@pytest.fixture(scope="module")
def app(runtime, request):
    """The API in process, judging at the test module's NOW."""
    app, now = create_app(runtime), request.module.NOW
    app.state.now = lambda: now
    return app


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c
