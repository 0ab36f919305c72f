"""Numbers as an Indonesian reader writes them, on the tiles and in the bars."""
from __future__ import annotations

from dashboard import figures, formats
from dashboard.pages.common import tiles


def test_numbers_use_the_thousands_dot_and_the_decimal_comma():
    assert formats.number(4961) == "4.961" and formats.number(1234567) == "1.234.567"
    assert formats.number(6.75) == "6,75"
    assert formats.percent(99.3) == "99,3%" and formats.percent(20.0) == "20%" and formats.percent(5.67) == "5,7%"


def test_tiles_and_bars_show_them_so():
    counts = {"expected": 4961, "present": 4330, "late": 120, "on_leave": 12, "not_yet": 619}
    text = str(tiles(counts).to_plotly_json())
    assert "4.330" in text and "87,3% dari 4.961" in text and "87.3" not in text
    bars = figures.unit_bars([{"unit_code": "A", "name": "Dinas A", "expected": 3, "present": 2, "late": 0,
                               "on_leave": 0, "not_yet": 1, "tk": 0}])
    assert "66,7%" in bars["data"][0]["text"]


def test_months_days_and_plotly_speak_indonesian():
    import datetime as dt

    assert formats.month_year(dt.date(2026, 12, 7)) == "Desember 2026"
    assert formats.percent(1.25, 2) == "1,25%" and formats.percent(0.5, 2) == "0,5%"
    locale = formats.plotly_locale()["format"]
    assert locale["days"][0] == "Minggu" and locale["shortDays"][1] == "Sen"     # plotly.js: Sunday first
    assert locale["shortMonths"][11] == "Des" and locale["months"][7] == "Agustus"
    assert (locale["decimal"], locale["thousands"]) == (",", ".") and formats.separators() == ",."


def test_the_start_line_stands_on_its_own_arrival_bar():
    from dashboard import trend_figures

    buckets = [{"utc_minute": m - 420, "unit_code": "SETDA", "people": 3} for m in (435, 450, 480)]
    fig = trend_figures.arrival_figure(buckets, {"SETDA": 420}, {"SETDA": 450})
    assert fig["data"][0]["x"] == ["07.15", "07.30", "08.00"]                       # HH.MM
    assert fig["layout"]["shapes"][0]["x0"] == 1                                   # "07.30" read as 7.3: far right
