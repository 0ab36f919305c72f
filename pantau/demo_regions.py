"""`pantau demo --regions N`: one installation serving N regions in different zones.

Region 1 is the installation's own (config.yaml, Kota Cilegon, WIB); 2 adds Kota Makassar
(WITA), 3 Kota Ternate (WIT), 4 the province over Ternate, Maluku Utara (82, WIT, its own
offices at Sofifi, with a `provinsi` login that sees Ternate's rollups on /provinsi), from
pantau/samples/regions/ (ingest/synthetic/regions.py).
Their files go to the demo's own regions dir, var/regions (PANTAU_REGIONS_DIR for the
children), never to ./regions/, so only a demo started with --regions N serves them.

The morning: all processes share one demo clock, so the regions play one after another,
each its own 07:00-08:00 local, as the day really breaks across Indonesia: Ternate's 07:00
WIT is 05:00 WIB, Makassar's 07:00 WITA 06:00 WIB, then Cilegon's 07:00 WIB. The clock
runs from the first morning's start to the last one's end (3 hours for three regions),
by default at 10x per region so the whole takes the 6 minutes one region's does.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from foundation.runtime import Runtime, boot
from foundation.settings import ROOT, Settings

SAMPLES = ROOT / "pantau" / "samples" / "regions"
EXTRA_REGIONS = ("7371", "8271", "82")  # Kota Makassar (WITA), Kota Ternate (WIT), Provinsi Maluku Utara (WIT)
MAX_REGIONS = 1 + len(EXTRA_REGIONS)
EXTRA_EMPLOYEES, EXTRA_DAYS = 1500, 30  # the other regions' size: start-up stays short
SMALLER = {"82": 600}                   # a province's own offices hold fewer people than a city's
PROVINCE_USERS = (("provinsi", "provinsi", None),)   # on a region that is another's region.parent
MORNING = (dt.time(7, 0), dt.time(8, 0))
SPEED_PER_REGION = 10.0                 # one region's 07:00-08:00 in 6 minutes


@dataclass
class RegionDemo:
    code: str
    rt: Runtime
    own: bool
    employees: int
    days: int
    seed: int = 7                       # its people and their habits (demo_data.populate's seed)
    users: tuple = ()                   # logins beyond demo.DEMO_USERS (the province's)
    start: dt.datetime | None = None    # the morning, 07:00-08:00 in the region's zone
    end: dt.datetime | None = None

    @property
    def label(self) -> str:
        """"Kota Ternate (8271, WIT)": the name without 'Pemerintah', the code and the zone's abbreviation."""
        name = self.rt.config.region.name.removeprefix("Pemerintah ")
        zone = (self.start or dt.datetime.now(self.rt.config.zone)).astimezone(self.rt.config.zone).tzname()
        return f"{name} ({self.code}, {zone})"


def region_codes(count: int) -> list[str]:
    """The extra regions of a demo of `count` regions (the own one is config.yaml's)."""
    if not 1 <= count <= MAX_REGIONS:
        raise ValueError(f"--regions is 1 to {MAX_REGIONS}, not {count}")
    return list(EXTRA_REGIONS[: count - 1])


def place_region_files(regions_dir: Path, codes: list[str], own_code: str) -> list[str]:
    """regions_dir holds exactly the sample files of `codes` (a region of an earlier, larger
    demo is left out, its schema kept); returns the codes placed."""
    regions_dir.mkdir(parents=True, exist_ok=True)
    wanted = [c for c in codes if c != own_code]
    for stale in regions_dir.glob("*.yaml"):
        if stale.stem not in wanted:
            stale.unlink()
    for code in wanted:
        target = regions_dir / f"{code}.yaml"
        tmp = target.with_suffix(".yaml.tmp")
        shutil.copyfile(SAMPLES / f"{code}.yaml", tmp)
        tmp.replace(target)
    return wanted


def prepare(base: Settings, count: int, employees: int, days: int) -> list[RegionDemo]:
    """Boot every region of the demo (schema, migrations, role, units and offices), own first.
    With count 1 this is today's demo: boot(base), nothing else."""
    from foundation.regions import own_code, settings_for

    extra = region_codes(count)
    if not extra:
        return [RegionDemo(own_code(base), boot(base), True, employees, days)]
    base = dataclasses.replace(base, regions_dir=base.var_dir / "regions")
    placed = place_region_files(base.regions_dir, extra, own_code(base))
    own = RegionDemo(own_code(base), boot(base), True, employees, days)
    # a seed of its own: other people, other NIPs (a NIP is the civil servant's, nationwide)
    regions = [own] + [RegionDemo(code, boot(settings_for(base, code)), False,
                                  min(employees, EXTRA_EMPLOYEES, SMALLER.get(code, employees)),
                                  min(days, EXTRA_DAYS), seed=own.seed + n) for n, code in enumerate(placed, 1)]
    parents = {r.rt.config.region.parent for r in regions}
    for r in regions:
        if r.code in parents:
            r.users = PROVINCE_USERS
    return regions


def common_morning(regions: list[RegionDemo], first_try) -> dt.date:
    """The first date that is a regular work day in every region (`first_try(rt, from_day)`
    finds one region's), and each region's 07:00-08:00 on it, set on the RegionDemo."""
    day = None
    while True:
        days = {first_try(r.rt, day) for r in regions}
        if len(days) == 1:
            break
        day = max(days)
    day = days.pop()
    for r in regions:
        zone = r.rt.config.zone
        r.start, r.end = (dt.datetime.combine(day, t, tzinfo=zone) for t in MORNING)
    return day


def window(regions: list[RegionDemo]) -> tuple[dt.datetime, dt.datetime]:
    """From the first region's 07:00 to the last one's 08:00 (the same instant for one region)."""
    return min(r.start for r in regions), max(r.end for r in regions)


def default_speed(regions: list[RegionDemo]) -> float:
    """10x per hour of the window: one region's morning in 6 minutes, three regions' (3 hours) too."""
    start, end = window(regions)
    return SPEED_PER_REGION * max(1.0, (end - start).total_seconds() / 3600)


def host(code: str, port: int) -> str:
    """A region's host name: `<code>.localhost` (browsers resolve it to this machine; the
    processes route by its first label)."""
    return f"{code}.localhost:{port}"


def plan_text(regions: list[RegionDemo], speed: float) -> str:
    """The morning's order, in words, for the demo's output."""
    start, end = window(regions)
    own = regions[0]
    zone = own.rt.config.zone
    parts = [f"{r.label.split(' (')[0]} {r.start.astimezone(r.rt.config.zone):%H.%M} {r.start.tzname()}"
             + ("" if r.own else f" (= {r.start.astimezone(zone):%H.%M} {start.astimezone(zone).tzname()})")
             for r in sorted(regions, key=lambda r: r.start)]
    return (f"{start.date()}: one morning after another, each region's own 07.00-08.00 local, as the day breaks "
            f"across Indonesia: {', '.join(parts)}; the clock runs {start.astimezone(zone):%H.%M}-"
            f"{end.astimezone(zone):%H.%M} {start.astimezone(zone).tzname()} at {speed:g}x: "
            f"{(end - start).total_seconds() / speed / 60:.1f} minutes.")


def print_regions(regions: list[RegionDemo], access: list, codes: list, web_port: int, ingest_port: int) -> None:
    """The URLs per region, each on its `<code>.localhost` host name (the processes route by it)."""
    print(f"\nPantau demo is running: {len(regions)} regions in one installation, one ingest, web and "
          "worker process for all (open the URLs in a browser: it resolves *.localhost itself)")
    for r, (passwords, kiosk), code in zip(regions, access, codes):
        web, ingest = f"http://{host(r.code, web_port)}", f"http://{host(r.code, ingest_port)}"
        people = f"{r.employees:,}".replace(",", ".")
        print(f"  {r.label}{', the installation’s own region' if r.own else ''}: {people} employees")
        print(f"    wall display   {web}/wall?kiosk={kiosk}")
        print(f"    dashboard      {web}/   logins: " + ", ".join(f"{u} / {p}" for u, p in passwords.items()))
        if r.users:
            below = [c.label.split(" (")[0] for c in regions if c.rt.config.region.parent == r.code]
            print(f"    provinsi       {web}/provinsi   (the provinsi login: rollups of {', '.join(below)})")
        if code:
            print(f"    employee page  {ingest}/app/   activate with NIP {code[0]} and code {code[1]}")
    print(f"  mobile API     http://127.0.0.1:{ingest_port}/api/v1/docs   (a phone activates on any host, its "
          "code finds its region; then its token, <code>~..., names it)")
    print(f"  terminals      http://127.0.0.1:{ingest_port}/iclock/cdata  (ZKTeco push protocol; the serial "
          "names the region: DEMO0001, D7371-0001, ...)")
