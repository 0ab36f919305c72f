"""pantau recap MONTH --out FILE [--unit CODE] [--excel | --sep ';' | --xlsx] [--summary FILE]
pantau recap tk-year YEAR --out FILE [--unit CODE] ..."""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("recap", help="BKPP recap: per employee for a month (or 'tk-year YEAR': TK and PP 94/2021 sanctions)")
    p.add_argument("period", metavar="MONTH", help="YYYY-MM, or 'tk-year' followed by YEAR")
    p.add_argument("year", nargs="?", type=int, help="the year, after tk-year")
    p.add_argument("--out", type=Path, required=True, help="output file (.csv or .xlsx)")
    p.add_argument("--unit", help="only this unit and the units under it")
    p.add_argument("--sep", default=",", choices=[",", ";", "\t"], help="CSV separator; ';' for Excel in Indonesian locale")
    p.add_argument("--decimal", choices=[".", ","], help="decimal mark (default ',' with --sep ';', else '.')")
    p.add_argument("--xlsx", action="store_true", help="write .xlsx (NIP kept as text, Indonesian headers)")
    p.add_argument("--excel", action="store_true",
                   help="CSV for Excel in Indonesian locale, as the dashboard's default download: ';', "
                        "decimal comma, Indonesian headers and labels, NIP printed with spaces (stays text)")
    p.add_argument("--summary", type=Path, help="also write the per-unit summary to this file (monthly recap)")
    p.set_defaults(handler=_recap)



def _target(path: Path, xlsx: bool) -> tuple[Path, str]:
    if xlsx or path.suffix.lower() == ".xlsx":
        return path.with_suffix(".xlsx"), "xlsx"
    return path, "csv"


def _recap(args) -> int:
    from ingest import recap
    from ingest.export import FLAVOURS, write_table

    from foundation.runtime import boot

    rt = boot()
    config = rt.config
    if args.unit and args.unit not in config.unit_by_code:
        print(f"error: unit {args.unit!r} is not in config.yaml (units[].code)", file=sys.stderr)
        return 2
    units = config.subtree(args.unit) if args.unit else None
    out, fmt = _target(args.out, args.xlsx)
    options = {"fmt": fmt, "sep": args.sep, "decimal": args.decimal}
    if args.excel and fmt == "csv":
        options = dict(FLAVOURS["excel"])
    with rt.connection() as conn:
        if args.period == "tk-year":
            if args.year is None:
                print("error: tk-year needs a YEAR, e.g. pantau recap tk-year 2026 --out tk.csv", file=sys.stderr)
                return 2
            columns, rows = recap.tk_year(conn, config, args.year, units)
            n = write_table(out, columns, rows, sheet=f"TK {args.year}", **options)
            print(f"{out}: {n} employees with TK in {args.year}")
            return 0
        try:
            first, last = recap.month_range(args.period)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        columns, rows = recap.employee_recap(conn, config, first, last, units)
        n = write_table(out, columns, rows, sheet=f"Rekap {args.period}", **options)
        print(f"{out}: {n} employees, {first}..{last}")
        if args.summary:
            summary, sfmt = _target(args.summary, args.xlsx)
            columns, rows = recap.unit_summary(conn, config, first, last, units)
            m = write_table(summary, columns, rows, sheet=f"Unit {args.period}", **{**options, "fmt": sfmt})
            print(f"{summary}: {m} units")
    return 0
