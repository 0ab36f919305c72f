"""The server's idea of now: real UTC time, optionally shifted by PANTAU_CLOCK_OFFSET_S.

The shift lets a demo or an end-to-end test play a weekday morning at any hour, with the
rules judging exactly as they would then. A deployment leaves it unset.
"""
from __future__ import annotations

import datetime as dt
import os


class Clock:
    def __init__(self, offset: dt.timedelta = dt.timedelta()):
        self.offset = offset

    @classmethod
    def from_env(cls) -> "Clock":
        return cls(dt.timedelta(seconds=float(os.environ.get("PANTAU_CLOCK_OFFSET_S") or 0)))

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


def offset_to(moment: dt.datetime) -> float:
    """PANTAU_CLOCK_OFFSET_S that makes the server's now equal `moment` at this instant."""
    return (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()
