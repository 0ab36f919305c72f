"""What a review means for a check-in. Pure.

A check-in waits for review (`pending`) when the judge flagged it or a flag that queues was
added (judge, face match, trust score; a pattern flag alone only lowers the trust score) and
nobody decided yet; the latest decision stands:
`sah` counts as accepted, `tolak` is as if the check-in never came. queries/review.py says
the same in SQL (`COUNTED`), for the work days rebuilt from Postgres.
"""
from __future__ import annotations

import datetime as dt

NONE, PENDING, SAH, TOLAK = "none", "pending", "sah", "tolak"
DECISIONS = (SAH, TOLAK)
# what the employee and the reviewers read
LABELS = {PENDING: "Menunggu tinjauan", SAH: "Dinyatakan sah", TOLAK: "Ditolak"}
SYSTEM_DEADLINE = "system:deadline"   # decided_by of a decision the deadline took
QUEUEING = ("judge", "face", "trust")  # flag sources that send a check-in to review


def state(verdict: str, flagged: bool, latest_decision: str | None) -> str:
    """The review state of one check-in: `flagged` = it has a flag of a QUEUEING source."""
    if latest_decision in DECISIONS:
        return latest_decision
    if verdict == "flagged" or flagged:
        return PENDING
    return NONE


def counts(verdict: str, review_state: str, pending_counts: bool = False) -> bool:
    """Does the check-in count towards its work day (hadir, lateness)?"""
    if verdict == "refused" or review_state == TOLAK:
        return False
    return review_state != PENDING or pending_counts


def deadline(work_date: dt.date, deadline_days: int) -> dt.date:
    """The last date a reviewer has for a check-in of `work_date`."""
    return work_date + dt.timedelta(days=deadline_days)


def overdue_decision(work_date: dt.date, today: dt.date, deadline_days: int, after_deadline: str) -> str | None:
    """The decision the deadline takes on a still pending check-in, None while there is time
    (or when config keeps it pending)."""
    if after_deadline not in DECISIONS or today <= deadline(work_date, deadline_days):
        return None
    return after_deadline


def label(review_state: str, note: str | None = None) -> str:
    """'Menunggu tinjauan', 'Dinyatakan sah', 'Ditolak: <catatan>'; '' when not reviewed."""
    if review_state == TOLAK and note:
        return f"{LABELS[TOLAK]}: {note}"
    return LABELS.get(review_state, "")
