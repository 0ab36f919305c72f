"""pantau manual add NIP MOMENT SESSION REASON --note .. [--document FILE] [--unit CODE]: paper fallback."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .days import cli_actor


def register(sub) -> None:
    p = sub.add_parser("manual", help="manual check-ins (terminal failure, not enrolled, force majeure); audited")
    msub = p.add_subparsers(dest="manual_command", metavar="ACTION")
    add = msub.add_parser("add", help="write in one check-in, marked manual everywhere")
    add.add_argument("nip")
    add.add_argument("moment", help="when, ISO 8601 with offset, e.g. 2026-12-01T07:20:00+07:00")
    add.add_argument("session", choices=("in", "midday", "out"))
    add.add_argument("reason", choices=("terminal_failure", "not_enrolled", "force_majeure"))
    add.add_argument("--note", required=True, help="what happened (keterangan)")
    add.add_argument("--document", type=Path, help="a scanned document (PDF, JPEG or PNG, max 2 MB)")
    add.add_argument("--unit", help="write as the admin of this unit (only its subtree); default: BKPP, all units")
    add.add_argument("--actor", help="who writes it (audit log); default cli:<user>")
    add.set_defaults(handler=_add)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _add(args) -> int:
    from ingest import manual

    from foundation.runtime import boot

    try:
        moment = dt.datetime.fromisoformat(args.moment)
    except ValueError:
        print(f"error: moment {args.moment!r} is not ISO 8601 (e.g. 2026-12-01T07:20:00+07:00)", file=sys.stderr)
        return 2
    rt = boot()
    if args.unit is not None and args.unit not in rt.config.unit_by_code:
        print(f"error: --unit {args.unit!r} is not in config.yaml (units[].code)", file=sys.stderr)
        return 2
    document = None
    if args.document is not None:
        try:
            document = manual.Document(args.document.name, args.document.read_bytes())
        except OSError as exc:
            print(f"error: --document {args.document}: cannot be read ({exc})", file=sys.stderr)
            return 2
    scope = rt.config.subtree(args.unit) if args.unit else None
    try:
        done = manual.write_entry(rt, cli_actor(args), scope, args.nip, moment, args.session, args.reason,
                                  args.note, document)
    except manual.ManualRefused as exc:
        print(f"error: nothing written / tidak ada yang disimpan: {exc.message_id} / {exc.message_en}",
              file=sys.stderr)
        return 1
    extra = " (already written)" if done["duplicate"] else ""
    flags = f" reasons: {', '.join(done['reasons'])}" if done["reasons"] else ""
    print(f"{done['verdict']} manual {args.session} for {args.nip} on {done['work_date']}{extra}{flags}")
    return 0 if done["verdict"] != "refused" else 1
