"""pantau day close DATE | pantau recompute --from D1 --to D2 [--unit CODE] | pantau worker."""
from __future__ import annotations

import datetime as dt
import getpass
import signal
import sys
import threading


def cli_actor(args) -> str:
    return args.actor or f"cli:{getpass.getuser()}"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def register(sub) -> None:
    p = sub.add_parser("day", help="work days of one date")
    dsub = p.add_subparsers(dest="day_command", metavar="ACTION")
    close = dsub.add_parser("close", help="close a date: no record and no leave -> TK; missing check-in/out -> TL4/PSW4")
    close.add_argument("date", type=_date, help="work date YYYY-MM-DD")
    close.add_argument("--actor", help="who closes (audit log); default cli:<user>")
    close.add_argument("--reason", default="", help="why (audit log)")
    close.set_defaults(handler=_close)
    p.set_defaults(handler=lambda a: p.print_help() or 2)

    r = sub.add_parser("recompute", help="rebuild work days from raw check-ins and leave (idempotent, audited)")
    r.add_argument("--from", dest="first", type=_date, required=True, help="first date YYYY-MM-DD")
    r.add_argument("--to", dest="last", type=_date, required=True, help="last date YYYY-MM-DD")
    r.add_argument("--unit", help="only this unit and the units under it")
    r.add_argument("--actor", help="who recomputes (audit log); default cli:<user>")
    r.add_argument("--reason", default="", help="why, e.g. 'cuti disetujui terlambat' (audit log)")
    r.set_defaults(handler=_recompute)

    w = sub.add_parser("worker", help="close each date after its last window; rebuild live state periodically "
                                      "(every region of the installation, each in its zone; --region: one)")
    w.add_argument("--tick", type=float, default=30, help="seconds between passes (default 30)")
    w.add_argument("--live-every", type=float, default=300, help="seconds between live-state rebuilds (default 300)")
    w.add_argument("--catch-up-days", type=int, default=7, help="close missed dates this far back (default 7)")
    w.add_argument("--since", type=_date, help="first date to close when none was ever closed (default today)")
    w.add_argument("--once", action="store_true", help="one pass, then exit")
    w.set_defaults(handler=_worker)


def _close(args) -> int:
    from ingest.day_close import close_day

    from foundation.runtime import boot

    rt = boot()
    summary = close_day(rt, args.date, cli_actor(args), reason=args.reason)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
    print(f"{args.date} closed (run {summary['run']}): {counts}; "
          f"{summary['written']} work days written ({summary['inserted']} new, {summary['updated']} changed)")
    return 0


def _recompute(args) -> int:
    from ingest.recompute import recompute

    from foundation.runtime import boot

    rt = boot()
    try:
        report = recompute(rt, args.first, args.last, unit_code=args.unit, actor=cli_actor(args), reason=args.reason)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"recomputed {args.first}..{args.last}{' unit ' + args.unit if args.unit else ''}: "
          f"{report['staged']} work days, {report['written']} written "
          f"({report['inserted']} new, {report['updated']} changed)")
    for item in report["sample"]:
        print(f"  employee {item['employee_id']} {item['work_date']}: {item['before']} -> {item['after']}")
    if report["written"]:
        print("the dashboard shows past days from rollups: the worker refreshes them within 30 minutes, "
              "or run `pantau dashboard refresh` now")
    return 0


def _worker(args) -> int:
    """Every region of the installation (ingest/worker_regions.py); with --region, that one only."""
    import logging
    import os

    from ingest.worker import Worker
    from ingest.worker_regions import RegionWorkers

    from foundation.settings import load_settings

    code = os.environ.get("PANTAU_REGION") or None
    base = load_settings()   # the installation's own settings: the workers derive each region's
    # as boot() does, before any region boots: a region that fails is said even if all do
    logging.basicConfig(level=base.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workers = RegionWorkers(
        base, only=[code] if code else None, tick_s=args.tick,
        make_worker=lambda rt: Worker(rt, tick_s=args.tick, live_every_s=args.live_every,
                                      catch_up_days=args.catch_up_days, first_day=args.since))
    if args.once:
        for region, closed in workers.tick().items():
            for summary in closed:
                print(f"{region}: closed {summary['date']}: {summary['counts']}")
        return 1 if workers.failed else 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    workers.run(stop)
    return 0
