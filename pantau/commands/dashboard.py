"""pantau dashboard refresh: rebuild the dashboard's rollups (after a recompute of past days)."""
from __future__ import annotations

import time


def register(sub) -> None:
    p = sub.add_parser("dashboard", help="the web dashboard's rollups")
    ds = p.add_subparsers(dest="dashboard_command", metavar="ACTION")
    r = ds.add_parser("refresh", help="rebuild the per unit-day rollups from work_days (readers not blocked)")
    r.set_defaults(handler=_refresh)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _refresh(args) -> int:
    from queries import dashboard

    from foundation.runtime import boot

    rt = boot()
    started = time.monotonic()
    with rt.transaction() as conn:
        dashboard.refresh_rollups(conn)
    print(f"dashboard rollups refreshed in {time.monotonic() - started:.1f} s")
    return 0
