"""`pantau region list | add`: the installation's regions, each checked before it is added."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from foundation.regions import settings_for
from queries import employees
from tests.conftest import ROOT, runtime_env
from tests.support.factories import employee
from tests.support.regions import pantau

DATA = ROOT / "tests" / "data" / "regions"


@pytest.fixture(scope="module")
def installation(make_installation):
    return make_installation("8271", label="region_cli")


def test_list_names_each_region_with_its_zone_schema_and_people(installation, monkeypatch):
    own, ternate = installation["3672"], installation["8271"]
    for _ in range(3):
        employee(ternate, "SETDA")
    code, out = pantau(runtime_env(own), ["region", "list"], monkeypatch)
    assert code == 0, out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert list(lines) == ["3672", "8271"]        # own first
    assert "Asia/Jakarta" in lines["3672"] and "(own)" in lines["3672"]
    assert "Asia/Jayapura" in lines["8271"] and ternate.settings.db_schema in lines["8271"]
    assert lines["8271"].split()[-1] == "3" and "Ternate" in lines["8271"]
    # --region changes nothing: the regions are the installation's
    code, again = pantau(runtime_env(own), ["--region", "8271", "region", "list"], monkeypatch)
    assert code == 0 and again == out


def test_add_checks_copies_and_makes_the_schema_then_refuses_a_second_add(installation, monkeypatch, tmp_path):
    own = installation["3672"]
    env = runtime_env(own)
    source = tmp_path / "makassar.yaml"   # any file name: region.code names the region
    shutil.copy(DATA / "7371.yaml", source)
    code, out = pantau(env, ["region", "add", str(source)], monkeypatch)
    assert code == 0, out
    target = own.settings.regions_dir / "7371.yaml"
    assert target.read_text() == source.read_text() and "Asia/Makassar" in out
    rt = settings_for(own.settings, "7371")
    from foundation.runtime import boot
    with boot(rt, migrate=False).connection() as conn:   # its schema is there, empty
        assert employees.count(conn) == 0

    source.write_text(source.read_text().replace("name: Pemerintah Kota Makassar", "name: Kota Makassar (baru)", 1))
    assert "Kota Makassar (baru)" in source.read_text()
    code, out = pantau(env, ["region", "add", str(source)], monkeypatch)
    assert code == 2 and "already added" in out and "--replace" in out
    assert "(baru)" not in target.read_text()     # the second add changed nothing
    code, out = pantau(env, ["region", "add", str(source), "--replace"], monkeypatch)
    assert code == 0, out
    assert "(baru)" in target.read_text()
    code, out = pantau(env, ["region", "list"], monkeypatch)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["3672", "7371", "8271"]


def test_a_bad_config_is_refused_naming_the_key_path(installation, monkeypatch, tmp_path):
    own = installation["3672"]
    source = tmp_path / "7372.yaml"
    text = (DATA / "7371.yaml").read_text().replace("code: '7371'", "code: '7372'", 1)
    source.write_text(text.replace("timezone: Asia/Makassar", "timezone: Asia/Atlantis", 1))
    assert "7372" in source.read_text() and "Atlantis" in source.read_text()
    code, out = pantau(runtime_env(own), ["region", "add", str(source)], monkeypatch)
    assert code == 2 and "region.timezone" in out and "Atlantis" in out
    assert not (own.settings.regions_dir / "7372.yaml").exists()


def test_the_own_code_and_a_misnamed_region_file_are_refused(installation, monkeypatch, tmp_path):
    own = installation["3672"]
    env = runtime_env(own)
    twin = tmp_path / "twin.yaml"   # another config claiming the installation's own code
    twin.write_text((DATA / "7371.yaml").read_text().replace("code: '7371'", "code: '3672'", 1))
    assert "code: '3672'" in twin.read_text()
    code, out = pantau(env, ["region", "add", str(twin)], monkeypatch)
    assert code == 2 and "3672" in out and "own" in out
    assert not (own.settings.regions_dir / "3672.yaml").exists()

    misnamed = own.settings.regions_dir / "7373.yaml"   # placed by hand, not by `region add`
    shutil.copy(DATA / "82.yaml", misnamed)
    try:
        code, out = pantau(env, ["region", "list"], monkeypatch)
        assert code == 2 and "region.code is '82'" in out and "'7373'" in out
        code, out = pantau(env, ["--region", "7373", "users", "list"], monkeypatch)
        assert code == 2 and "region.code is '82'" in out   # refused before a schema is made for it
    finally:
        misnamed.unlink()


def test_another_regions_role_is_derived_even_beside_the_own_app_url(installation):
    own = installation["3672"]
    both = dataclasses.replace(own.settings, app_database_url=own.urls.database_url)
    assert both.database_url and both.app_database_url
    other = settings_for(both, "8271")
    assert other.app_database_url is None and other.database_url.endswith("r_8271")
