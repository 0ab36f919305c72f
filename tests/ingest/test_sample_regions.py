"""The sample regions of `./bin/demo --regions 3` (ingest/synthetic/regions.py): derived
from config.yaml, valid, and each office near its own city's centre. Pure, no server."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from foundation.config_file import load_config, parse_config
from ingest.synthetic.regions import (BASE_HALL, MAKASSAR, SAMPLE_CITIES, SAMPLES, TERNATE, CitySpec, District,
                                      derive_region, distance_m, sample_text)
from tests.conftest import ROOT

BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.mark.parametrize("spec", SAMPLE_CITIES, ids=lambda s: s.code)
def test_a_derived_city_sits_around_its_own_centre(spec):
    derived = derive_region(BASE, spec)
    config = parse_config(yaml.safe_dump(derived), f"{spec.code}.yaml")   # every check of a real config
    assert config.region.code == spec.code and str(config.region.timezone) == spec.timezone
    city = bool(spec.districts)                                  # a province (82) has no kecamatan
    assert (20 if city else 15) <= len(config.units) <= 30 and len(config.offices) >= len(config.units)
    far = max(distance_m(spec.centre, (o.lat, o.lon)) for o in config.offices)
    assert far < 6_000, far                                     # a few km, not Cilegon's 10
    hall = next(o for o in config.offices if o.code == BASE_HALL)
    assert distance_m(spec.centre, (hall.lat, hall.lon)) < 1     # the city hall is the centre
    for office in config.offices:                                # polygons moved with their office
        for lat, lon in office.polygon or []:
            assert distance_m((office.lat, office.lon), (lat, lon)) < 300
    codes = [u.code for u in config.units]
    assert len(codes) == len(set(codes))
    assert len({o.code for o in config.offices}) == len(config.offices)
    names = " ".join([u.name for u in config.units] + [o.name for o in config.offices])
    assert "Cilegon" not in names and "Pulomerak" not in names and spec.city in names
    kinds = {u.kind for u in config.units}
    assert kinds >= ({"sekolah", "puskesmas", "kecamatan", "kelurahan"} if city else {"sekolah", "badan"})
    assert city or not kinds & {"puskesmas", "kecamatan", "kelurahan"}
    assert config.rules == load_config(ROOT / "config.yaml").rules   # the same regulation


def test_the_derivation_keeps_distances_scaled_and_leaves_its_input_alone():
    before = copy.deepcopy(BASE)
    spec = CitySpec(code="9999", name="Pemerintah Kota Uji", city="Uji", timezone="Asia/Makassar",
                    centre=(-5.0, 120.0), keep=("SETDA", "DAMKAR"), scale=0.5,
                    districts=(District("Satu", -5.01, 120.01, ("Dua", "Tiga")),))
    derived = derive_region(BASE, spec)
    assert BASE == before
    base_of = {o["code"]: o for o in BASE["offices"]}
    hall = base_of[BASE_HALL]
    for office in derived["offices"]:
        if office["code"] in base_of:
            was = base_of[office["code"]]
            expected = distance_m((hall["lat"], hall["lon"]), (was["lat"], was["lon"])) * 0.5
            assert abs(distance_m(spec.centre, (office["lat"], office["lon"])) - expected) < 0.02 * expected + 2
    assert [u["code"] for u in derived["units"]] == [
        "SETDA", "DAMKAR", "KEC-SATU", "KEL-DUA", "KEL-TIGA", "PKM-SATU"]
    assert derived["region"] == {"name": "Pemerintah Kota Uji", "timezone": "Asia/Makassar", "code": "9999"}
    kec = next(o for o in derived["offices"] if o["unit"] == "KEC-SATU")
    for office in (o for o in derived["offices"] if o["unit"] in ("KEL-DUA", "KEL-TIGA", "PKM-SATU")):
        assert 500 < distance_m((kec["lat"], kec["lon"]), (office["lat"], office["lon"])) < 1_000


def test_makassar_is_mirrored_away_from_the_strait():
    """Cilegon's far offices lie west (Merak) and Makassar's west is the sea: mirrored, east."""
    derived = derive_region(BASE, MAKASSAR)
    damkar = next(o for o in derived["offices"] if o["code"] == "DAMKAR-2")   # Pos Damkar Pulomerak
    assert damkar["lon"] > MAKASSAR.centre[1] and damkar["name"] == "Pos Damkar Biringkanaya"
    ternate = derive_region(BASE, TERNATE)
    assert ternate["region"]["parent"] == "82" and "parent" not in derived["region"]


@pytest.mark.parametrize("spec", SAMPLE_CITIES, ids=lambda s: s.code)
def test_the_stored_samples_are_the_derivation_and_pass_pantau_config(spec):
    path = SAMPLES / f"{spec.code}.yaml"
    assert path.read_text() == sample_text(BASE, spec)   # regenerate: python -m ingest.synthetic.regions
    out = subprocess.run([sys.executable, "-m", "pantau", "config", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    units, offices = (28, 36) if spec.districts else (17, 22)     # a city / the province
    assert f"{path}: ok ({spec.name}, {units} units, {offices} offices, 3 schedules)" in out.stdout


def test_a_derived_city_keeps_national_holidays_only():
    """The sample city's own days (Hari Jadi Kota Cilegon) are not another city's holidays."""
    import yaml

    from ingest.synthetic.regions import MAKASSAR, derive_region
    from tests.conftest import ROOT

    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert base["holidays"]["add"], "the sample city has a day of its own to drop"
    derived = derive_region(base, MAKASSAR)
    assert derived["holidays"]["add"] == [] and derived["holidays"]["country"] == base["holidays"]["country"]
