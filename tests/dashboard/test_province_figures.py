"""The province's figures (dashboard/province.py): pure, on the sample regions' configs."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from dashboard import province
from foundation.config_file import get_config
from tests.conftest import ROOT

REGIONS = ROOT / "tests" / "data" / "regions"
TERNATE = get_config(REGIONS / "8271.yaml")      # parent 82, WIT
MALUT = get_config(REGIONS / "82.yaml")          # the province itself, WIT
MAKASSAR = get_config(REGIONS / "7371.yaml")     # no parent, WITA
DAY = dt.date(2027, 6, 14)


def _rt(config, **region):
    if region:
        config = config.model_copy(update={"region": config.region.model_copy(update=region)})
    return SimpleNamespace(config=config)


def test_the_children_are_the_regions_whose_parent_is_the_province():
    regions = {"82": _rt(MALUT), "8271": _rt(TERNATE), "7371": _rt(MAKASSAR),
               "8272": _rt(TERNATE, code="8272", name="Pemerintah Kota Tidore Kepulauan"),
               "7372": _rt(MAKASSAR, code="7372", name="Pemerintah Kota Parepare", parent="73")}
    found = province.children(regions, "82")
    assert [code for code, _ in found] == ["8271", "8272"]          # by name: Ternate before Tidore
    assert province.children(regions, "73") == [("7372", regions["7372"])]
    assert province.children(regions, "8271") == []                 # a city has no children


def test_zones_are_named_as_people_say_them():
    assert [province.zone_of(c) for c in (TERNATE, MAKASSAR, get_config(ROOT / "config.yaml"))] == ["WIT", "WITA", "WIB"]


def test_today_counts_are_shares_of_those_expected():
    counts = province.today_counts({"expected": 9, "present": 6, "late": 2, "leave": 0, "absent": 1, "not_yet": 2,
                                    "on_time": 4})
    assert (counts["present_pct"], counts["late_pct"], counts["absent_pct"], counts["not_yet_pct"]) == (66.7, 22.2, 11.1, 22.2)
    assert "on_time" not in counts
    assert province.today_counts({})["present_pct"] == 0.0          # a holiday: nobody expected, no division


def test_the_months_lateness_is_late_over_present():
    assert province.late_rate({"present": 22, "late": 6}) == 27.3
    assert province.late_rate({"present": 0, "late": 0}) == 0.0


def test_units_are_summed_per_skpd_lowest_presence_first():
    units = {"SETDA": {"expected": 4, "present": 4, "late": 1, "leave": 0, "absent": 0, "not_yet": 0},
             "SATPOLPP": {"expected": 3, "present": 2, "late": 1, "leave": 0, "absent": 0, "not_yet": 1},
             "DINDIKBUD": {"expected": 2, "present": 0, "late": 0, "leave": 0, "absent": 0, "not_yet": 2},
             "DAMKAR": {"expected": 0, "present": 0, "late": 0, "leave": 0, "absent": 0, "not_yet": 0},
             "GONE": {"expected": 5, "present": 5}}                   # a unit no longer in the config
    rows = province.unit_counts(units, TERNATE)
    assert [r["unit_code"] for r in rows] == ["DINDIKBUD", "SATPOLPP", "SETDA"]
    assert rows[-1]["name"] == "Sekretariat Daerah Kota Ternate (langsung)"
    assert (rows[1]["present"], rows[1]["present_pct"], rows[1]["not_yet_pct"]) == (2, 66.7, 33.3)


def test_cells_are_indonesian_numbers():
    row = province.region_row("8271", TERNATE, 4961,
                              {"expected": 4800, "present": 4321, "late": 250, "leave": 100, "absent": 12, "not_yet": 367},
                              {"present": 80_000, "late": 5_500}, {}, day=DAY, updated="08.58")
    cells = province.region_cells(row)
    assert cells[:3] == ["WIT", "4.321 (90%)", "250 (5,2%)"]
    assert cells[3:6] == ["367 (7,6%)", "12 (0,2%)", "100 (2,1%)"]    # not yet, TK, on leave
    assert cells[6:] == ["6,9%", "4.800", "4.961"]                   # 5.500 / 80.000; expected; staff
    assert row["granted"] is False and row["units"] == []
    granted = _rt(TERNATE, people_to_parent=True).config
    assert province.region_row("8271", granted, 1, {}, {}, {}, day=DAY, updated=None)["granted"] is True


def test_the_provinces_lateness_weighs_each_regions_days():
    big = province.region_row("8271", TERNATE, 1000, {"expected": 10, "present": 10}, {"present": 900, "late": 90},
                              {}, day=DAY, updated=None)
    small = province.region_row("7371", MAKASSAR, 10, {"expected": 5, "present": 1}, {"present": 100, "late": 50},
                                {}, day=DAY, updated=None)
    total = province.province_totals([big, small])
    assert total["late_rate"] == 14.0                                  # 140 / 1000, not the mean of 10% and 50%
    assert (total["employees"], total["today"]["expected"], total["today"]["present_pct"]) == (1010, 15, 73.3)
