"""Fixtures of the dashboard tests. Each test module defines its own `city` fixture
(a runtime and its seeded data); these build on it.

- `app`: the Dash app (Flask test client through tests/support/dash_client.py);
- `demo_clock`, `server`, `browser`: the Procfile's web line under gunicorn at a Monday
  07:20 WIB (or the module's CLOCK_AT), and a headless Chromium for it (one of each per module).
"""
from __future__ import annotations

import os

import pytest
from selenium import webdriver

from dashboard.app import create_app
from foundation import clock
from tests.conftest import ROOT, runtime_env
from tests.support.browser import ARTIFACTS, MONDAY_0720, viewport
from tests.support.servers import serving


@pytest.fixture(scope="module")
def app(city):
    return create_app(city[0])


@pytest.fixture(scope="module")
def demo_clock(request):
    old = os.environ.get(clock.ENV)
    os.environ[clock.ENV] = clock.demo_spec(getattr(request.module, "CLOCK_AT", MONDAY_0720), 1)
    yield
    if old is None:
        os.environ.pop(clock.ENV, None)
    else:
        os.environ[clock.ENV] = old


@pytest.fixture(scope="module")
def server(city):
    """The Procfile's web line as it stands (gunicorn, threaded workers) for the whole module."""
    from bench.dashboard import web_command

    cmd, port = web_command()
    ARTIFACTS.mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{port}"
    with serving(cmd, ROOT, runtime_env(city[0]), base + "/login", ARTIFACTS / "gunicorn.log"):
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--window-size=1920,1080", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # the console (CSP violations)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=opts)
    driver.downloads = downloads
    viewport(driver, 1920, 1080)
    yield driver
    driver.quit()
