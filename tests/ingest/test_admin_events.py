"""Events attended by a rotating QR code: signature, expiry, window, geofence, invitation."""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from ingest import events, leave
from queries import audit
from queries import events as qe
from tests.support import admin, factories
from tests.support.phones import body, new_phone

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2027, 3, 8, 7, 40, tzinfo=WIB)   # a Monday apel


def _event(rt, **kw) -> int:
    args = dict(name="Apel pagi", kind="apel", event_date=NOW.date(), opens_at=NOW - dt.timedelta(minutes=20),
                closes_at=NOW + dt.timedelta(minutes=20), place=events.Place(office_code="DINKES-1"),
                invited_units=["DINKES"], compulsory=True, deduction_percent=0.5)
    args.update(kw)
    return events.create_event(rt, "bkpp:test", **args)


def _scan(client, rt, phone, event_id, token, north_m=0.0, scan_id=None):
    b = body(rt, NOW, north_m=north_m)
    return client.post(f"/api/v1/events/{event_id}/attend", headers=phone["headers"],
                       json={"event_id": scan_id or str(uuid.uuid4()), "token": token, "location": b["location"]})


def test_a_fresh_token_is_accepted_once_and_the_lists_follow(runtime, client):
    event_id = _event(runtime)
    phone, absent = new_phone(runtime, client), factories.employee(runtime, "DINKES")
    scan = str(uuid.uuid4())
    r = _scan(client, runtime, phone, event_id, events.qr_token(runtime.settings.secret_key, event_id, NOW),
              scan_id=scan)
    assert r.status_code == 201 and r.json()["verdict"] == "accepted" and r.json()["reasons"] == []
    assert r.json()["message_id"].startswith("Kehadiran Apel pagi diterima")
    again = _scan(client, runtime, phone, event_id, "anything", scan_id=scan)
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["verdict"] == "accepted"
    second = _scan(client, runtime, phone, event_id, events.qr_token(runtime.settings.secret_key, event_id, NOW))
    assert second.status_code == 200 and second.json()["duplicate"]   # attended once, counted once
    listed = events.attendance(runtime, event_id)
    assert [a["nip"] for a in listed["attended"]] == [phone["employee"]["nip"]]
    missing = {m["nip"] for m in listed["missing"]}
    assert absent["nip"] in missing and phone["employee"]["nip"] not in missing
    with runtime.connection() as conn:
        assert any(e["after"]["event_id"] == event_id for e in audit.entries(conn, action="event.create"))


@pytest.mark.parametrize("make, reason", [
    (lambda key, ev: events.qr_token(key, ev, NOW - dt.timedelta(seconds=75)), "qr_expired"),
    (lambda key, ev: events.qr_token("not-the-secret", ev, NOW), "qr_forged"),
    (lambda key, ev: events.qr_token(key, ev + 1000, NOW), "qr_forged"),
    (lambda key, ev: f"{ev}.{events.slot_of(NOW)}.deadbeef", "qr_forged"),
    (lambda key, ev: "garbage", "qr_forged"),
])
def test_expired_or_forged_tokens_are_refused(runtime, client, make, reason):
    event_id = _event(runtime)
    phone = new_phone(runtime, client)
    r = _scan(client, runtime, phone, event_id, make(runtime.settings.secret_key, event_id))
    assert r.status_code == 201 and r.json()["verdict"] == "refused" and r.json()["reasons"] == [reason]
    assert events.attendance(runtime, event_id)["attended"] == []


def test_the_previous_slot_is_still_valid(runtime, client):
    event_id = _event(runtime)
    token = events.qr_token(runtime.settings.secret_key, event_id, NOW - dt.timedelta(seconds=events.SLOT_S))
    assert events.token_problem(runtime.settings.secret_key, event_id, token, NOW) is None


def test_out_of_radius_window_or_not_invited_is_refused_with_reasons(runtime, client):
    key = runtime.settings.secret_key
    event_id = _event(runtime)
    phone = new_phone(runtime, client)
    r = _scan(client, runtime, phone, event_id, events.qr_token(key, event_id, NOW), north_m=800)
    assert r.json()["verdict"] == "refused" and r.json()["reasons"] == ["outside_geofence"]
    assert "Di luar radius acara" in r.json()["message_id"] and r.json()["distance_m"] > 700
    other = new_phone(runtime, client, unit="DINDIKBUD")
    r = _scan(client, runtime, other, event_id, events.qr_token(key, event_id, NOW))
    assert r.json()["reasons"] == ["not_invited"]
    later = _event(runtime, opens_at=NOW + dt.timedelta(hours=2), closes_at=NOW + dt.timedelta(hours=3))
    r = _scan(client, runtime, phone, later, events.qr_token(key, later, NOW))
    assert r.json()["reasons"] == ["outside_event_window"]
    point = _event(runtime, place=events.Place(lat=runtime.config.office_by_code["DINKES-1"].lat + 0.01,
                                               lon=runtime.config.office_by_code["DINKES-1"].lon, radius_m=100))
    r = _scan(client, runtime, phone, point, events.qr_token(key, point, NOW))
    assert r.json()["reasons"] == ["outside_geofence"]
    r = _scan(client, runtime, phone, point, events.qr_token(key, point, NOW), north_m=1112)
    assert r.json()["verdict"] == "accepted"


def test_unknown_event_and_bad_event_definitions(runtime, client):
    phone = new_phone(runtime, client)
    r = _scan(client, runtime, phone, 987654, "x")
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"
    with pytest.raises(events.EventError) as bad:
        _event(runtime, kind="rapat", place=events.Place(), invited_units=["NOPE"])
    assert "kind" in bad.value.message_en and "place" in bad.value.message_en and "NOPE" in bad.value.message_id


def test_missing_a_compulsory_event_carries_its_deduction_unless_on_leave(runtime):
    day = dt.date(2027, 3, 9)
    at = dt.datetime.combine(day, dt.time(7, 30), WIB)
    came, on_leave, missed = (factories.employee(runtime, "DINKES") for _ in range(3))
    event_id = _event(runtime, event_date=day, opens_at=at - dt.timedelta(minutes=15),
                      closes_at=at + dt.timedelta(minutes=15), invited_units=[],
                      invited_nips=[came["nip"], on_leave["nip"], missed["nip"]])
    office = runtime.config.office_by_code["DINKES-1"]
    done = events.attend(runtime, came["id"], event_id, events.qr_token(runtime.settings.secret_key, event_id, at),
                         lat=office.lat, lon=office.lon, accuracy_m=5, mock=False,
                         attempt_key=f"qr:{came['id']}:{uuid.uuid4()}", now=at)
    assert done["verdict"] == "accepted"
    leave.add(runtime, [leave.LeaveInput("test", on_leave["nip"], "dinas_luar", day, day, "SPT")],
              actor="bkpp:test", source="test")
    with runtime.connection() as conn:
        found = {r["nip"]: r for r in qe.compulsory_missed(conn, day, day)}
    assert set(found) == {missed["nip"]} and float(found[missed["nip"]]["deduction_percent"]) == 0.5


def test_the_configured_deduction_applies_to_a_compulsory_event_only():
    from ingest.rules.events import missed_event_percent
    from foundation.config_rules import Rules
    rules = Rules.model_construct(apel_missed_percent=0.5)
    assert missed_event_percent(rules, True, None) == 0.5
    assert missed_event_percent(rules, True, 1.25) == 1.25
    assert missed_event_percent(rules, False, 3.0) == 0.0


def test_the_monthly_recap_carries_a_missed_compulsory_apel(runtime):
    from ingest import recap
    day = dt.date(2027, 3, 16)   # a Tuesday, no holiday
    at = dt.datetime.combine(day, dt.time(7, 30), WIB)
    came, missed = factories.employee(runtime, "DINKES"), factories.employee(runtime, "DINKES")
    for person in (came, missed):
        admin.close_as_tk(runtime, person["id"], day, day)
    event_id = _event(runtime, event_date=day, opens_at=at - dt.timedelta(minutes=15), deduction_percent=None,
                      closes_at=at + dt.timedelta(minutes=15), invited_units=[], invited_nips=[came["nip"], missed["nip"]])
    cancelled = _event(runtime, event_date=day, opens_at=at, closes_at=at + dt.timedelta(minutes=5), invited_units=[],
                       invited_nips=[missed["nip"]], deduction_percent=2.0)
    events.cancel_event(runtime, "bkpp:test", cancelled, "hujan deras")
    office = runtime.config.office_by_code["DINKES-1"]
    events.attend(runtime, came["id"], event_id, events.qr_token(runtime.settings.secret_key, event_id, at),
                  lat=office.lat, lon=office.lon, accuracy_m=5, mock=False, attempt_key=f"qr:{uuid.uuid4()}", now=at)
    with runtime.connection() as conn:
        columns, rows = recap.employee_recap(conn, runtime.config, day, day, ["DINKES"])
        got = {r["nip"]: r for r in rows if r["nip"] in (came["nip"], missed["nip"])}
    with runtime.connection() as conn:
        _, units = recap.unit_summary(conn, runtime.config, day, day, ["DINKES"])
        dinkes = next(u for u in units if u["unit_kode"] == "DINKES")
    assert columns[-3:] == ["apel_tidak_hadir", "potongan_apel_persen", "potongan_persen"]
    tk_day = float(runtime.config.rules.absent_percent)
    assert (got[missed["nip"]]["apel_tidak_hadir"], float(got[missed["nip"]]["potongan_apel_persen"])) == (1, 0.5)
    assert float(got[missed["nip"]]["potongan_persen"]) == tk_day + 0.5   # the cancelled event costs nothing
    assert got[came["nip"]]["apel_tidak_hadir"] == 0 and float(got[came["nip"]]["potongan_persen"]) == tk_day
    assert dinkes["apel_tidak_hadir"] >= 1


def test_an_event_is_edited_and_cancelled_with_an_audit_trail(runtime, client):
    event_id = _event(runtime)
    events.update_event(runtime, "bkpp:test", event_id, name="Apel siang", kind="apel", event_date=NOW.date(),
                        opens_at=NOW - dt.timedelta(minutes=5), closes_at=NOW + dt.timedelta(minutes=5),
                        place=events.Place(office_code="DINKES-1"), invited_units=["SETDA"], compulsory=True,
                        reason="jam berubah")
    with runtime.connection() as conn:
        ev = qe.event(conn, event_id)
        log = audit.entries(conn, action="event.", target=f"event {event_id}")
    assert ev["name"] == "Apel siang" and list(ev["invited_units"]) == ["SETDA"]
    assert float(ev["deduction_percent"]) == runtime.config.rules.apel_missed_percent
    update = next(e for e in log if e["action"] == "event.update")
    assert update["before"]["name"] == "Apel pagi" and update["after"]["name"] == "Apel siang"
    with pytest.raises(events.EventError) as bad:
        events.update_event(runtime, "bkpp:test", event_id, name="", kind="apel", event_date=NOW.date(),
                            opens_at=NOW, closes_at=NOW - dt.timedelta(minutes=1), place=events.Place())
    assert "name" in bad.value.message_en and "window" in bad.value.message_en
    with pytest.raises(events.EventError):
        events.cancel_event(runtime, "bkpp:test", event_id, "  ")
    events.cancel_event(runtime, "bkpp:test", event_id, "hujan deras")
    phone = new_phone(runtime, client, unit="SETDA")
    r = _scan(client, runtime, phone, event_id, events.qr_token(runtime.settings.secret_key, event_id, NOW))
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_cancelled"
    with pytest.raises(events.EventError) as again:
        events.cancel_event(runtime, "bkpp:test", event_id, "lagi")
    assert again.value.code == "event_cancelled"
    with runtime.connection() as conn:
        assert any(e["reason"] == "hujan deras" for e in audit.entries(conn, action="event.cancel"))
