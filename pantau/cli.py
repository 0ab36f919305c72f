"""`pantau`: the command line. Each area registers its subcommands from pantau/commands/."""
from __future__ import annotations

import argparse
import importlib
import sys

from foundation.config import ConfigError

# One module per area; each defines register(subparsers).
COMMAND_MODULES = [
    "pantau.commands.db",
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
        return args.handler(args) or 0
    except ConfigError as exc:
        print(f"error: config is not valid\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
