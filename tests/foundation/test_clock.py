import datetime as dt

import pytest

from foundation import clock


def test_demo_clock_runs_at_its_speed(monkeypatch):
    start = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setenv(clock.ENV, clock.demo_spec(start, speed=10, real=1000.0))
    monkeypatch.setattr(clock.time, "time", lambda: 1006.0)
    assert clock.now() == start + dt.timedelta(seconds=60)


def test_a_bad_demo_clock_says_what_is_wrong(monkeypatch):
    monkeypatch.setenv(clock.ENV, "tomorrow")
    with pytest.raises(ValueError, match="PANTAU_DEMO_CLOCK"):
        clock.now()
