"""Numbers as an Indonesian reader writes them (Babel, locale id_ID): thousands with a dot,
decimals with a comma. Pure functions, used by every page and figure that shows a number."""
from __future__ import annotations

from babel.numbers import format_decimal

LOCALE = "id_ID"


def number(value: float | int) -> str:
    """4961 -> '4.961'; 6.75 -> '6,75'."""
    return format_decimal(value, locale=LOCALE)


def percent(value: float) -> str:
    """A share already in percent, one decimal at most: 99.3 -> '99,3%', 20.0 -> '20%'."""
    return format_decimal(round(value, 1), format="#,##0.#", locale=LOCALE) + "%"
