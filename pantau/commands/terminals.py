"""pantau terminals: the registry, approval, commands, USB files, pull mode, health."""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("terminals", help="fingerprint / face terminals (ZKTeco push, pull, USB files)")
    t = p.add_subparsers(dest="terminals_command", metavar="ACTION")

    ls = t.add_parser("list", help="terminals with their health (online, silent, clock_drift, pending)")
    ls.set_defaults(handler=_list)

    ap = t.add_parser("approve", help="activate a terminal at an office; its held logs are applied")
    ap.add_argument("sn", help="serial number")
    ap.add_argument("--office", required=True, help="office code from config.yaml")
    zone = ap.add_mutually_exclusive_group()
    zone.add_argument("--timezone", help="the terminal clock's zone if not the office's (e.g. Asia/Makassar)")
    zone.add_argument("--utc-offset", help="fixed clock offset for firmware stuck at one (e.g. +480 or +8)")
    _who(ap)
    ap.set_defaults(handler=_approve)

    rt = t.add_parser("retire", help="stop applying a terminal's logs (they are still kept)")
    rt.add_argument("sn")
    _who(rt)
    rt.set_defaults(handler=_retire)

    sync = t.add_parser("sync-time", help="queue a clock sync for the terminal's next heartbeat")
    sync.add_argument("sn")
    _who(sync)
    sync.set_defaults(handler=lambda a: _command(a, "time_sync"))

    cmd = t.add_parser("command", help="queue a command: reboot, query_users, info, check, time_sync")
    cmd.add_argument("sn")
    cmd.add_argument("kind", choices=["reboot", "query_users", "info", "check", "time_sync"])
    _who(cmd)
    cmd.set_defaults(handler=lambda a: _command(a, a.kind))

    rm = t.add_parser("rematch", help="apply held logs whose PIN now maps to an employee")
    rm.add_argument("--sn", help="only this terminal")
    rm.set_defaults(handler=_rematch)

    um = t.add_parser("unmatched", help="PINs no employee has yet, with the name the terminal knows")
    um.set_defaults(handler=_unmatched)

    im = t.add_parser("import", help="import a USB log file (*_attlog.dat) or CSV")
    im.add_argument("file", type=Path)
    im.add_argument("--sn", help="the terminal's serial number (else from a CSV 'sn' column or the file name)")
    im.set_defaults(handler=_import)

    pl = t.add_parser("pull", help="read terminals over TCP 4370 (pyzk); no --host: all read before")
    pl.add_argument("--host", help="terminal address")
    pl.add_argument("--port", type=int, default=4370)
    pl.add_argument("--password", type=int, default=0, help="the terminal's comm key (default 0)")
    pl.add_argument("--timeout", type=int, default=10, help="seconds to wait for one answer")
    pl.add_argument("--deadline", type=float, default=120.0,
                    help="seconds one terminal's whole read may take; past it nothing of it is stored")
    pl.set_defaults(handler=_pull)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _who(parser) -> None:
    parser.add_argument("--actor", help="who does this (audit log; default cli:<user>)")
    parser.add_argument("--reason", default="", help="why (audit log)")


def _boot():
    from foundation.runtime import boot

    return boot()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _outcome(o) -> str:
    repeats = f" (and {o.repeated} repeat(s) of a line in the same file, counted once)" if o.repeated else ""
    return (f"{o.lines} line(s){repeats}: {o.new} new, {o.duplicate} duplicate, {o.applied} applied, "
            f"{o.unmatched} unmatched, {o.pending} pending, {o.rejected} rejected")


def _list(args) -> int:
    from ingest.terminals import registry

    from foundation.config import zone_label

    rt = _boot()
    report = registry.health(rt)
    zone = rt.config.zone
    print(f"{'SN':<20} {'status':<8} {'health':<12} {'office':<16} {'last seen (' + zone_label(zone.key) + ')':<20} "
          f"{'drift s':>8}  firmware")
    for t in report["terminals"]:
        seen = t["last_seen_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if t["last_seen_at"] else "-"
        drift = f"{t['clock_drift_s']:.0f}" if t["clock_drift_s"] is not None else "-"
        print(f"{t['sn']:<20} {t['status']:<8} {t['health']:<12} {t['office_code'] or '-':<16} {seen:<20} "
              f"{drift:>8}  {t['firmware'] or '-'}")
    print(", ".join(f"{k}: {v}" for k, v in report["counts"].items()))
    backlog = report["backlog"]
    oldest = backlog["oldest"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if backlog["oldest"] else "-"
    print(f"backlog lines stored, not yet applied: {backlog['lines']} (oldest received {oldest})")
    return 0


def _approve(args) -> int:
    from ingest.terminals import punches, registry

    rt = _boot()
    try:
        row = registry.approve(rt, args.sn, args.office, timezone=args.timezone, utc_offset=args.utc_offset,
                               actor=args.actor, reason=args.reason)
    except registry.TerminalError as exc:
        return _fail(str(exc))
    held = punches.apply_waiting(rt, args.sn)
    print(f"terminal {row['sn']} active at {row['office_code']}; held logs: {held.applied} applied, "
          f"{held.unmatched} still unmatched ({held.check_ins} new check-ins)")
    return 0


def _retire(args) -> int:
    from ingest.terminals import registry

    try:
        registry.retire(_boot(), args.sn, actor=args.actor, reason=args.reason)
    except registry.TerminalError as exc:
        return _fail(str(exc))
    print(f"terminal {args.sn} retired; later logs are kept as pending")
    return 0


def _command(args, kind: str) -> int:
    from ingest.terminals import registry

    try:
        command_id = registry.queue_command(_boot(), args.sn, kind, actor=args.actor)
    except registry.TerminalError as exc:
        return _fail(str(exc))
    print(f"command {command_id} ({kind}) queued for {args.sn}; it is sent on the terminal's next heartbeat")
    return 0


def _rematch(args) -> int:
    from ingest.terminals import punches

    held = punches.apply_waiting(_boot(), args.sn)
    print(f"held logs: {held.applied} applied, {held.unmatched} still unmatched ({held.check_ins} new check-ins)")
    return 0


def _unmatched(args) -> int:
    from queries import terminals as q

    rt = _boot()
    with rt.connection() as conn:
        found = q.unmatched_pins(conn)
    if not found:
        print("no unmatched PINs")
    for r in found:
        print(f"{r['sn']:<20} PIN {r['pin']:<12} {r['lines']:>5} line(s) {r['first']:%Y-%m-%d}..{r['last']:%Y-%m-%d}"
              f"  {r['terminal_user'] or ''}")
    return 0


def _import(args) -> int:
    from ingest.terminals import files

    rt = _boot()
    try:
        results = files.import_file(rt, args.file, args.sn)
    except files.ImportFileError as exc:
        return _fail(str(exc))
    for sn, outcome in results.items():
        print(f"{args.file} -> terminal {sn}: {_outcome(outcome)}")
        for bad in outcome.bad_lines[:20]:
            print(f"  line {bad.line_no}: rejected: {bad.reason}")
        if len(outcome.bad_lines) > 20:
            print(f"  ... and {len(outcome.bad_lines) - 20} more rejected line(s)")
    return 0


def _pull(args) -> int:
    from ingest.terminals import pull

    rt = _boot()
    try:
        results = [pull.pull(rt, args.host, args.port, password=args.password, timeout=args.timeout,
                             deadline_s=args.deadline)] \
            if args.host else pull.pull_known(rt, password=args.password, timeout=args.timeout,
                                              deadline_s=args.deadline)
    except pull.PullError as exc:
        return _fail(str(exc))
    if not results:
        print("no terminals to pull: give --host ADDRESS for the first read")
    failed = 0
    for r in results:
        if isinstance(r, pull.PullError):
            failed += 1
            print(f"error: {r}", file=sys.stderr)
            continue
        drift = f", clock {r.drift_s:+.0f} s" if r.drift_s is not None else ""
        print(f"{r.host} -> terminal {r.sn}: read {r.read}; {_outcome(r.outcome)}{drift}")
    return 1 if failed else 0
