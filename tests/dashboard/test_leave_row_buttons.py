"""/admin/leave: each pending request has its own Setujui / Tolak buttons (and comment), so
a decision is one click on the row, inside the viewer's units."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from ingest import leave_requests
from queries import leave as ql
from tests.conftest import ROOT
from tests.support.admin import PDF
from tests.support.city import seed_city
from tests.support.dash_client import logged_in as client

OUTPUTS = [("lv-result", "children"), ("lv-list", "children"), ("lv-choice", "options")]


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "lvrows")
    data = seed_city(rt)
    later = data["today"] + dt.timedelta(days=20)
    data["leaves"] = [leave_requests.request(rt, p["id"], "sakit", later, later, "demam", [
        leave_requests.Document("surat.pdf", PDF)])["id"] for p in data["people"]["DINKES"][:2]]
    return rt, data


def _press(c, app, ids: list[int], button: str, pressed: int, notes: dict[int, str]):
    """The row callback as the browser sends it: every row's buttons and notes, one pressed."""
    key = next(k for k, cb in app.callback_map.items() if "lv-row-approve" in str(cb["inputs"][0]["id"]))

    def buttons(kind):
        return [{"id": {"index": i, "type": kind}, "property": "n_clicks",
                 "value": 1 if (kind == button and i == pressed) else None} for i in ids]
    body = {"output": key, "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
            "inputs": [buttons("lv-row-approve"), buttons("lv-row-reject")],
            "state": [[{"id": {"index": i, "type": "lv-row-note"}, "property": "value", "value": notes.get(i)}
                       for i in ids],
                      [{"id": {"index": i, "type": "lv-row-note"}, "property": "id",
                        "value": {"index": i, "type": "lv-row-note"}} for i in ids]],
            "changedPropIds": [json.dumps({"index": pressed, "type": button}, separators=(",", ":"))
                               + ".n_clicks"]}
    res = c.http.post("/_dash-update-component", data=json.dumps(body),
                      headers={"Content-Type": "application/json", "X-CSRFToken": c.csrf()})
    return res.status_code, res.get_data(as_text=True)


def _state(rt, leave_id) -> str:
    with rt.connection() as conn:
        return ql.leave_for_decision(conn, leave_id)["state"]


def test_each_row_approves_or_rejects_its_own_request(app, city):
    rt, data = city
    first, second = data["leaves"]
    _, page = client(app, "kadinkes").page("/admin/leave")
    assert page.count('"lv-row-approve"') == 2 and page.count('"lv-row-reject"') == 2
    other = client(app, "kadamkar")                                    # not their unit: nothing happens
    status, text = _press(other, app, [first, second], "lv-row-approve", first, {})
    assert status in (200, 204) and _state(rt, first) == "pending"
    assert not any(p["name"] in text or p["nip"] in text for p in data["people"]["DINKES"])
    c = client(app, "kadinkes")
    status, text = _press(c, app, [first, second], "lv-row-reject", second, {})
    assert status == 200 and "Komentar wajib" in text and _state(rt, second) == "pending"
    status, text = _press(c, app, [first, second], "lv-row-reject", second, {second: "surat tidak sah"})
    assert status == 200 and f"Pengajuan {second} ditolak" in text and _state(rt, second) == "rejected"
    status, text = _press(c, app, [first], "lv-row-approve", first, {})
    assert status == 200 and f"Pengajuan {first} disetujui" in text and _state(rt, first) == "approved"
    assert _state(rt, second) == "rejected"                             # the other row untouched
