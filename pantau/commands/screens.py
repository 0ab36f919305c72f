"""pantau screens: every page of a running dashboard (and the employee's page's first screen)
in headless Chromium, at 1920x1080 and 390x844, saved as PNG (docs/screens/ holds the demo's;
the employee's page after activation comes from its browser test, tests/artifacts/app_*). Needs the test extras (selenium) and
Debian's chromium + chromium-driver.

It signs in with a login of its own (role bkpp, a random password, disabled again at the
end) and a kiosk link for the wall (revoked at the end); all four changes are audit-logged.
"""
from __future__ import annotations

import getpass
import secrets
import sys
import time
from pathlib import Path

from queries import audit, users as q

PAGES = (("wall", "/wall?kiosk={kiosk}"), ("overview", "/overview"), ("overview_unit", "/overview?unit=DINKES"),
         ("overview_belum", "/overview?unit=DINKES&status=belum"), ("trends", "/trends"), ("map", "/map"),
         ("downloads", "/downloads"), ("admin_leave", "/admin/leave"), ("admin_terminals", "/admin/terminals"),
         ("admin_devices", "/admin/devices"), ("admin_events", "/admin/events"), ("admin_manual", "/admin/manual"),
         ("admin_audit", "/admin/audit"), ("admin_faces", "/admin/faces"), ("admin_users", "/admin/users"),
         ("review", "/review"))
APP_PAGES = (("app_activate", "/app/"),)   # the employee's page, on the ingest process (a new phone)
SIZES = ((1920, 1080), (390, 844))
SETTLE_S = 6.0    # a page's callbacks and charts settle within this on the demo (not a speed claim)
ACCOUNT = "layar-foto"


def register(sub) -> None:
    p = sub.add_parser("screens", help="screenshots of every dashboard page at 1920x1080 and 390x844")
    p.add_argument("--base-url", default="http://127.0.0.1:8050", help="the running dashboard")
    p.add_argument("--ingest-url", default="http://127.0.0.1:8000", help="the running ingest process (/app/)")
    p.add_argument("--out", type=Path, default=Path("docs/screens"))
    p.add_argument("--actor", default=getpass.getuser(), help="who takes them (audit log)")
    p.set_defaults(handler=_screens)


def _screens(args) -> int:
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
    except ImportError:
        print("error: selenium is missing: pip install -e '.[test]'", file=sys.stderr)
        return 2
    from dashboard.auth import hash_password, hash_token, new_kiosk_token
    from foundation.runtime import boot

    rt = boot()
    password, kiosk = secrets.token_urlsafe(18), new_kiosk_token()
    with rt.transaction() as conn:
        found = q.user_by_username(conn, ACCOUNT)
        if found is None:
            q.add_user(conn, ACCOUNT, hash_password(password), "bkpp", None, "Tangkapan layar")
        else:
            q.set_password(conn, found["id"], hash_password(password))
            q.set_active(conn, found["id"], True)
        audit.record(conn, args.actor, "user.add" if found is None else "user.password", ACCOUNT, "pantau screens")
        token = q.add_kiosk_token(conn, "pantau screens", hash_token(kiosk), False, args.actor)
        audit.record(conn, args.actor, "kiosk.add", f"kiosk:{token['id']}", "pantau screens")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1920,1080", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=opts)
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(base + "/login")
        driver.find_element(By.ID, "username").send_keys(ACCOUNT)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "login-button").click()
        time.sleep(2)
        for width, height in SIZES:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
            pages = [(n, base + p.format(kiosk=kiosk)) for n, p in PAGES]
            pages += [(n, args.ingest_url.rstrip("/") + p) for n, p in APP_PAGES]
            for name, url in pages:
                driver.get(url)
                time.sleep(SETTLE_S)
                target = args.out / f"{name}_{width}.png"
                driver.save_screenshot(str(target))
                print(target)
    finally:
        driver.quit()
        with rt.transaction() as conn:
            q.set_active(conn, q.user_by_username(conn, ACCOUNT)["id"], False)
            audit.record(conn, args.actor, "user.disable", ACCOUNT, "pantau screens: done")
            q.revoke_kiosk_token(conn, token["id"])
            audit.record(conn, args.actor, "kiosk.revoke", f"kiosk:{token['id']}", "pantau screens: done")
    return 0
