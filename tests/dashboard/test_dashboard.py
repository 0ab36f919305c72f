"""The dashboard without a browser: logins, roles, and scoping of every callback and download."""
from __future__ import annotations

import csv
import io
import json

import pytest

from dashboard import summary
from dashboard.pages import overview, wall
from pantau import cli
from queries import audit
from queries import dashboard as qd
from tests.conftest import ROOT, runtime_env
from tests.support.dash_client import ADMIN_CALLBACKS, ROW_CALLBACKS, logged_in as client
from tests.support.city import KIOSK_TOKEN, PASSWORD, seed_city


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "dash")
    return rt, seed_city(rt)


def names(city, unit):
    return [p["name"] for p in city[1]["people"][unit]]


def read_csv(res) -> list[dict]:
    text = res.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# --- logins ------------------------------------------------------------------------

def test_pages_need_a_login(app):
    c = client(app)
    res = c.http.get("/overview")
    assert res.status_code == 302 and res.headers["Location"].startswith("/login")
    assert c.http.get("/download/recap.csv").status_code == 401
    status, text = c.page("/overview", "?unit=DINKES")
    assert status == 200 and "Pegawai" not in text and "Sesi berakhir" in text


def test_wrong_password_is_refused_and_right_one_logs_in(app):
    c = client(app)
    assert c.login("sekda", "salah-sekali-ini").status_code == 401
    assert c.login("nobody", PASSWORD).status_code == 401
    res = c.login("sekda", PASSWORD, next_path="https://evil.example/")
    assert res.status_code == 302 and res.headers["Location"] == "/"
    assert c.http.get("/overview").status_code == 200


def test_login_form_and_callbacks_need_the_csrf_token(app):
    c = client(app)
    res = c.http.post("/login", data={"username": "sekda", "password": PASSWORD})
    assert res.status_code == 400  # no token: refused before the view
    c = client(app, "sekda")
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/overview"},
                       {"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    res = c.http.post("/_dash-update-component", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert res.status_code == 400 and b"CSRF" in res.data


def test_session_expires(app, city):
    c = client(app, "sekda")
    with c.http.session_transaction() as sess:
        sess["login_at"] -= city[0].config.dashboard.session_hours * 3600 + 1
    assert c.http.get("/overview").status_code == 302


def test_logins_are_rate_limited(app):
    # per account (an unknown one here, so the module's other tests keep their logins);
    # tests/dashboard/test_login_limits.py has the rest
    c = client(app)
    env = {"REMOTE_ADDR": "10.0.0.66"}
    limit = int(app.server.extensions["pantau"].config.dashboard.login_attempts.split()[0])
    codes = [c.login("tidak-ada", "salah", environ_base=env).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [401] * limit and codes[-1] == 429
    assert client(app).login("sekda", PASSWORD, environ_base=env).status_code == 302  # other accounts are not affected


def test_users_add_hashes_and_audits(city, monkeypatch, capsys):
    rt = city[0]
    for k, v in runtime_env(rt).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-baru-123\n"))
    assert cli.main(["users", "add", "kapkm", "--role", "kepala_unit", "--unit", "PKM-CLG",
                     "--password-stdin", "--actor", "admin-bkpp"]) == 0
    assert cli.main(["users", "add", "tanpa-unit", "--role", "kepala_unit", "--password-stdin"]) == 2
    with rt.connection() as conn:
        entry = audit.entries(conn, action="user.add", actor="admin-bkpp")[0]
        from queries import users

        row = users.user_by_username(conn, "kapkm")
    assert entry["target"] == "kapkm" and entry["after"]["unit_code"] == "PKM-CLG"
    assert row["password_hash"] != "kata-sandi-baru-123" and row["password_hash"].startswith("scrypt:")


# --- what each role sees -------------------------------------------------------------

def test_sekda_drills_region_to_employee(app, city):
    c = client(app, "sekda")
    status, text = c.page("/overview", "")
    assert status == 200 and "Sekretariat Daerah" in text
    status, text = c.page("/overview", "?unit=DINKES")
    assert all(n in text for n in names(city, "DINKES")) and "Puskesmas Cilegon" in text
    emp = city[1]["people"]["DINKES"][1]
    status, text = c.page("/overview", f"?employee={emp['id']}")
    assert emp["nip"] in text and "ov-calendar" in text and "Dinas Kesehatan" in text


def _tiles(c, search: str) -> list[tuple[str, str]]:
    """(value, expected) of the overview's four tiles at `search`."""
    found: dict[str, list[str]] = {"tile-value": [], "tile-pct": []}

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("className") in found:
                found[node["props"]["className"]].append(node["props"]["children"])
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                walk(child)
    walk(json.loads(c.page("/overview", search)[1]))
    return [(v, pct.split(" dari ")[1]) for v, pct in zip(found["tile-value"], found["tile-pct"])]


def test_a_kind_filter_counts_the_units_it_shows(app, city):
    """Tiles under a kind filter add up the bars shown, not the whole region: "dinas" is DINKES
    (with its puskesmas) and DAMKAR, read from their own pages."""
    c = client(app, "sekda")

    def added(*pages) -> list[tuple[str, str]]:
        return [tuple(str(sum(int(v.replace(".", "")) for v in col)) for col in zip(*cells))
                for cells in zip(*pages)]

    day = city[1]["days"][-3].isoformat()   # a closed day: everyone seeded has a work day (today's
    when = f"from={day}&to={day}"           # expected depend on the weekday the suite runs on)
    dinas, region = _tiles(c, f"?{when}&kind=dinas"), _tiles(c, f"?{when}")
    assert len(dinas) == 4 and dinas == added(_tiles(c, f"?{when}&unit=DINKES"), _tiles(c, f"?{when}&unit=DAMKAR"))
    assert dinas[0][1] == str(sum(len(city[1]["people"][u]) for u in ("DINKES", "PKM-CLG", "DAMKAR")))
    assert region[0][1] == str(sum(len(p) for p in city[1]["people"].values()))
    assert "Dinas" in c.page("/overview", f"?{when}&kind=dinas")[1]


def test_yesterday_open_with_its_rows_already_closed_is_counted_once(app, city):
    """Yesterday before its day close is read live; rows of it already closed (and so in the
    daily rollup) were counted a second time: 32 expected of 16 people."""
    c = client(app, "sekda")
    yesterday = city[1]["days"][-2].isoformat()
    staff = str(sum(len(p) for p in city[1]["people"].values()))
    assert [expected for _, expected in _tiles(c, f"?from={yesterday}&to={yesterday}")] == [staff] * 4


def test_bar_click_and_filters_go_through_the_url():
    click = {"points": [{"customdata": "DINKES"}]}
    assert overview.next_search("?from=2026-11-01&to=2026-11-02", "ov-bars", None, None, None, None, click) \
        == "?from=2026-11-01&to=2026-11-02&unit=DINKES"
    assert overview.next_search("?unit=DINKES&employee=4", "filters", "2026-11-03", "2026-11-04", "tk", "", None) \
        == "?unit=DINKES&from=2026-11-03&to=2026-11-04&status=tk"


def test_kepala_unit_sees_its_subtree(app, city):
    c = client(app, "kadinkes")
    status, text = c.page("/overview", "")
    assert all(n in text for n in names(city, "DINKES")) and "Puskesmas Cilegon" in text
    assert not any(n in text for n in names(city, "DAMKAR"))
    status, text = c.page("/overview", "?unit=PKM-CLG")
    assert all(n in text for n in names(city, "PKM-CLG"))


OTHER_UNIT_PAGES = [
    ("/overview", "?unit=DINKES"), ("/overview", "?unit=PKM-CLG&status=hadir"),
    ("/overview", "?unit=SETDA"), ("/trends", "?unit=DINKES"), ("/map", "?unit=DINKES"),
]


@pytest.mark.parametrize("path,search", OTHER_UNIT_PAGES)
def test_kepala_unit_of_another_unit_gets_nothing_from_pages(app, city, path, search):
    c = client(app, "kadamkar")
    status, text = c.page(path, search)
    assert status == 200 and '"id": "nothing"' in text
    for unit in ("DINKES", "PKM-CLG", "SETDA"):
        assert not any(n in text for n in names(city, unit))


def test_kepala_unit_of_another_unit_gets_nothing_from_an_employee(app, city):
    c = client(app, "kadamkar")
    for p in city[1]["people"]["DINKES"]:
        status, text = c.page("/overview", f"?employee={p['id']}")
        assert '"id": "nothing"' in text and p["nip"] not in text


def test_kepala_unit_map_and_trends_hold_only_its_unit(app, city):
    c = client(app, "kadamkar")
    status, page = c.page("/map", "")
    assert status == 200 and "/map/frame" in page
    text = c.http.get("/map/frame").get_data(as_text=True)   # the map's own document, in the page's frame
    assert any(n in text for n in names(city, "DAMKAR"))
    assert not any(n in text for n in names(city, "DINKES") + names(city, "SETDA"))
    assert c.http.get("/map/frame?unit=DINKES").status_code == 404
    status, text = c.page("/trends", "")
    assert "Dinas Kesehatan" not in text and "Dinas Pemadam" in text


def test_kepala_unit_downloads_are_cut_to_its_unit(app, city):
    c = client(app, "kadamkar")
    today = city[1]["today"]
    d0 = city[1]["days"][0]
    recap = read_csv(c.http.get(f"/download/recap.csv?month={today:%Y-%m}&format=csv"))
    assert recap and {r["unit_kode"] for r in recap} == {"DAMKAR"}
    units_month = read_csv(c.http.get(f"/download/unit_recap.csv?month={today:%Y-%m}&format=csv"))
    assert [r["unit_kode"] for r in units_month] == ["DAMKAR"]
    raw = read_csv(c.http.get(f"/download/checkins.csv?from={d0}&to={today}&format=csv"))
    assert raw and {r["unit_code"] for r in raw} == {"DAMKAR"}
    units = read_csv(c.http.get(f"/download/units.csv?from={d0}&to={today}&format=csv"))
    assert units and {r["unit_code"] for r in units} == {"DAMKAR"}
    assert c.http.get(f"/download/map.html?date={today}&unit=DINKES").status_code == 404
    page = c.http.get(f"/download/map.html?date={today}").get_data(as_text=True)
    assert "Pegawai DAMKAR" in page and "Pegawai DINKES" not in page


def test_kepala_unit_callbacks_do_not_leak(app, city):
    c = client(app, "kadamkar")
    # the wall's tick, as a logged-in kepala_unit: only its own units
    status, out = c.callback(
        [("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"), ("wall-ticker", "children"),
         ("wall-date", "children"), ("wall-version", "data"), ("wall-heartbeat", "data")],
        [("wall-tick", "n_intervals", 1)], [("wall-version", "data", -1), ("wall-token", "data", None), ("wall-scale", "data", 1)])
    text = json.dumps(out)
    assert status == 200 and "Dinas Kesehatan" not in text and "Pegawai DINKES" not in text
    # navigation callbacks only rewrite the URL; the page they lead to is checked above
    status, out = c.callback([("url", "search")], [("ov-bars", "clickData", {"points": [{"customdata": "DINKES"}]})],
                             [("url", "search", "")], changed="ov-bars.clickData", key=c.output_key("ov-bars"))
    assert status == 200
    status, text = c.page("/overview", out["url"]["search"])
    assert '"id": "nothing"' in text


def test_full_downloads_parse_for_bkpp(app, city):
    c = client(app, "bkpp")
    today = city[1]["today"]
    recap = read_csv(c.http.get(f"/download/recap.csv?month={today:%Y-%m}&format=csv"))
    # the same rows and columns as `pantau recap` (ingest.recap)
    assert {r["unit_kode"] for r in recap} == {"SETDA", "DINKES", "PKM-CLG", "DAMKAR"}
    assert set(recap[0]) >= {"nip", "nama", "tl1", "tl4", "psw1", "tk", "potongan_persen"}
    assert all(float(r["potongan_persen"]) <= 100 for r in recap)
    raw = read_csv(c.http.get(f"/download/checkins.csv?from={today}&to={today}&format=csv"))
    assert any(r["verdict"] == "refused" and r["reasons"] == "outside_geofence" for r in raw)
    assert all(r["zone"] == "Asia/Jakarta" and len(r["captured_at_local"]) == 19 for r in raw)


def test_wall_kiosk_token_and_revocation(app, city):
    rt = city[0]
    c = client(app)
    outputs = [("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"),
               ("wall-ticker", "children"), ("wall-date", "children"), ("wall-version", "data"),
               ("wall-heartbeat", "data")]
    tick = lambda token, version=-1, scale=1: c.callback(
        outputs, [("wall-tick", "n_intervals", 1)],
        [("wall-version", "data", version), ("wall-token", "data", token), ("wall-scale", "data", scale)])
    assert tick("wrong-token")[0] == 204
    status, out = tick(KIOSK_TOKEN)
    assert status == 200 and "wall-tiles" in out
    # the same version again: only the heartbeat comes back, nothing to redraw
    status, again = tick(KIOSK_TOKEN, out["wall-version"]["data"])
    assert status == 200 and set(again) == {"wall-heartbeat"}
    assert tick(KIOSK_TOKEN, "nonsense", "abc")[0] == 200  # tampered state: answered, not a 500
    # a 4K screen (scale 2) gets the same data redrawn with bigger text
    status, big = tick(KIOSK_TOKEN, out["wall-version"]["data"], 2)
    assert big["wall-bars"]["figure"]["layout"]["font"]["size"] == 2 * out["wall-bars"]["figure"]["layout"]["font"]["size"]
    assert big["wall-map"]["figure"]["data"][0]["x"]  # a new scale: the whole map, outlines too
    # something changed (a rebuild moves the version): the outlines the wall holds are kept,
    # only the check-in traces are sent
    from ingest import live
    from foundation import clock

    live.rebuild(rt, clock.today(rt.config.zone))
    status, later = tick(KIOSK_TOKEN, big["wall-version"]["data"], 2)
    patch = later["wall-map"]["figure"]
    assert status == 200 and "__dash_patch_update" in patch and "wall-bars" in later
    assert sorted(op["location"] for op in patch["operations"]) == [["data", i] for i in range(2, 6)]
    from queries import users

    with rt.transaction() as conn:
        users.revoke_kiosk_token(conn, city[1]["kiosk"]["id"])
    app.server.extensions["pantau_cache"].clear()  # instead of waiting out the 30 s cache
    assert tick(KIOSK_TOKEN)[0] == 204
    status, text = c.page("/overview", f"?kiosk={KIOSK_TOKEN}")
    assert "Pegawai" not in text


def test_arrivals_read_from_whole_weeks_match_the_days(make_runtime):
    import datetime as dt

    rt = make_runtime(ROOT / "config.yaml", "weeks")
    days = seed_city(rt, past_days=20)["days"]  # closed days spanning whole weeks, then today (live)
    with rt.connection() as conn:
        assert qd.whole_weeks(days[0], days[-1], qd.rolled_up_to(conn, "arrival_rollup"))  # the weekly path is taken
        for scope in (None, "SETDA/DAMKAR/"):
            ranged = qd.arrival_buckets(conn, days[0], days[-1], scope)
            by_day = [b for d in days for b in qd.arrival_buckets(conn, d, d, scope)]  # one day: never a whole week
            assert ranged and _sum_buckets(ranged) == _sum_buckets(by_day)
    assert qd.whole_weeks(dt.date(2026, 7, 15), dt.date(2026, 10, 14), dt.date(2026, 11, 20)) == (
        dt.date(2026, 7, 20), dt.date(2026, 10, 5))                          # Wednesday to Wednesday
    assert qd.whole_weeks(dt.date(2026, 10, 1), dt.date(2026, 10, 5), dt.date(2026, 11, 1)) is None


def _sum_buckets(buckets) -> dict:
    out: dict = {}
    for b in buckets:
        out[(b["unit_code"], b["utc_minute"])] = out.get((b["unit_code"], b["utc_minute"]), 0) + b["people"]
    return out


def test_rollups_and_live_days_agree(city):
    rt, data = city
    with rt.connection() as conn:
        rows = qd.unit_day_counts(conn, data["days"][0], data["today"], None)
    assert {r["work_date"] for r in rows} == set(data["days"])  # closed days rolled up, today live
    today_counts = summary.totals(r for r in rows if r["work_date"] == data["today"])
    assert today_counts["expected"] == sum(len(v) for v in data["people"].values())
    assert today_counts["not_yet"] >= 1 and today_counts["late"] >= 1


def test_by_child_sums_subtrees(city):
    config = city[0].config
    rows = [{"unit_code": "DINKES", "expected": 2, "present": 1, "late": 1},
            {"unit_code": "PKM-CLG", "expected": 3, "present": 3, "late": 0},
            {"unit_code": "DAMKAR", "expected": 1, "present": 0, "late": 0}]
    top = summary.by_child(rows, config, None)
    assert [(r["unit_code"], r["expected"], r["present"]) for r in top] == [("SETDA", 6, 4)]
    under = {r["unit_code"]: r for r in summary.by_child(rows, config, "SETDA")}
    assert under["DINKES"]["expected"] == 5 and under["DINKES"]["present_pct"] == 80.0
    assert under["DAMKAR"]["present_pct"] == 0.0


def test_wall_view_hides_names_when_told(city):
    config = city[0].config
    snap = {"units": {"DINKES": {"expected": 4, "present": 2, "late": 1, "leave": 1, "absent": 0, "not_yet": 1,
                                 "on_time": 1}},
            "totals": {"expected": 4, "present": 2, "late": 1, "leave": 1, "absent": 0, "not_yet": 1, "on_time": 1},
            "latest": [{"at": "2026-11-23T00:41:00+00:00", "nip": "1" * 18, "name": "Siti Aminah",
                        "unit_code": "DINKES", "verdict": "accepted", "session": "in", "minutes_late": 11,
                        "lat": -6.0, "lon": 106.05}]}
    from dashboard.auth import Viewer

    hidden = wall.view(snap, config, Viewer("tv", "kiosk", show_names=False))
    shown = wall.view(snap, config, Viewer("tv", "kiosk", show_names=True))
    assert "Siti" not in hidden["ticker"][0] and "07.41 WIB" in hidden["ticker"][0]
    assert "Siti Aminah" in shown["ticker"][0] and "terlambat 11" in shown["ticker"][0]
    assert hidden["tiles"]["on_leave"] == 1 and hidden["units"][0]["unit_code"] == "DINKES"


def test_every_callback_as_another_units_head_returns_nothing_of_theirs(app, city):
    """Each registered callback, called as DAMKAR's head with inputs aimed at DINKES."""
    c = client(app, "kadamkar")
    today = str(city[1]["today"])
    calls = {
        "url": ([("page", "children")], [("url", "pathname", "/overview"), ("url", "search", "?unit=DINKES")], []),
        "ov-dates": ([("url", "search")], [("ov-dates", "start_date", today), ("ov-dates", "end_date", today),
                                           ("ov-status", "value", ""), ("ov-kind", "value", "")],
                     [("url", "search", "?unit=DINKES")]),
        "ov-bars": ([("url", "search")], [("ov-bars", "clickData", {"points": [{"customdata": "DINKES"}]})],
                    [("url", "search", "")]),
        "ov-search": ([("ov-search-results", "children")],
                      [("ov-search", "value", city[1]["people"]["DINKES"][0]["name"])], []),
        "map-date": ([("url", "search")], [("map-date", "date", today), ("map-unit", "value", "DINKES")],
                     [("url", "search", "")]),
        "tr-dates": ([("url", "search")], [("tr-dates", "start_date", today), ("tr-dates", "end_date", today),
                                           ("tr-grain", "value", "day"), ("tr-unit", "value", "DINKES")],
                     [("url", "search", "")]),
        "dl-dates": ([("dl-recap", "href"), ("dl-unit-recap", "href"), ("dl-units", "href"), ("dl-checkins", "href")],
                     [("dl-dates", "start_date", today), ("dl-dates", "end_date", today),
                      ("dl-month", "value", today[:7]), ("dl-format", "value", "excel")], []),
        "wall-tick": ([("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"),
                       ("wall-ticker", "children"), ("wall-date", "children"), ("wall-version", "data"),
                       ("wall-heartbeat", "data")], [("wall-tick", "n_intervals", 1)],
                      [("wall-version", "data", -1), ("wall-token", "data", None), ("wall-scale", "data", 1)]),
        "pv-tick": ([("pv-body", "children")], [("pv-tick", "n_intervals", 1)], []),   # /provinsi: provinsi only
    }
    server_side = {cb["inputs"][0]["id"] for cb in app.callback_map.values() if cb.get("callback")}
    # the administration pages' callbacks have the same test in test_admin_dashboard
    assert server_side - ADMIN_CALLBACKS - ROW_CALLBACKS == set(calls)  # a new callback must be added here
    secret = names(city, "DINKES") + [p["nip"] for p in city[1]["people"]["DINKES"]]
    for input_id, (outputs, inputs, state) in calls.items():
        status, out = c.callback(outputs, inputs, state, key=c.output_key(input_id))
        text = json.dumps(out)
        assert status in (200, 204) and not any(s in text for s in secret), input_id
        if status == 204:
            continue
        for value in out.values():  # a URL it leads to renders nothing of DINKES either
            search = value.get("search")
            if search:
                path = {"map-date": "/map", "tr-dates": "/trends"}.get(input_id, "/overview")
                status, page = c.page(path, search)
                assert not any(s in page for s in secret), (input_id, search)
        for href in (v.get("href") for v in out.values()):
            if href:
                assert not any(s in c.http.get(href).get_data(as_text=True) for s in secret), href


def test_branch_counts_sum_subtrees_like_unit_counts(city):
    rt, data = city
    d0, d1 = data["days"][0], data["today"]
    with rt.connection() as conn:
        units = qd.unit_day_counts(conn, d0, d1, None)
        branches = qd.branch_counts(conn, d0, d1, None, "SETDA/", by_day=False)
        scoped = qd.branch_counts(conn, d0, d1, "SETDA/DAMKAR/", "SETDA/", by_day=True)
    by_branch = {b["branch"]: b for b in branches}
    dinkes = [u for u in units if u["unit_code"] in ("DINKES", "PKM-CLG")]
    assert by_branch["DINKES"]["present"] == sum(u["present"] for u in dinkes)
    assert by_branch[""]["expected"] == sum(u["expected"] for u in units if u["unit_code"] == "SETDA")
    assert {b["branch"] for b in scoped} == {"DAMKAR"}


def test_trends_page_shows_branches_and_ranking(app, city):
    c = client(app, "sekda")
    d0, d1 = city[1]["days"][0], city[1]["today"]
    status, text = c.page("/trends", f"?from={d0}&to={d1}&unit=SETDA&grain=week")
    assert status == 200 and "tr-heatmap" in text and "Dinas Kesehatan" in text and "Dinas Pemadam" in text
    assert '"tr-worst"' in text


BAD_INPUTS = [
    ("/overview", "?employee=abc&month=2026-13"), ("/overview", "?from=kemarin&to=2026-02-30"),
    ("/overview", "?unit=TIDAK-ADA"), ("/overview", "?from=1900-01-01&to=2999-12-31&status=xyz&kind=zz"),
    ("/trends", "?grain=decade&from=x"), ("/trends", "?unit=TIDAK-ADA"), ("/map", "?date=31-12-2026"),
    ("/map", "?unit=TIDAK-ADA"), ("/nowhere", ""),
]


@pytest.mark.parametrize("path,search", BAD_INPUTS)
def test_bad_url_input_is_answered_not_crashed(app, path, search):
    status, text = client(app, "bkpp").page(path, search)
    assert status == 200 and text


@pytest.mark.parametrize("url", ["/download/recap.csv?month=2026-99", "/download/checkins.csv?from=x&to=y",
                                 "/download/units.csv?from=2001-01-01&to=2099-01-01",
                                 "/download/unit_recap.csv?month=abc", "/download/map.html?date=no"])
def test_bad_download_input_is_answered_not_crashed(app, url):
    res = client(app, "bkpp").http.get(url)
    assert res.status_code == 200 and res.get_data()


def test_selfie_needs_role_scope_and_a_real_hash(app, city):
    import datetime as dt
    import hashlib

    from queries import dashboard_seed

    rt, data = city
    photo = b"\xff\xd8\xff\xe0 not really a jpeg"
    real = hashlib.sha256(photo).hexdigest()
    person = data["people"]["DINKES"][1]
    with rt.transaction() as conn:
        dashboard_seed.add_check_ins(conn, [{
            "event_key": f"test:selfie:{real}", "source": "mobile", "employee_id": person["id"],
            "captured_at": dt.datetime.now(dt.timezone.utc), "work_date": data["today"], "session": "out",
            "verdict": "accepted", "reasons": [], "selfie_sha256": real}])
    from ingest import selfies

    assert selfies.store(rt.settings.selfie_dir, photo) == real
    assert client(app, "kadinkes").http.get(f"/selfie/{real}").data == photo
    assert client(app, "kadamkar").http.get(f"/selfie/{real}").status_code == 404  # another unit
    sha = "a" * 64
    assert client(app, "bkpp").http.get("/selfie/not-a-hash").status_code == 404
    assert client(app, "bkpp").http.get(f"/selfie/{sha}").status_code == 404  # no such check-in
    assert client(app, "sekda").http.get(f"/selfie/{sha}").status_code == 404  # role not in selfie_roles
    assert client(app).http.get(f"/selfie/{sha}").status_code == 302  # not logged in: to the login page


def test_refresh_command_rolls_up_closed_days(city, monkeypatch, capsys):
    rt, data = city
    for k, v in runtime_env(rt).items():
        monkeypatch.setenv(k, v)
    assert cli.main(["dashboard", "refresh"]) == 0
    assert "refreshed" in capsys.readouterr().out
    with rt.connection() as conn:
        from queries import db

        rolled = db.scalar(conn, "SELECT count(DISTINCT work_date) FROM unit_day_rollup")
    assert rolled == len(data["days"]) - 1  # every closed day; today stays live


def test_tampered_callback_inputs_are_answered_not_crashed(app):
    c = client(app, "sekda")
    junk = [{"a": 1}, 12, ["x"], None]
    for value in junk:
        assert c.page("/overview", value)[0] == 200
        status, _ = c.callback([("url", "search")], [("ov-bars", "clickData", value)], [("url", "search", value)],
                               key=c.output_key("ov-bars"))
        assert status in (200, 204)
        status, _ = c.callback([("url", "search")], [("map-date", "date", value), ("map-unit", "value", value)],
                               [("url", "search", "")], key=c.output_key("map-date"))
        assert status in (200, 204)


def test_wall_bars_label_every_unit_at_the_walls_text_size():
    from dashboard import figures

    long = "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan Keluarga Berencana"
    units = [{"unit_code": f"U{i}", "name": long if i == 0 else f"Unit {i}", "expected": 10, "present": i % 10,
              "late": 1, "on_leave": 0, "tk": 0, "not_yet": 10 - i % 10} for i in range(wall.MAX_BARS)]
    fig = figures.unit_bars(units, wall=True, scale=2.0, note="1–15 terendah dari 155 unit · halaman 1/11")
    layout = fig["layout"]
    assert layout["yaxis"]["dtick"] == 1 and len(layout["yaxis"]["ticktext"]) == wall.MAX_BARS  # none skipped
    # every text of the chart is the wall's 24 px, doubled on a 4K screen
    assert {layout["yaxis"]["tickfont"]["size"], layout["font"]["size"],
            layout["annotations"][0]["font"]["size"], fig["data"][0]["textfont"]["size"]} == {48}
    # a long name is cut at a word; the bar keeps the full name (hover, drill-down)
    assert layout["yaxis"]["ticktext"][-1] == "Dinas Pemberdayaan Perempuan …" and long in fig["data"][0]["y"]
    assert layout["showlegend"] is False        # the wall's legend is the page's, above the chart
    assert "15 terendah dari 155" in layout["annotations"][0]["text"]
    assert layout["annotations"][0]["y"] == 1 and layout["annotations"][0]["yanchor"] == "bottom"  # over the bars


def test_the_wall_turns_pages_until_every_unit_was_shown():
    n = wall.MAX_BARS                                                                  # bars per page
    ranked = [{"unit_code": f"U{i:03d}", "name": f"Unit {i}"} for i in range(2 * n + 10)]  # highest first
    pages = [wall.page_of(ranked, p) for p in range(wall.page_count(ranked))]
    assert len(pages) == 3 and wall.page_of(ranked, 3) == pages[0]                  # it wraps round
    seen = [u["unit_code"] for shown, _ in pages for u in shown]
    assert sorted(seen) == sorted(u["unit_code"] for u in ranked) and len(seen) == len(ranked)  # each once
    first, caption = pages[0]
    assert [u["unit_code"] for u in first] == [f"U{i:03d}" for i in range(n + 10, 2 * n + 10)]  # the lowest first
    assert caption == f"1–{n} terendah dari {2 * n + 10} unit · halaman 1/3"
    assert pages[2][1].startswith(f"{2 * n + 1}–{2 * n + 10} ")
    assert wall.page_of(ranked[:n], 4) == (ranked[:n], None)                         # one page: no caption
    assert wall._pages("17@1#2/3") == 3 and wall._pages(-1) == 1 and wall._pages("x/y") == 1


def test_bundles_are_served_gzipped_and_the_worker_is_warmed(app):
    import gzip
    import re

    from dashboard import warm as warming

    warming.warm(app)
    c = app.server.test_client()
    shell = c.get("/wall").get_data(as_text=True)
    srcs = re.findall(r'src="(/_dash-component-suites/[^"]+\.js)"', shell)
    assert srcs
    for src in srcs[:3] + [s for s in re.findall(r'href="(/assets/[^"]+\.css[^"]*)"', shell)]:
        plain = c.get(src)
        packed = c.get(src, headers={"Accept-Encoding": "gzip, deflate"})
        assert plain.status_code == packed.status_code == 200 and "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == plain.data
        assert "Accept-Encoding" in packed.headers["Vary"]
    assert c.get("/_dash-dependencies", headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") is None
    # a browser that holds the gzip revalidates it with our tag: nothing is sent again
    # (plotly.js has no fingerprint in its URL, so it is revalidated on every page load)
    for src in warming.ASYNC_BUNDLES + ("/assets/pantau.css",):
        first = c.get(src, headers={"Accept-Encoding": "gzip"})
        again = c.get(src, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
        assert first.status_code == 200 and again.status_code == 304 and again.data == b"", src
        assert again.headers["ETag"] == first.headers["ETag"]


def test_search_finds_an_employee_by_name_or_nip_inside_the_viewers_scope(app, city):
    person = city[1]["people"]["DINKES"][0]
    nip = person["nip"]
    spaced = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"     # as printed on official documents
    for username, words, found in (("sekda", person["name"][-6:], True), ("sekda", nip[:12], True),
                                   ("sekda", spaced, True), ("kadinkes", person["name"], True),
                                   ("kadamkar", person["name"], False), ("kadamkar", nip, False),
                                   ("sekda", "%", False), ("sekda", "zz", False)):
        c = client(app, username)
        status, out = c.callback([("ov-search-results", "children")], [("ov-search", "value", words)], [],
                                 key=c.output_key("ov-search"))
        assert status == 200, (username, words)
        shown = json.dumps(out)
        assert (f"employee={person['id']}" in shown) is found, (username, words)
        assert (nip in shown) is found


def test_a_new_page_shows_a_spinner_the_wall_tick_does_not_and_today_says_how_fresh(app, city):
    loading = app.layout.children[1]
    assert type(loading).__name__ == "Loading" and loading.target_components == {"page": "children"}
    assert loading.children.id == "page" and loading.delay_show > 0
    c = client(app, "sekda")
    status, page = c.page("/overview", "")
    assert status == 200 and "Diperbarui " in page and "ov-updated" in page
    status, past = c.page("/overview", f"?from={city[1]['days'][0]}&to={city[1]['days'][0]}")
    assert status == 200 and "ov-updated" not in past           # a closed day is not live


def test_map_popups_speak_in_words_and_verdicts_have_colour_blind_safe_colours(runtime):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from dashboard import figures, maps

    wib = ZoneInfo("Asia/Jakarta")
    point = {"name": "Siti", "nip": "1" * 18, "captured_at": dt.datetime(2026, 11, 23, 7, 41, tzinfo=wib),
             "verdict": "refused", "minutes_late": None, "source": "mobile", "distance_m": 412.0,
             "office_code": "DINKES-1", "reasons": ["outside_geofence", "poor_accuracy"]}
    office = runtime.config.office_by_code["DINKES-1"].name
    shown = maps.popup_html({**point, "office_name": office}, wib, "WIB", True, False)
    assert "di luar geofence kantor" in shown and "akurasi GPS buruk" in shown and "outside_geofence" not in shown
    assert f"412 m dari {office}" in shown and "DINKES-1" not in shown
    # a colour and a label for each verdict (told apart with colour blindness: test_palettes.py)
    assert set(figures.VERDICT_COLORS) == set(figures.VERDICT_LABELS)
    assert runtime.config.dashboard.tile_url is None                  # the default asks no outside host


def test_the_wall_ticker_is_in_time_order_with_one_clock_format(runtime):
    from dashboard.pages.wall import ticker_lines

    def item(at: str, name: str) -> dict:
        return {"at": at, "nip": "1" * 18, "name": name, "unit_code": "DINKES", "verdict": "accepted",
                "session": "in", "minutes_late": 0}
    # as they arrived: an offline burst (07:05, 07:18) after an 07:32 check-in
    snap = {"latest": [item("2026-11-23T00:32:00+00:00", "C"), item("2026-11-23T00:05:00+00:00", "A"),
                       item("2026-11-23T00:18:00+00:00", "B")]}
    lines = ticker_lines(snap, runtime.config, True, 10)
    assert [line.split(" · ")[1] for line in lines] == ["C", "B", "A"]        # newest made first
    assert lines[0].startswith("07.32 WIB") and ":" not in lines[0].split(" · ")[0]
