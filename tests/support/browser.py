"""Driving the dashboard in headless Chromium: viewport, waits, screenshots, login.

The browser tests' clock is the demo clock at a Monday 07:20 WIB (the `demo_clock`
fixture in tests/dashboard/conftest.py). Screenshots go to tests/artifacts/ (not committed).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT
from tests.support.city import PASSWORD

ARTIFACTS = ROOT / "tests" / "artifacts"
WIB = ZoneInfo("Asia/Jakarta")
MONDAY_0720 = dt.datetime(2026, 11, 23, 7, 20, tzinfo=WIB)
WAIT_S = 20  # an upper bound for pages to settle, not a speed assertion


def viewport(driver, width: int, height: int) -> None:
    """Exactly this many CSS pixels of page, whatever the headless window's frame takes."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def wait(driver, condition, timeout=WAIT_S):
    """Until `condition` holds; past `timeout`, a failure that says where the page was and what
    its console said (a wait that times out in CI is otherwise a bare TimeoutException)."""
    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException as exc:
        raise TimeoutException(f"waited {timeout} s on {_where(driver)}") from exc


def _where(driver) -> str:
    try:
        console = [f"{e['level']} {e['message'][:300]}" for e in driver.get_log("browser")][-10:]
    except WebDriverException:   # a driver without console logging
        console = []
    return f"{driver.current_url}; console: {console}"


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def login(driver, base: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    shot(driver, "login")
    driver.find_element(By.ID, "login-button").click()
    wait(driver, EC.presence_of_element_located((By.ID, "breadcrumbs")))
