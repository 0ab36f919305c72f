"""Lateness (TL) and early-leave (PSW) bands: minutes in, band out. Pure."""
from __future__ import annotations

import datetime as dt

from foundation.config_rules import Band


def band_for(minutes: int, bands: list[Band]) -> Band | None:
    """The band holding `minutes`; None for 0 (on time)."""
    if minutes <= 0:
        return None
    for band in bands:
        if band.from_min <= minutes and (band.to_min is None or minutes <= band.to_min):
            return band
    return None


def band_by_code(code: str | None, bands: list[Band]) -> Band | None:
    return next((b for b in bands if b.code == code), None) if code else None


def minutes_after(moment: dt.datetime, reference: dt.datetime) -> int:
    """Whole minutes from `reference` to `moment`, read off a clock face (seconds dropped
    from both): 07:30:59 is on time for 07:30, 07:31:00 is 1 minute late, and a check-out
    at 15:59:30 is 1 minute before 16:00, as the clock showed 15:59."""
    # Every Indonesian zone is whole hours from UTC, so epoch minutes are clock-face minutes.
    return max(0, int(moment.timestamp() // 60) - int(reference.timestamp() // 60))
