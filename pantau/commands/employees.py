"""pantau employees import FILE.csv | generate --count N --out FILE.csv | leave NIP --last-day DATE"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ingest.employees_import import ImportPlan, plan_import, read_employees
from queries import employees


def register(sub) -> None:
    p = sub.add_parser("employees", help="employees from BKPP's master data (CSV)")
    esub = p.add_subparsers(dest="employees_command", metavar="ACTION")
    imp = esub.add_parser(
        "import", help="import or update employees from a CSV file (all rows or none)",
        description="Columns: nip, nama, unit_kode, jabatan; optional jadwal, pin, aktif_sampai (last day in service), penugasan "
                    "(unit codes separated by ';'). Comma or semicolon separated, UTF-8.")
    imp.add_argument("file", help="CSV file")
    imp.add_argument("--actor", default="cli", help="who imports, for the audit log (default: cli)")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.set_defaults(handler=_import)
    gen = esub.add_parser("generate", help="write a synthetic import file for the region's units")
    gen.add_argument("--count", type=int, required=True, help="number of employees")
    gen.add_argument("--out", required=True, help="CSV file to write")
    gen.add_argument("--seed", type=int, default=1, help="same seed, same people (default 1)")
    gen.add_argument("--config", help="region config (default: PANTAU_CONFIG or ./config.yaml)")
    gen.set_defaults(handler=_generate)
    out = esub.add_parser("leave", help="an employee leaves (pensiun, mutasi keluar): their last day in service",
                          description="After the last day no TK is written and the wall no longer expects them.")
    out.add_argument("nip", help="18-digit NIP")
    out.add_argument("--last-day", required=True, help="last day in service, YYYY-MM-DD; 'none' undoes it")
    out.add_argument("--reason", required=True, help="e.g. pensiun, mutasi keluar (kept in the audit log)")
    out.add_argument("--actor", default="cli", help="who records it, for the audit log (default: cli)")
    out.set_defaults(handler=_leave)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _leave(args) -> int:
    import datetime as dt

    from foundation.runtime import boot

    try:
        last_day = None if args.last_day.lower() == "none" else dt.date.fromisoformat(args.last_day)
    except ValueError:
        print(f"error: --last-day {args.last_day!r} must be YYYY-MM-DD (or 'none')", file=sys.stderr)
        return 2
    rt = boot()
    with rt.transaction() as conn:
        done = employees.set_active_until(conn, args.nip.replace(" ", ""), last_day, args.actor, args.reason)
    if done is None:
        print(f"error: no employee has NIP {args.nip}", file=sys.stderr)
        return 2
    print(f"{args.nip}: last day in service {last_day or 'none (in service)'}; days already closed after it "
          f"keep their status until `pantau recompute` runs over them")
    return 0


@dataclass
class ImportResult:
    plan: ImportPlan
    problems: list[str]
    written: bool

    @property
    def counts(self) -> dict:
        return {"inserted": len(self.plan.inserts), "updated": len(self.plan.updates),
                "unchanged": self.plan.unchanged}


class _Rollback(Exception):
    pass


def import_employees(rt, data: bytes, actor: str, source: str, dry_run: bool = False) -> ImportResult:
    """Check a file and, when it has no problem, write it in one transaction."""
    parsed = read_employees(data, rt.config)
    if parsed.problems:
        return ImportResult(ImportPlan(), parsed.problems, written=False)
    result = None
    try:
        with rt.transaction() as conn:
            employees.lock_for_import(conn)
            existing = employees.by_nips(conn, [r.nip for r in parsed.rows])
            holders = employees.pin_holders(conn, [r.terminal_pin for r in parsed.rows if r.terminal_pin])
            plan = plan_import(parsed, existing, holders)
            result = ImportResult(plan, plan.problems, written=False)
            if plan.problems or dry_run:
                raise _Rollback
            employees.apply_import(conn, plan, actor, source)
            result.written = True
    except _Rollback:
        pass
    return result


def _import(args) -> int:
    from foundation.runtime import boot

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: tidak bisa dibaca / cannot be read: {exc.strerror}", file=sys.stderr)
        return 2
    rt = boot()
    result = import_employees(rt, data, actor=args.actor, source=path.name, dry_run=args.dry_run)
    if result.problems:
        for line in result.problems:
            print(line, file=sys.stderr)
        print(f"{path}: {len(result.problems)} masalah, tidak ada yang diimpor / "
              f"{len(result.problems)} problem(s), nothing imported", file=sys.stderr)
        return 2
    c = result.counts
    verb = "would be" if args.dry_run else "done"
    print(f"{path}: {verb}: inserted {c['inserted']}, updated {c['updated']}, unchanged {c['unchanged']}")
    return 0


def _generate(args) -> int:
    from ingest.synthetic.people import generate_employees, write_csv

    from foundation.config_file import load_config
    from foundation.regions import region_settings

    if args.count < 1:
        print("error: --count must be at least 1", file=sys.stderr)
        return 2
    config = load_config(args.config or region_settings().config_path)
    people = generate_employees(config, args.count, seed=args.seed)
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        write_csv(people, out)
    with_pin = sum(1 for p in people if p.terminal_pin)
    print(f"{args.out}: {len(people)} employees over {len({p.unit_code for p in people})} units, "
          f"{with_pin} with a terminal PIN")
    return 0
