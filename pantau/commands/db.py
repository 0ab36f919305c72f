"""pantau db upgrade | status; pantau config check."""
from __future__ import annotations

import sys

from queries import schema


def register(sub) -> None:
    p = sub.add_parser("db", help="database schema (migrations)")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    up = dsub.add_parser("upgrade", help="apply pending migrations as the owner (DATABASE_URL) and grant "
                                         "the app's role its rights (start-up does this too)")
    up.set_defaults(handler=_upgrade)
    st = dsub.add_parser("status", help="show the applied and pending migrations")
    st.set_defaults(handler=_status)
    p.set_defaults(handler=lambda a: p.print_help() or 2)

    c = sub.add_parser("config", help="check config.yaml and list every problem")
    c.add_argument("path", nargs="?", help="config file (default: PANTAU_CONFIG or ./config.yaml)")
    c.set_defaults(handler=_check_config)


def _upgrade(args) -> int:
    from foundation.runtime import boot

    rt = boot(migrate=False)
    if not rt.urls.owner_url:
        print("pantau db upgrade runs as the owner: set DATABASE_URL to the owner's URL "
              "(docs/operations.md, 'Two database roles')", file=sys.stderr)
        return 2
    heads = schema.upgrade(rt.urls.owner_url, rt.urls.app_role)
    print(f"schema at {', '.join(heads)}; app role: {rt.urls.app_role.name if rt.urls.app_role else '-'}")
    return 0


def _status(args) -> int:
    from foundation.runtime import boot

    rt = boot(migrate=False)
    print(f"applied: {', '.join(schema.current_heads(rt.database_url)) or '(none)'}")
    print(f"pending: {', '.join(schema.pending(rt.database_url)) or '(none)'}")
    return 0


def _check_config(args) -> int:
    from foundation.config_file import load_config
    from foundation.regions import region_settings

    path = args.path or region_settings().config_path
    cfg = load_config(path)
    print(f"{path}: ok ({cfg.region.name}, {len(cfg.units)} units, {len(cfg.offices)} offices, "
          f"{len(cfg.schedules)} schedules)")
    return 0
