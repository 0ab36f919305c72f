"""The event's QR screen on the venue's screen: a signed link (/qr?event=ID&key=...) shows
that event's rotating code without a BKPP login, and nothing else."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from ingest import events
from tests.conftest import ROOT
from tests.support.city import seed_city
from tests.support.dash_client import DashClient, logged_in as client

TICK = ([("qr-block", "children")], [("qr-tick", "n_intervals", 1)])


@pytest.fixture(scope="module")
def city(make_runtime):
    rt = make_runtime(ROOT / "config.yaml", "qrvenue")
    data = seed_city(rt)
    made = [events.create_event(
        rt, "bkpp", name=f"Apel {n}", kind="apel", event_date=data["today"],
        opens_at=dt.datetime.combine(data["today"], dt.time(0, 1), rt.config.zone),
        closes_at=dt.datetime.combine(data["today"], dt.time(23, 59), rt.config.zone),
        place=events.Place(office_code="DINKES-1"), invited_units=["DINKES"]) for n in ("Senin", "Jumat")]
    data["events"] = [e["id"] if isinstance(e, dict) else e for e in made]
    return rt, data


def test_bkpp_gets_the_venue_link_and_it_opens_without_a_login(app, city):
    rt, data = city
    first, second = data["events"]
    _, page = client(app, "bkpp").page("/admin/qr", f"?event={first}")
    key = events.screen_key(rt.settings.secret_key, first)
    assert f"/qr?event={first}&key={key}" in page and "qr-venue-link" in page
    venue = DashClient(app)                                          # no login at all
    assert venue.http.get(f"/qr?event={first}&key={key}").status_code == 200
    _, shown = venue.page("/qr", f"?event={first}&key={key}")
    assert "qr-image" in shown and "data-token" in shown and "Apel Senin" in shown
    assert "qr-venue-link" not in shown                             # the link is BKPP's to hand out
    status, out = venue.callback(*TICK, [("qr-event", "data", first)], key=venue.output_key("qr-tick"))
    token = json.dumps(out).split('"data-token": "')[1].split('"')[0]
    assert status == 200 and events.token_problem(rt.settings.secret_key, first, token, _now()) is None
    status, _ = venue.callback(*TICK, [("qr-event", "data", second)], key=venue.output_key("qr-tick"))
    assert status == 204                                             # another event: nothing


def test_a_wrong_key_or_another_event_shows_nothing(app, city):
    rt, data = city
    first, second = data["events"]
    key = events.screen_key(rt.settings.secret_key, first)
    for search in (f"?event={second}&key={key}", f"?event={first}&key={'0' * 32}", f"?event={first}"):
        c = DashClient(app)
        _, shown = c.page("/qr", search)
        assert "qr-image" not in shown and "data-token" not in shown, search
        _, admin = c.page("/admin/qr", search)
        assert "qr-image" not in admin
        status, _ = c.callback(*TICK, [("qr-event", "data", first)], key=c.output_key("qr-tick"))
        assert status == 204


def _now():
    from foundation import clock
    return clock.now()
