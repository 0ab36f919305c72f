"""pantau demo-data (a synthetic city with history) and pantau demo (the whole demo)."""
from __future__ import annotations

import datetime as dt


def register(sub) -> None:
    d = sub.add_parser("demo-data", help="generate a synthetic city with check-in history (bulk COPY)")
    d.add_argument("--employees", type=int, default=5000, help="employees in the region (default 5000)")
    d.add_argument("--days", type=int, default=60, help="work days of history (default 60)")
    d.add_argument("--until", type=dt.date.fromisoformat, help="last day of history (default: yesterday)")
    d.add_argument("--seed", type=int, default=7)
    d.set_defaults(handler=_demo_data)

    m = sub.add_parser("demo", help="servers, migrations, the sample city with history, then a live morning")
    m.add_argument("--employees", type=int, default=5000)
    m.add_argument("--days", type=int, default=60, help="work days of history before the morning")
    m.add_argument("--speed", type=float, help="clock speed (default 10: 07:00-08:00 in 6 minutes; with "
                   "--regions 3 the three mornings one after another, 3 hours, at 30)")
    m.add_argument("--web-port", type=int, default=8050)
    m.add_argument("--ingest-port", type=int, default=8000)
    m.add_argument("--no-morning", action="store_true", help="serve the data without simulating a morning")
    m.add_argument("--regions", type=int, default=1, choices=range(1, 5), metavar="N",
                   help="1 (default): Kota Cilegon; 2 adds Kota Makassar (WITA), 3 also Kota Ternate (WIT), "
                        "each with 1,500 employees and 30 days at most, 4 also the province over Ternate, "
                        "Maluku Utara (WIT, 600 employees, a provinsi login), served by the same processes")
    m.set_defaults(handler=_demo)


def _demo_data(args) -> int:
    from ingest import live
    from ingest.synthetic.demo_data import populate

    from foundation import clock
    from foundation.runtime import boot

    rt = boot()
    today = clock.today(rt.config.zone)
    last = args.until or today - dt.timedelta(days=1)
    print(f"generating {args.employees} employees and {args.days} work days of history up to {last} ...", flush=True)
    stats = populate(rt, args.employees, args.days, last, seed=args.seed)
    live.rebuild(rt, today)
    print(f"done in {stats['seconds']} s: {stats['employees']} employees, {stats['first']}..{stats['last']}, "
          f"{stats['check_ins']} check-ins ({stats['check_ins_per_s']}/s), {stats['leaves']} leaves")
    return 0


def _demo(args) -> int:
    from ..demo import run_demo

    return run_demo(args)
