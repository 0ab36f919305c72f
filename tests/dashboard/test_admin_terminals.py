"""/admin/terminals and the wall's silent-terminal mark, through the Dash test client."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from ingest import live
from ingest.terminals import registry
from ingest.worker import Worker
from foundation import clock
from queries import audit
from queries import terminals as qt
from tests.conftest import ROOT
from tests.support.city import seed_city
from tests.support.dash_client import logged_in as client

QUIET, ALIVE, NEW = "TDASH-QUIET-1", "TDASH-ALIVE-1", "TDASH-NEW-1"
SYNC = ([("tm-result", "children"), ("tm-list", "children")], [("tm-sync", "n_clicks", 1)])
WALL = [("wall-tiles", "children"), ("wall-bars", "figure"), ("wall-map", "figure"), ("wall-ticker", "children"),
        ("wall-date", "children"), ("wall-version", "data"), ("wall-heartbeat", "data")]


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "tdash")
    data = seed_city(rt)
    now = clock.now()
    registry.approve(rt, QUIET, "DINKES-1", actor="test")
    registry.approve(rt, ALIVE, "KANTOR-WALIKOTA", actor="test")
    with rt.transaction() as conn:
        qt.touch(conn, QUIET, now - dt.timedelta(hours=3), heartbeat=True, firmware="Ver 6.60 Q")
        qt.touch(conn, ALIVE, now, heartbeat=True, firmware="Ver 8.0.4")
        qt.touch(conn, NEW, now, heartbeat=True)             # never approved: pending
    return rt, data


def _row(page: str, sn: str) -> list:
    """The table row of `sn` from the rendered page's JSON."""
    def walk(node):
        if isinstance(node, dict) and "props" not in node:
            yield from walk(list(node.values()))
        elif isinstance(node, dict):
            props = node["props"]
            if props.get("className") == "terminal-row":
                cells = [c["props"]["children"] for c in props["children"]]
                if cells[0] == sn:
                    yield cells
            yield from walk(props.get("children"))
        elif isinstance(node, list):
            for n in node:
                yield from walk(n)
    found = list(walk(json.loads(page)))
    assert len(found) <= 1
    return found[0] if found else []


def test_the_page_labels_silent_online_and_pending_terminals(app):
    _, page = client(app, "bkpp").page("/admin/terminals")
    quiet, alive, new = _row(page, QUIET), _row(page, ALIVE), _row(page, NEW)
    assert quiet[2:4] == ["DINKES", "Senyap"] and quiet[7] == "Ver 6.60 Q"
    assert alive[2:4] == ["SETDA", "Terhubung"] and alive[4].endswith(" WIB")
    assert new[3] == "Menunggu persetujuan"
    assert "Senyap: 1" in page and "Terhubung: 1" in page and "Baris log tersimpan belum diterapkan: 0" in page
    assert "tm-sync" in page
    _, sekda = client(app, "sekda").page("/admin/terminals")        # reads, cannot sync
    assert _row(sekda, QUIET) and "tm-sync" not in sekda
    _, kadinkes = client(app, "kadinkes").page("/admin/terminals")  # only DINKES's offices
    assert _row(kadinkes, QUIET) and not _row(kadinkes, ALIVE) and not _row(kadinkes, NEW)
    assert "tm-backlog" not in kadinkes and "Senyap: 1" in kadinkes
    _, kadamkar = client(app, "kadamkar").page("/admin/terminals")
    assert QUIET not in kadamkar and ALIVE not in kadamkar and "Tidak ada mesin presensi" in kadamkar


def test_time_sync_is_queued_for_bkpp_only(app, city):
    rt, _ = city
    state = [("tm-sn", "value", QUIET)]
    for c in (client(app, "kadinkes"), client(app, "sekda"), client(app)):
        status, _ = c.callback(*SYNC, state, key=c.output_key("tm-sync"))
        assert status in (204, 302, 401)
    with rt.connection() as conn:
        assert qt.commands(conn, QUIET) == []
    c = client(app, "bkpp")
    status, out = c.callback(*SYNC, state, key=c.output_key("tm-sync"))
    text = json.dumps(out)
    with rt.connection() as conn:
        [cmd] = qt.commands(conn, QUIET)
        entries = [{k: e[k] for k in ("actor", "action", "after")}
                   for e in audit.entries(conn, "terminal.command.time_sync", target=QUIET)]
    assert status == 200 and f"(perintah {cmd['id']})" in text and cmd["kind"] == "time_sync"
    assert entries == [{"actor": "bkpp", "action": "terminal.command.time_sync", "after": {"command_id": cmd["id"]}}]
    status, out = c.callback(*SYNC, [("tm-sn", "value", "NO-SUCH-SN")], key=c.output_key("tm-sync"))
    assert status == 200 and "refusal" in json.dumps(out) and "not registered" in json.dumps(out)


def test_the_worker_counts_silent_terminals_and_the_wall_shows_them(app, city):
    rt, _ = city
    day = clock.today(rt.config.zone)
    rt.redis.delete(live.silent_terminals_key(rt, day))
    assert live.wall_state(rt, day)[1] is None
    Worker(rt).tick()
    assert live.wall_state(rt, day)[1] == 1
    c = client(app, "kada")

    def tick(version):
        return c.callback(WALL, [("wall-tick", "n_intervals", 1)],
                          [("wall-version", "data", version), ("wall-token", "data", None), ("wall-scale", "data", 1)])
    status, out = tick(-1)
    header = json.dumps(out["wall-date"])
    assert status == 200 and "Mesin senyap: 1" in header and "silent-mark alert" in header
    status, again = tick(out["wall-version"]["data"])
    assert status == 200 and set(again) == {"wall-heartbeat"}             # no change: nothing redrawn
    live.set_silent_terminals(rt, day, 0)
    status, calm = tick(out["wall-version"]["data"])
    header = json.dumps(calm["wall-date"])
    assert "Mesin senyap: 0" in header and "alert" not in header         # a change redraws
    status, scoped = client(app, "kadamkar").callback(
        WALL, [("wall-tick", "n_intervals", 1)],
        [("wall-version", "data", -1), ("wall-token", "data", None), ("wall-scale", "data", 1)])
    assert status == 200 and "Mesin senyap" not in json.dumps(scoped)   # the region's count only


def test_rejected_lines_are_listed_with_their_reason_in_indonesian(app, city):
    from ingest.terminals import protocol, punches

    rt, _ = city
    _, huge = protocol.parse_attlog(f"{'9' * 5000}\t2026-12-01 07:00:00\t0\t1\n")
    punches.receive(rt, QUIET, [], huge, via="push")
    future, _ = protocol.parse_attlog("77\t2031-01-05 07:00:00\t0\t1\n")
    punches.receive(rt, ALIVE, future, [], via="file")
    def shown(role: str) -> str:
        return json.dumps(json.loads(client(app, role).page("/admin/terminals")[1]), ensure_ascii=False)

    page = shown("bkpp")
    assert "Baris ditolak: 2" in page
    assert "PIN tidak sah (harus 1–24 huruf atau angka)" in page and "Waktu di masa depan (jam mesin salah)" in page
    assert "pin_invalid" not in page and "time_future" not in page
    assert f"{'9' * 80}… (5.024 karakter)" in page and "Berkas USB" in page and "Kirim langsung" in page
    kadinkes = shown("kadinkes")     # only DINKES's terminal
    assert "Baris ditolak: 1" in kadinkes and "PIN tidak sah" in kadinkes and "masa depan" not in kadinkes
