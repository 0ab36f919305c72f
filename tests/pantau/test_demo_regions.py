"""`pantau demo --regions N`'s set-up step (pantau/demo_regions.py), without its servers or
morning: three regions make three schemas with employees in each, on one database, and
--regions 1 is the one-city demo as before."""
from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import func, inspect, select

from foundation.settings import ROOT, Settings
from pantau import demo
from pantau.demo_regions import default_speed, plan_text, window
from queries import synthetic as qs

UTC = dt.timezone.utc


def _base(make_database, redis_url, tmp_path, label: str) -> Settings:
    return Settings(database_url=make_database(label), redis_url=redis_url, config_path=ROOT / "config.yaml",
                    var_dir=tmp_path / "var", redis_prefix=f"pantau-test-{label}-{tmp_path.name}",
                    selfie_dir=tmp_path / "var" / "selfies", secret_key="test-secret",
                    regions_dir=tmp_path / "no-regions")


def _args(regions: int, employees: int = 40) -> argparse.Namespace:
    return argparse.Namespace(regions=regions, employees=employees, days=2, web_port=18550, ingest_port=18551,
                              speed=None, no_morning=False)


def test_three_regions_make_three_schemas_with_their_people_and_mornings(make_database, redis_url, tmp_path):
    base = _base(make_database, redis_url, tmp_path, "demo3")
    regions, day = demo.set_up(_args(3), base)
    assert [r.code for r in regions] == ["3672", "7371", "8271"]
    assert sorted(p.name for p in (base.var_dir / "regions").iterdir()) == ["7371.yaml", "8271.yaml"]
    schemas = [r.rt.settings.db_schema for r in regions]
    assert schemas == [None, "r_7371", "r_8271"]
    nips = []
    for r in regions:
        with r.rt.connection() as conn:
            staff = qs.active_employees(conn)
            assert conn.execute(select(func.current_schema())).scalar() == (r.rt.settings.db_schema or "public")
            assert qs.check_in_count(conn, day - dt.timedelta(days=10), day) > 0   # history before the morning
        assert len(staff) == 40
        assert {e["unit_code"] for e in staff} <= {u.code for u in r.rt.config.units}
        nips.append({e["nip"] for e in staff})
    assert not (nips[0] & nips[1] or nips[1] & nips[2] or nips[0] & nips[2])   # a NIP is one person's, nationwide
    assert str(regions[2].rt.config.zone) == "Asia/Jayapura" and regions[2].rt.settings.redis_prefix.endswith(":8271")
    # each region's own 07:00, one after another: WIT first, then WITA, then WIB
    assert [r.start.astimezone(r.rt.config.zone).time() for r in regions] == [dt.time(7)] * 3
    assert [r.start.astimezone(UTC).hour for r in regions] == [0, 23, 22]
    start, end = window(regions)
    assert (end - start) == dt.timedelta(hours=3) and default_speed(regions) == 30
    text = plan_text(regions, 30)
    assert "Kota Ternate 07.00 WIT (= 05.00 WIB), Kota Makassar 07.00 WITA (= 06.00 WIB), Kota Cilegon 07.00 WIB" in text
    assert "05.00-08.00 WIB at 30x: 6.0 minutes" in text
    env = demo._child_env(regions[0].rt, _args(3), "spec")
    assert env["PANTAU_REGIONS_DIR"] == str(base.var_dir / "regions") and "PANTAU_APP_DATABASE_URL" not in env

    again, _ = demo.set_up(_args(2), base)   # fewer regions: Ternate's file leaves, the data stays
    assert [r.code for r in again] == ["3672", "7371"]
    assert [p.name for p in (base.var_dir / "regions").iterdir()] == ["7371.yaml"]
    with again[1].rt.connection() as conn:
        assert len(qs.active_employees(conn)) == 40
        assert "r_8271" in inspect(conn).get_schema_names()


def test_one_region_is_the_demo_as_before(make_database, redis_url, tmp_path):
    base = _base(make_database, redis_url, tmp_path, "demo1")
    regions, day = demo.set_up(_args(1), base)
    assert len(regions) == 1 and regions[0].own and regions[0].rt.settings == base
    assert not (base.var_dir / "regions").exists()
    assert regions[0].start == dt.datetime.combine(day, dt.time(7), regions[0].rt.config.zone)
    assert day == demo.morning_date(regions[0].rt) and default_speed(regions) == 10
    with regions[0].rt.connection() as conn:
        assert len(qs.active_employees(conn)) == 40
    env = demo._child_env(regions[0].rt, _args(1), "spec")
    assert "PANTAU_REGIONS_DIR" not in env and env["PANTAU_APP_DATABASE_URL"] == regions[0].rt.urls.database_url


def test_four_regions_add_the_province_over_ternate_with_its_provinsi_login(make_database, redis_url, tmp_path,
                                                                             monkeypatch):
    from pantau import demo_regions

    monkeypatch.setitem(demo_regions.SMALLER, "82", 30)   # the province's cap, below --employees
    base = _base(make_database, redis_url, tmp_path, "demo4")
    regions, day = demo.set_up(_args(4), base)
    assert [r.code for r in regions] == ["3672", "7371", "8271", "82"]
    province = regions[3]
    assert province.rt.settings.db_schema == "r_82" and str(province.rt.config.zone) == "Asia/Jayapura"
    assert province.employees == 30 and [r.employees for r in regions[:3]] == [40] * 3
    assert [r.users for r in regions] == [(), (), (), demo_regions.PROVINCE_USERS]   # only the parent of one
    assert regions[2].rt.config.region.parent == "82"
    with province.rt.connection() as conn:
        assert len(qs.active_employees(conn)) == 30
    assert province.start == regions[2].start              # the same WIT morning as Ternate's
    assert "Provinsi Maluku Utara 07.00 WIT" in plan_text(regions, 30)
