"""pantau leave add NIP TYPE FROM TO [--reason ..] | pantau leave import FILE.csv | pantau leave types."""
from __future__ import annotations

import sys
from pathlib import Path

from .days import cli_actor


def register(sub) -> None:
    p = sub.add_parser("leave", help="approved leave (cuti, izin, sakit, dinas luar, ...): wins over TK")
    lsub = p.add_subparsers(dest="leave_command", metavar="ACTION")
    add = lsub.add_parser("add", help="approve one leave and recompute the days it covers")
    add.add_argument("nip")
    add.add_argument("type", help="leave type, e.g. cuti_tahunan, sakit, dinas_luar (see: pantau leave types)")
    add.add_argument("date_from", metavar="FROM", help="first day YYYY-MM-DD")
    add.add_argument("date_to", metavar="TO", help="last day YYYY-MM-DD")
    add.add_argument("--reason", default="")
    add.add_argument("--actor", help="who approved (audit log); default cli:<user>")
    add.set_defaults(handler=_add)
    imp = lsub.add_parser("import", help="approve every leave in a CSV (nip, jenis, dari, sampai, alasan); all or nothing")
    imp.add_argument("file", type=Path)
    imp.add_argument("--actor", help="who approved (audit log); default cli:<user>")
    imp.set_defaults(handler=_import)
    types = lsub.add_parser("types", help="list the leave type codes")
    types.set_defaults(handler=_types)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _report(done: list[dict]) -> None:
    for d in done:
        print(f"approved {d['leave_type']} for {d['nip']} {d['from']}..{d['to']} ({d['work_days']} work days)")


def _add(args) -> int:
    from ingest import leave

    from foundation.runtime import boot

    rt = boot()
    item = leave.LeaveInput("argumen / argument", args.nip, args.type, args.date_from, args.date_to, args.reason)
    try:
        _report(leave.add(rt, [item], actor=cli_actor(args), source="cli"))
    except leave.LeaveError as exc:
        print("error: nothing written / tidak ada yang disimpan\n" + "\n".join(f"  {p}" for p in exc.problems),
              file=sys.stderr)
        return 1
    return 0


def _import(args) -> int:
    from ingest import leave

    from foundation.runtime import boot

    rt = boot()
    try:
        done = leave.add(rt, leave.read_csv(args.file), actor=cli_actor(args), source=f"import:{args.file.name}")
    except leave.LeaveError as exc:
        print(f"error: {args.file}: {len(exc.problems)} problem(s); nothing written / tidak ada yang disimpan\n"
              + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
        return 1
    _report(done)
    print(f"{len(done)} leave(s) approved from {args.file}")
    return 0


def _types(args) -> int:
    from foundation.leave_types import LEAVE_TYPES

    for code, (label, column) in LEAVE_TYPES.items():
        print(f"{code:22} {label:34} recap: {column}")
    return 0
