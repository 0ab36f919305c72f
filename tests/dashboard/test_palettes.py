"""The dashboard's colours told apart by colour-blind viewers: every pair of verdict colours
(the map page, the wall's mini-map) and of the wall's presence colours (bars, tiles), as a
deutan, protan or tritan viewer sees them (Machado et al. 2009 at severity 100, through
colorspacious) and with normal vision, is at least MIN_DISTANCE apart in CAM02-UCS, and each
stands off the background it is drawn on.

Why 20: one CAM02-UCS unit is about one just-noticeable difference for large patches side by
side. The wall's marks are small (12 px points, 24 px bars seen from ~3 m: well under 1 degree
of view) and the colours are matched against a legend, not side by side; for marks that small
the difference needed grows several-fold (Szafir 2018, "Modelling colour difference for
visualization design": ~5-10 units at 0.5 degree). 20 leaves that margin twice over for a
TV's colour rendering. Okabe-Ito, the usual colour-blind-safe set, keeps only 11 (late vs
flagged for a tritan viewer) and the former presence colours 9-11 (green vs blue / orange).
"""
from __future__ import annotations

import itertools

import pytest
from colorspacious import cspace_convert, deltaE

from dashboard import figures

MIN_DISTANCE = 20.0
VIEWERS = {"normal": None, **{name: {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}
                              for name, kind in (("deutan", "deuteranomaly"), ("protan", "protanomaly"),
                                                 ("tritan", "tritanomaly"))}}
WALL_BG, PAGE_BG, MAP_BG = figures.WALL["bg"], "#ffffff", "#eef0f3"   # map: dashboard/maps.py CLUSTER_STYLE


def _rgb(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _seen(color: str, viewer) -> list[float]:
    """The colour as this viewer sees it, in sRGB (0-1), clipped to the screen's gamut."""
    rgb = _rgb(color)
    if viewer is None:
        return list(rgb)
    return [min(max(v, 0.0), 1.0) for v in cspace_convert(rgb, viewer, "sRGB1")]


def _too_close(colors: dict[str, str], backgrounds: tuple[str, ...]) -> list[tuple]:
    """Every pair (and colour vs background) nearer than MIN_DISTANCE, for any viewer."""
    close = []
    for viewer, cvd in VIEWERS.items():
        seen = {k: _seen(c, cvd) for k, c in colors.items()}
        pairs = [(a, b, seen[a], seen[b]) for a, b in itertools.combinations(seen, 2)]
        pairs += [(k, f"bg {bg}", seen[k], _seen(bg, cvd)) for k in seen for bg in backgrounds]
        close += [(viewer, a, b, round(float(d), 1)) for a, b, x, y in pairs
                  if (d := deltaE(x, y, input_space="sRGB1", uniform_space="CAM02-UCS")) < MIN_DISTANCE]
    return close


def _drawn(traces: list[dict]) -> dict[str, str]:
    return {t["name"]: t["marker"]["color"] for t in traces}


def test_verdict_colours_stay_apart_for_colour_blind_viewers():
    # what the map page draws (its points and legend) and the wall's mini-map, beside its offices
    drawn = {**figures.VERDICT_COLORS, "office": figures.COLORS["office"]}
    assert _drawn(figures.wall_points([])) == {figures.VERDICT_LABELS[k]: figures.VERDICT_COLORS[k]
                                               for k in ("on_time", "late", "flagged", "refused")}
    assert _too_close(figures.VERDICT_COLORS, (MAP_BG, WALL_BG)) == []
    assert _too_close(drawn, (WALL_BG,)) == []


def test_wall_presence_colours_stay_apart_for_colour_blind_viewers():
    # the four parts of each unit's bar, as drawn (the tiles' borders use the same, pantau.css)
    bars = _drawn(figures.unit_bars([], wall=True)["data"])
    assert len(bars) == 4
    assert _too_close(bars, (WALL_BG, PAGE_BG)) == []


@pytest.mark.parametrize("pair", [("#1a9850", "#f28e2b"), ("#009E73", "#CC79A7")])
def test_the_check_tells_a_confusable_pair(pair):
    # the former presence green / orange (protan) and Okabe-Ito's bluish green / pink (deutan)
    close = _too_close(dict(zip("ab", pair)), ())
    assert close and {v for v, *_ in close} <= {"deutan", "protan", "tritan"}, close


def test_the_arrivals_colour_each_bucket_by_its_units_own_start_in_the_unit_bars_colours():
    from dashboard import trend_figures

    # 07.35 is late at a 07.30 office (SETDA) and on time at an 08.00 one (a school)
    buckets = [{"utc_minute": m - 420, "unit_code": u, "people": n}
               for u, m, n in (("SETDA", 440, 5), ("SETDA", 455, 3), ("SD-1", 455, 4), ("SD-1", 485, 2))]
    fig = trend_figures.arrival_figure(buckets, {"SETDA": 420, "SD-1": 420}, {"SETDA": 450, "SD-1": 480})
    on_time, late, start = fig["data"]
    assert on_time["x"] == late["x"] == ["07.20", "07.30", "07.35", "08.00", "08.05"]   # each start in place
    assert (on_time["y"], late["y"]) == ([5, 0, 4, 0, 0], [0, 0, 3, 0, 2])
    # the same words and colours as the unit bars (and tiles) beside them, and a legend that says them
    bars = _drawn(figures.unit_bars([])["data"])
    assert {t["name"]: t["marker"]["color"] for t in (on_time, late)} == {k: bars[k] for k in ("Tepat waktu", "Terlambat")}
    assert fig["layout"]["showlegend"] is True
    # the dashed start lines are in the legend too, in their colour
    assert start["name"] == "Jam masuk 07.30 / 08.00" and start["line"]["dash"] == "dash"
    assert [line["line"]["color"] for line in fig["layout"]["shapes"]] == [start["line"]["color"]] * 2
