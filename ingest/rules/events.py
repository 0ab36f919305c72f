"""What missing an event costs: a compulsory apel carries a deduction, others none."""
from __future__ import annotations


def missed_event_percent(rules, compulsory: bool, given: float | None) -> float:
    """The deduction for missing the event: the one given, else rules.apel_missed_percent
    for a compulsory event; an optional event never costs anything."""
    if not compulsory:
        return 0.0
    return float(rules.apel_missed_percent if given is None else given)

