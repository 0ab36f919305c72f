"""`pantau`: the command line. Each area registers its subcommands from pantau/commands/."""
from __future__ import annotations

import argparse
import importlib
import sys

from foundation.config import ConfigError
from foundation.regions import RegionError

# One module per area; each defines register(subparsers).
COMMAND_MODULES = [
    "pantau.commands.db",
    "pantau.commands.region",
    "pantau.commands.live",
    "pantau.commands.users",
    "pantau.commands.dashboard",
    "pantau.commands.days",
    "pantau.commands.leave",
    "pantau.commands.recap",
    "pantau.commands.employees",
    "pantau.commands.terminals",
    "pantau.commands.demo",
    "pantau.commands.devices",
    "pantau.commands.patterns",
    "pantau.commands.faces",
    "pantau.commands.manual",
    "pantau.commands.screens",
    "pantau.commands.dev",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pantau", description="Pantau: live attendance for a regional government.")
    parser.add_argument("--region", metavar="CODE",
                        help="the region to work on (default: PANTAU_REGION, else config.yaml's own; "
                             "`pantau region list` names them)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        if args.region:
            select_region(args.region)
        return args.handler(args) or 0
    except RegionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: config is not valid\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def select_region(code: str) -> None:
    """Every command's boot() reads the environment: --region is PANTAU_REGION for this run,
    checked first so a wrong code is named before anything starts."""
    import os

    from foundation.regions import region_settings

    region_settings(code)   # raises RegionError naming the known regions
    os.environ["PANTAU_REGION"] = code
