"""`pantau demo --regions 4` end to end: one web, ingest and worker process serve Cilegon,
Makassar, Ternate and the province over Ternate (82); each region's morning lands in its
own schema, each region's host shows its own login page, and the province's `provinsi`
login sees Ternate on /provinsi."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from tests.pantau.test_demo import _run_until, _stop
from tests.support.servers import free_port

NAMES = {"3672": "Pemerintah Kota Cilegon", "7371": "Pemerintah Kota Makassar", "8271": "Pemerintah Kota Ternate",
         "82": "Pemerintah Provinsi Maluku Utara"}


def _demo(tmp_path, web: int, ingest: int) -> subprocess.Popen:
    # its own embedded Postgres and Redis, as a visitor's: four regions' processes would also
    # take too many of a shared server's connections
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PANTAU_DEMO_CLOCK", "PANTAU_APP_DATABASE_URL")}
    env.update(PANTAU_VAR_DIR=str(tmp_path), PANTAU_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "pantau", "demo", "--regions", "4", "--employees", "60", "--days", "3",
         "--speed", "2700", "--web-port", str(web), "--ingest-port", str(ingest)],   # 3 hours in 4 s
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _router(client: httpx.Client, pathname: str) -> str:
    """The Dash router's rendering of `pathname`, as JSON text (what the browser would show)."""
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": ""}],
            "state": [], "changedPropIds": ["url.pathname"]}
    res = client.post("/_dash-update-component", content=json.dumps(body),
                      headers={"Content-Type": "application/json", "X-CSRFToken": client.cookies["_csrf_token"]})
    assert res.status_code == 200, res.text[:500]
    return json.dumps(res.json()["response"])


def _embedded_url(var_dir) -> str:
    """The demo's embedded Postgres (var/pg), read from its postmaster.pid: this process only reads."""
    from pgserver.utils import PostmasterInfo

    uri = PostmasterInfo.read_from_pgdata(var_dir / "pg").get_uri(database="pantau")
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def test_four_regions_play_their_mornings_and_the_province_sees_ternate(tmp_path):
    web, ingest = free_port(), free_port()
    proc = _demo(tmp_path, web, ingest)
    try:
        out = _run_until(proc, r"Ctrl-C stops everything", 600)
        logins = dict(re.findall(r"http://(\d+)\.localhost:\d+/\s+logins: (.+)", out))
        assert sorted(logins) == sorted(NAMES)
        assert "provinsi / " in logins["82"] and not any("provinsi" in logins[c] for c in ("3672", "7371", "8271"))
        assert re.search(rf"provinsi\s+http://82\.localhost:{web}/provinsi\s+\(.*Kota Ternate", out)
        for _ in NAMES:                                       # a morning done per region
            out += _run_until(proc, r"morning done in ", 300)
        for code in NAMES:                                    # each region's host: its own login page
            page = httpx.get(f"http://127.0.0.1:{web}/login", headers={"Host": f"{code}.localhost:{web}"}, timeout=10)
            assert page.status_code == 200 and NAMES[code] in page.text
            assert not any(n in page.text for c, n in NAMES.items() if c != code)
        # each region's replayed morning in its own schema (the own one in public)
        day = re.search(r"morning\s+(\d{4}-\d\d-\d\d):", out).group(1)
        engine = create_engine(_embedded_url(tmp_path))
        try:
            with engine.connect() as conn:
                for schema in ("public", "r_7371", "r_8271", "r_82"):
                    stored = conn.execute(text(f"SELECT count(*) FROM {schema}.check_ins WHERE work_date = :d"),
                                          {"d": day}).scalar()
                    assert stored > 0, (schema, out[-2000:])
        finally:
            engine.dispose()
        for code, label in (("7371", "Kota Makassar"), ("8271", "Kota Ternate"), ("82", "Provinsi Maluku Utara")):
            done = re.search(rf"morning done in {label} \({code}, \w+\): phones sent [\d,]+ check-ins: ([\d,]+) stored",
                             out)
            assert done and int(done.group(1).replace(",", "")) > 0, label
        # the provinsi login, on the province's host, sees Ternate on /provinsi
        password = re.search(r"provinsi / (\S+)", logins["82"]).group(1).rstrip(",")
        with httpx.Client(base_url=f"http://127.0.0.1:{web}", headers={"Host": f"82.localhost:{web}"},
                          timeout=20) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
            res = client.post("/login", data={"csrf_token": token, "username": "provinsi", "password": password})
            assert res.status_code == 302, res.text[:500]
            shown = _router(client, "/provinsi")
            assert "Wilayah di bawah Pemerintah Provinsi Maluku Utara" in shown
            assert "Pemerintah Kota Ternate" in shown and "pv-region-8271" in shown
            assert "Makassar" not in shown and "Cilegon" not in shown   # not under 82
    finally:
        code = _stop(proc)
    assert code == 0
