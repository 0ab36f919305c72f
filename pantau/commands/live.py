"""pantau live rebuild: recount the live state in Redis from Postgres."""
from __future__ import annotations

import datetime as dt


def register(sub) -> None:
    p = sub.add_parser("live", help="live state in Redis (derived from Postgres)")
    lsub = p.add_subparsers(dest="live_command", metavar="ACTION")
    rb = lsub.add_parser("rebuild", help="recount a date's live state from Postgres")
    rb.add_argument("--date", type=dt.date.fromisoformat, help="work date (default: today in the region's zone)")
    rb.set_defaults(handler=_rebuild)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _rebuild(args) -> int:
    from ingest import live

    from foundation.runtime import boot

    rt = boot()
    day = args.date or dt.datetime.now(rt.config.zone).date()
    result = live.rebuild(rt, day)
    print(f"live state for {day} rebuilt: {result['employees']} employees, {result['with_status']} with a status")
    return 0
