"""pantau region add | list: the regions of one installation (foundation/regions.py)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("region", help="the regions this installation serves (one schema each)")
    rsub = p.add_subparsers(dest="region_command", metavar="ACTION")
    add = rsub.add_parser("add", help="add a region from its config file: checks it, copies it to "
                                      "regions/<code>.yaml, makes its schema (distributed on Citus) and role")
    add.add_argument("config", help="the region's config file (config.yaml's format; region.code names it)")
    add.add_argument("--replace", action="store_true", help="replace the config of a region already added")
    add.set_defaults(handler=_add)
    ls = rsub.add_parser("list", help="the regions: code, name, zone, schema, parent, employees")
    ls.set_defaults(handler=_list)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _add(args) -> int:
    from foundation.config_file import load_config
    from foundation.regions import listing, region_files, settings_for
    from foundation.runtime import boot

    source = Path(args.config)
    config = load_config(source)            # ConfigError lists every problem with its key path
    base = installation_settings()
    code = config.region.code
    own = listing(base)[0]
    if code == own.code:
        print(f"error: region {code} is this installation's own ({own.config_path})", file=sys.stderr)
        return 2
    target = base.regions_dir / f"{code}.yaml"
    if code in region_files(base.regions_dir) and not args.replace:
        print(f"error: region {code} is already added ({target}); --replace to change its config", file=sys.stderr)
        return 2
    base.regions_dir.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        tmp = target.with_suffix(".yaml.tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)                 # whole or not at all
    rt = boot(settings_for(base, code))   # schema, migrations, role, units and offices
    print(f"region {code} ({config.region.name}, {config.region.timezone}): schema "
          f"{rt.settings.db_schema}, config {target}")
    return 0


def _list(args) -> int:
    from foundation.regions import listing, settings_for
    from foundation.runtime import boot
    from queries import employees

    base = installation_settings()
    print(f"{'code':<8} {'name':<40} {'zone':<16} {'schema':<10} {'parent':<7} employees")
    for entry in listing(base):
        try:
            rt = boot(settings_for(base, entry.code))
            with rt.connection() as conn:
                people = f"{employees.count(conn):,}".replace(",", ".")
        except (Exception, SystemExit) as exc:   # one region's database down: list the others
            people = f"? ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        print(f"{entry.code:<8} {entry.name[:40]:<40} {entry.timezone:<16} {entry.schema or '(own)':<10} "
              f"{entry.parent or '-':<7} {people}")
    return 0


def installation_settings():
    """The installation's own settings whatever --region says: regions are the installation's."""
    from foundation.settings import load_settings

    return load_settings()   # PANTAU_REGION is read by foundation.regions.region_settings only
