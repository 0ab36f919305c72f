"""Sample regions derived from config.yaml: the same rules, a city's own units and offices.

A region's config is config.yaml's schedules, rules and holidays with the region's name,
zone and code, a choice of the sample city's units (their names moved to the new city), and
their offices carried to the new city: each office keeps its bearing from the sample's city
hall and its distance, scaled so the city fits the new one. Each district (kecamatan) adds
a kecamatan, its kelurahan and a puskesmas near the district's real office. Pure: a dict in,
a dict out; `python -m ingest.synthetic.regions` writes pantau/samples/regions/.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EARTH_M = 6_371_000.0
BASE_HALL = "KANTOR-WALIKOTA"   # the sample city's centre: its city hall
SAMPLES = Path(__file__).resolve().parent.parent.parent / "pantau" / "samples" / "regions"


@dataclass(frozen=True)
class District:
    name: str                   # "Ujung Pandang": Kecamatan Ujung Pandang
    lat: float                  # its office, near the real one
    lon: float
    kelurahan: tuple[str, ...] = ()
    puskesmas: bool = True


@dataclass(frozen=True)
class CitySpec:
    code: str
    name: str                   # "Pemerintah Kota Makassar"
    city: str                   # "Makassar": replaces the sample city's name in unit and office names
    timezone: str
    centre: tuple[float, float]  # the city hall
    keep: tuple[str, ...]       # the sample's units kept (with their offices)
    districts: tuple[District, ...] = ()
    parent: str | None = None
    scale: float = 0.5          # the sample's distances from its city hall, times this
    flip_east: bool = False     # mirror east-west (the sea is on the other side)
    places: dict[str, str] = field(default_factory=dict)   # the sample's place names -> the city's


def offset_m(origin: tuple[float, float], point: tuple[float, float]) -> tuple[float, float]:
    """(east, north) metres from origin to point (equirectangular: exact enough within a city)."""
    north = math.radians(point[0] - origin[0]) * EARTH_M
    east = math.radians(point[1] - origin[1]) * EARTH_M * math.cos(math.radians(origin[0]))
    return east, north


def moved(origin: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    lat = origin[0] + math.degrees(north / EARTH_M)
    lon = origin[1] + math.degrees(east / (EARTH_M * math.cos(math.radians(origin[0]))))
    return round(lat, 5), round(lon, 5)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    east, north = offset_m(a, b)
    return math.hypot(east, north)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")


def _rename(text: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def derive_region(base: dict, spec: CitySpec) -> dict:
    """config.yaml's dict (`base`) as the config of `spec`'s city; `base` is not changed."""
    out = copy.deepcopy({k: v for k, v in base.items() if k not in ("region", "units", "offices")})
    base_city = re.sub(r"^(Pemerintah )?(Kota|Kabupaten) ", "", base["region"]["name"])
    renames = {**spec.places, base_city: spec.city}
    region = {"name": spec.name, "timezone": spec.timezone, "code": spec.code}
    if spec.parent:
        region["parent"] = spec.parent
    hall = next(o for o in base["offices"] if o["code"] == BASE_HALL)
    centre = (hall["lat"], hall["lon"])
    sign = -1.0 if spec.flip_east else 1.0

    def carry(lat: float, lon: float) -> list[float]:
        east, north = offset_m(centre, (lat, lon))
        return list(moved(spec.centre, sign * east * spec.scale, north * spec.scale))

    kept = set(spec.keep)
    units = []
    for unit in base["units"]:
        if unit["code"] in kept:
            unit = {**unit, "name": _rename(unit["name"], renames)}
            if unit.get("parent") and unit["parent"] not in kept:
                unit["parent"] = "SETDA"
            units.append(unit)
    offices = []
    for office in base["offices"]:
        if office["unit"] in kept:
            office = {**office, "name": _rename(office["name"], renames)}
            office["lat"], office["lon"] = carry(office["lat"], office["lon"])
            if "polygon" in office:
                office["polygon"] = [carry(lat, lon) for lat, lon in office["polygon"]]
            offices.append(office)
    for d in spec.districts:
        units_, offices_ = _district(d)
        units += units_
        offices += offices_
    if isinstance(out.get("holidays"), dict):
        # the sample city's own days (its anniversary) are not this city's: national ones only
        out["holidays"] = {**out["holidays"], "add": [], "remove": []}
    out_region = {"region": region}
    return {**out_region, **out, "units": units, "offices": offices}


def _district(d: District) -> tuple[list[dict], list[dict]]:
    """A kecamatan, its kelurahan and a puskesmas, each office a few hundred metres around
    the kecamatan's (east, then north, west, south ...)."""
    kec = f"KEC-{_slug(d.name)}"
    units = [{"code": kec, "name": f"Kecamatan {d.name}", "kind": "kecamatan", "parent": "SETDA"}]
    offices = [{"code": f"{kec}-1", "name": f"Kantor Kecamatan {d.name}", "unit": kec, "lat": d.lat, "lon": d.lon}]
    around = [(f"KEL-{_slug(k)}", f"Kelurahan {k}", "kelurahan", kec, f"Kantor Kelurahan {k}") for k in d.kelurahan]
    if d.puskesmas:
        around.append((f"PKM-{_slug(d.name)}", f"Puskesmas {d.name}", "puskesmas", "DINKES", f"Puskesmas {d.name}"))
    for n, (code, name, kind, parent, office_name) in enumerate(around):
        unit = {"code": code, "name": name, "kind": kind, "parent": parent}
        if kind == "puskesmas":
            unit["schedule"] = "enam_hari"
        units.append(unit)
        bearing = math.radians(90 - 90 * n)          # E, N, W, S, then the ring again further out
        metres = 600 + 300 * (n // 4)
        lat, lon = moved((d.lat, d.lon), metres * math.sin(bearing), metres * math.cos(bearing))
        offices.append({"code": f"{code}-1", "name": office_name, "unit": code, "lat": lat, "lon": lon,
                        "radius_m": 100})
    return units, offices


# The sample's dinas and badan every city has, and two schools (their terminals play in the demo)
KEEP = ("SETDA", "SETWAN", "INSPEKTORAT", "SATPOLPP", "DAMKAR", "DINDIKBUD", "DINKES", "DPUTR", "DINSOS",
        "DISDUKCAPIL", "DISHUB", "DISKOMINFO", "DPMPTSP", "BAPPEDA", "BPKAD", "BKPP", "BPBD",
        "SMPN-1", "SMPN-2")

MAKASSAR = CitySpec(
    code="7371", name="Pemerintah Kota Makassar", city="Makassar", timezone="Asia/Makassar",
    centre=(-5.1344, 119.4128), keep=KEEP, scale=0.6, flip_east=True,   # Selat Makassar lies west
    places={"Pulomerak": "Biringkanaya", "Ciwandan": "Tamalate", "Merak": "Untia"},
    districts=(
        District("Ujung Pandang", -5.1375, 119.4115, ("Losari",)),
        District("Panakkukang", -5.1452, 119.4464, ("Pandang",)),
        District("Tamalate", -5.1818, 119.4131, ("Mangasa",)),
    ),
)

TERNATE = CitySpec(
    code="8271", name="Pemerintah Kota Ternate", city="Ternate", timezone="Asia/Jayapura", parent="82",
    centre=(0.7893, 127.3776), keep=KEEP, scale=0.35,   # a small island city under Gamalama
    places={"Pulomerak": "Dufa-Dufa", "Ciwandan": "Kalumata", "Merak": "Bastiong"},
    districts=(
        District("Ternate Tengah", 0.7921, 127.3790, ("Gamalama",)),
        District("Ternate Utara", 0.8185, 127.3840, ("Dufa-Dufa",)),
        District("Ternate Selatan", 0.7652, 127.3712, ("Kalumata",)),
    ),
)

# The province over Ternate: its own offices at Sofifi, the provincial capital; a province's
# dinas and badan (no fire brigade or civil registry: those are the cities'), and two SMA,
# which a province runs (their terminals play in the demo). No kecamatan: a province has none.
MALUKU_UTARA = CitySpec(
    code="82", name="Pemerintah Provinsi Maluku Utara", city="Sofifi", timezone="Asia/Jayapura",
    centre=(0.7350, 127.5690), scale=0.4,
    keep=tuple(u for u in KEEP if u not in ("DAMKAR", "DISDUKCAPIL")),
    places={"Kantor Wali Kota Cilegon": "Kantor Gubernur Maluku Utara", "Rumah Dinas Wali Kota": "Rumah Dinas Gubernur",
            "Kota Cilegon": "Provinsi Maluku Utara", "SMP Negeri": "SMA Negeri",
            "Pulomerak": "Guraping", "Ciwandan": "Galala", "Merak": "Kaiyasa"},
)

SAMPLE_CITIES = (MAKASSAR, TERNATE, MALUKU_UTARA)


def sample_text(base: dict, spec: CitySpec) -> str:
    derived = derive_region(base, spec)
    head = (f"# Sample region {spec.code}: {spec.name} ({spec.timezone}), for `./bin/demo --regions N`.\n"
            f"# Derived from config.yaml by ingest/synthetic/regions.py: {len(derived['units'])} units, "
            f"{len(derived['offices'])} offices near the city's centre\n# (sample data, not the real layout). "
            "Regenerate: python -m ingest.synthetic.regions\n")
    return head + yaml.safe_dump(derived, sort_keys=False, allow_unicode=True)


def write_samples(config_path: Path, out_dir: Path = SAMPLES) -> list[Path]:
    base = yaml.safe_load(Path(config_path).read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SAMPLE_CITIES:
        path = out_dir / f"{spec.code}.yaml"
        path.write_text(sample_text(base, spec))
        written.append(path)
    return written


if __name__ == "__main__":
    from foundation.settings import ROOT

    for p in write_samples(ROOT / "config.yaml"):
        print(p)
