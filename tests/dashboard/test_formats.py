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
