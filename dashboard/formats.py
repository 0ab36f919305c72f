"""Numbers and dates as an Indonesian reader writes them (Babel, locale id_ID): thousands with
a dot, decimals with a comma, "Desember 2026", "Sen 7/12". Pure functions, used by every page
and figure that shows a number or a date; plotly.js gets the same names (plotly_locale)."""
from __future__ import annotations

import datetime as dt
import json

from babel.dates import format_date, get_day_names, get_month_names
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

LOCALE = "id_ID"
PLOTLY_LOCALE = "id"   # the name dcc.Graph's config asks plotly.js for (GRAPH_CONFIG in figures)


def number(value: float | int) -> str:
    """4961 -> '4.961'; 6.75 -> '6,75'."""
    return format_decimal(value, locale=LOCALE)


def percent(value: float, decimals: int = 1) -> str:
    """A share already in percent, `decimals` at most: 99.3 -> '99,3%', 20.0 -> '20%'."""
    return format_decimal(round(value, decimals), format="#,##0." + "#" * decimals, locale=LOCALE) + "%"


def month_year(day: dt.date) -> str:
    """2026-12-07 -> 'Desember 2026' (the stand-alone month name)."""
    return format_date(day, "LLLL y", locale=LOCALE)


def separators() -> str:
    """plotly's layout.separators: the decimal then the thousands symbol (',.')."""
    return get_decimal_symbol(LOCALE) + get_group_symbol(LOCALE)


def plotly_locale() -> dict:
    """A plotly.js locale module with Babel's names: date axes, hover labels and numbers in
    every chart then read 'Des', 'Sen', '99,3' (plotly.js ships only English by default)."""
    sunday_first = lambda names: [names[(i + 6) % 7] for i in range(7)]   # Babel: 0 is Monday
    return {"moduleType": "locale", "name": PLOTLY_LOCALE, "dictionary": {},
            "format": {"days": sunday_first(get_day_names("wide", locale=LOCALE)),
                       "shortDays": sunday_first(get_day_names("abbreviated", locale=LOCALE)),
                       "months": list(get_month_names("wide", locale=LOCALE).values()),
                       "shortMonths": list(get_month_names("abbreviated", locale=LOCALE).values()),
                       "date": "%d/%m/%Y", "decimal": get_decimal_symbol(LOCALE),
                       "thousands": get_group_symbol(LOCALE)}}


def plotly_locale_js() -> str:
    """The locale as a script: plotly.js registers window.PlotlyLocales when it loads (Dash
    loads it asynchronously, after this)."""
    return "window.PlotlyLocales = (window.PlotlyLocales || []).concat(" + json.dumps([plotly_locale()]) + ");"


def plotly_locale_script() -> str:
    """The locale for the page's <head> (allowed by its hash in the Content-Security-Policy)."""
    return f"<script>{plotly_locale_js()}</script>"
