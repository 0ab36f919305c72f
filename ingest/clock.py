"""The server's idea of now: real UTC time, optionally shifted and sped up.

PANTAU_CLOCK_OFFSET_S shifts it; PANTAU_CLOCK_SPEED (with PANTAU_CLOCK_ANCHOR, the real
epoch second the shift was taken at) makes it run faster. This lets a demo or an
end-to-end test play a weekday morning at any hour, the rules judging exactly as they
would then; every process given the same environment agrees on the time. A deployment
leaves them unset.
"""
from __future__ import annotations

import datetime as dt
import os
import time


class Clock:
    def __init__(self, offset_s: float = 0.0, speed: float = 1.0, anchor: float | None = None):
        self.offset_s, self.speed = offset_s, speed
        self.anchor = time.time() if anchor is None else anchor

    @classmethod
    def from_env(cls, env=os.environ) -> "Clock":
        anchor = env.get("PANTAU_CLOCK_ANCHOR")
        return cls(float(env.get("PANTAU_CLOCK_OFFSET_S") or 0), float(env.get("PANTAU_CLOCK_SPEED") or 1),
                   float(anchor) if anchor else None)

    @classmethod
    def starting_at(cls, moment: dt.datetime, speed: float = 1.0) -> "Clock":
        """A clock that reads `moment` now and runs `speed` times faster than real time."""
        real = time.time()
        return cls(moment.timestamp() - real, speed, real)

    def env(self) -> dict[str, str]:
        """The environment that gives another process this same clock."""
        return {"PANTAU_CLOCK_OFFSET_S": repr(self.offset_s), "PANTAU_CLOCK_SPEED": repr(self.speed),
                "PANTAU_CLOCK_ANCHOR": repr(self.anchor)}

    def now(self) -> dt.datetime:
        real = time.time()
        moment = self.anchor + self.offset_s + (real - self.anchor) * self.speed
        return dt.datetime.fromtimestamp(moment, dt.timezone.utc)
