"""pantau patterns scan --from DATE [--to DATE] | export MONTH --out FILE [--unit CODE]:
patterns across check-ins (titip absen, shared phones, reused selfies, ...)."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("patterns", help="patterns across check-ins: scan a range, export a month for the inspectorate")
    psub = p.add_subparsers(dest="patterns_command", metavar="ACTION")
    scan = psub.add_parser("scan", help="find and store the patterns in a range of work dates")
    scan.add_argument("--from", dest="first", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    scan.add_argument("--to", dest="last", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: --from)")
    scan.set_defaults(handler=_scan)
    export = psub.add_parser("export", help="a month's findings per unit as CSV for Excel (Indonesian)")
    export.add_argument("month", help="YYYY-MM")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--unit", help="only this unit and the units under it")
    export.set_defaults(handler=_export)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _scan(args) -> int:
    from ingest import patterns

    from foundation.runtime import boot

    last = args.last or args.first
    if last < args.first:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    rt = boot()
    summary = patterns.scan(rt, args.first, last)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary["found"].items())) or "nothing"
    print(f"{args.first}..{last}: found {kinds}; {summary['new']} new finding(s) stored, {summary['flagged']} new "
          f"flag(s); {summary['low_trust']} check-in(s) with a trust score under "
          f"{rt.config.rules.patterns.review_below:g} (queued for review)")
    return 0


def _export(args) -> int:
    from ingest.export import FLAVOURS, write_table
    from ingest.recap import month_range
    from ingest.review import FINDING_COLUMNS, month_findings

    from foundation.runtime import boot

    rt = boot()
    try:
        first, last = month_range(args.month)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.unit and args.unit not in rt.config.unit_by_code:
        print(f"error: unit {args.unit!r} is not in config.yaml (units[].code)", file=sys.stderr)
        return 2
    units = rt.config.subtree(args.unit) if args.unit else None
    rows = month_findings(rt, first, last, units)
    count = write_table(args.out, FINDING_COLUMNS, rows, **FLAVOURS["excel"])
    print(f"{args.out}: {count} row(s)")
    return 0
