"""The region registry (foundation/regions.py): pure parts, no server."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from foundation.regions import RegionError, listing, schema_name, settings_for, token_for, token_region
from foundation.settings import load_settings
from queries.db import url_schema, with_schema

DATA = Path(__file__).resolve().parent.parent / "data" / "regions"


@pytest.fixture
def base(tmp_path, monkeypatch):
    monkeypatch.delenv("PANTAU_REGION", raising=False)
    regions = tmp_path / "regions"
    regions.mkdir()
    for code in ("8271", "7371"):
        shutil.copy(DATA / f"{code}.yaml", regions / f"{code}.yaml")
    settings = load_settings()
    return dataclasses.replace(settings, regions_dir=regions,
                               database_url="postgresql+psycopg2://postgres@db:5432/pantau?application_name=x")


def test_listing_puts_the_own_region_first_and_reads_each_file(base):
    entries = listing(base)
    assert [e.code for e in entries] == ["3672", "7371", "8271"]
    assert entries[0].own and entries[0].schema is None
    assert {e.code: e.timezone for e in entries}["8271"] == "Asia/Jayapura"
    assert {e.code: e.parent for e in entries}["8271"] == "82"


def test_another_region_gets_its_schema_prefix_and_files(base):
    s = settings_for(base, "8271")
    assert s.region == "8271" and s.db_schema == schema_name("8271") == "r_8271"
    assert url_schema(s.database_url) == "r_8271"
    assert "application_name=x" in s.database_url        # the URL's other options stay
    assert s.redis_prefix == f"{base.redis_prefix}:8271"
    assert s.selfie_dir == base.selfie_dir / "8271"
    assert s.config_path.name == "8271.yaml"


def test_the_own_region_is_the_base_unchanged(base):
    s = settings_for(base, "3672")
    assert s.region is None and s.database_url == base.database_url and s.redis_prefix == base.redis_prefix


def test_an_unknown_region_is_named_with_the_known_ones(base):
    with pytest.raises(RegionError, match=r"unknown region '9999'.*3672, 7371, 8271"):
        settings_for(base, "9999")


def test_a_file_named_for_another_code_is_refused(base):
    shutil.copy(DATA / "8271.yaml", base.regions_dir / "8272.yaml")
    with pytest.raises(RegionError, match="region.code is '8271', the file is named '8272'"):
        listing(base)


def test_with_schema_replaces_a_search_path():
    url = with_schema("postgresql://u@h/d?options=-csearch_path%3Dcilegon%20-cwork_mem%3D8MB", "r_82")
    assert url_schema(url) == "r_82" and "work_mem" in url


def test_tokens_name_their_region(base):
    other = settings_for(base, "7371")
    assert token_region(token_for(other, "abc-_DEF")) == "7371"
    assert token_region(token_for(base, "abc-_DEF")) is None


def test_what_one_region_signs_is_not_genuine_at_another(base):
    """An event's QR code (and a cookie, a venue-screen link) signed in one region is refused in
    another, even for the same event id: each region signs with its own derived key."""
    import datetime as dt

    from foundation.regions import region_secret
    from ingest import events

    now = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.timezone.utc)
    own, other = region_secret(base), region_secret(settings_for(base, "8271"))
    assert own == base.secret_key and other != own
    token = events.qr_token(own, 5, now)
    assert events.token_problem(own, 5, token, now) is None
    assert events.token_problem(other, 5, token, now) is not None
