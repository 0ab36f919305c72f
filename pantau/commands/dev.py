"""pantau dev redis-cluster up|down: a local Redis Cluster (3 primaries) for tests and CI."""
from __future__ import annotations

import sys
from pathlib import Path

from foundation.settings import ROOT


def register(sub) -> None:
    p = sub.add_parser("dev", help="developers' servers")
    dsub = p.add_subparsers(dest="dev_command", metavar="SERVER")
    rc = dsub.add_parser("redis-cluster", help="a local Redis Cluster (Debian's redis-server, no replicas)")
    rc.add_argument("action", choices=("up", "down"))
    rc.add_argument("--ports", default="18601,18602,18603",
                    help="the primaries' ports, comma-separated (default: %(default)s; bus: port + 10000)")
    rc.add_argument("--dir", type=Path, default=ROOT / "var" / "redis-cluster",
                    help="the nodes' directories (default: ./var/redis-cluster)")
    rc.set_defaults(handler=_redis_cluster)
    p.set_defaults(handler=lambda a: p.print_help() or 2)


def _redis_cluster(args) -> int:
    from pantau import redis_cluster

    if args.action == "down":
        stopped = redis_cluster.down(args.dir)
        print(f"stopped {len(stopped)} nodes" + (f" ({', '.join(map(str, stopped))})" if stopped else ""))
        return 0
    try:
        ports = [int(p) for p in args.ports.split(",")]
    except ValueError:
        print(f"error: --ports: {args.ports!r} is not a comma-separated list of ports", file=sys.stderr)
        return 2
    try:
        url = redis_cluster.up(args.dir, ports)
    except redis_cluster.ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Redis Cluster up ({len(ports)} primaries, data in {args.dir})\nREDIS_URL={url}")
    return 0
