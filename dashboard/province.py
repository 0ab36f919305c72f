"""A province's view of the regions under it: pure shaping of each region's counts (no I/O).

What comes in is counts only (the live state's per-unit counts, the month's totals); what
goes out is counts, shares and names of regions and units: never a person. The reads are
in dashboard/data/province.py, the page in dashboard/pages/provinsi.py.
"""
from __future__ import annotations

from foundation.config import zone_label

from . import formats, summary

# the live state's words (ingest.live) -> the page's
TODAY_KEYS = ("expected", "present", "late", "leave", "absent", "not_yet")
TODAY_LABELS = {"present": "Hadir", "late": "Terlambat", "absent": "TK", "leave": "Cuti / izin",
                "not_yet": "Belum hadir"}
SHARE_KEYS = ("present", "late", "absent", "leave", "not_yet")


def children(regions: dict, province_code: str) -> list[tuple[str, object]]:
    """(code, runtime) of the regions whose `region.parent` is `province_code`, by name."""
    found = [(code, rt) for code, rt in regions.items()
             if rt.config.region.parent == province_code and code != province_code]
    return sorted(found, key=lambda item: (item[1].config.region.name, item[0]))


def zone_of(config) -> str:
    """WIB / WITA / WIT: the region's own zone, in which its day and times are read."""
    return zone_label(config.zone.key)


def today_counts(totals: dict) -> dict:
    """A live snapshot's totals, with each share of those expected today (in percent)."""
    counts = {k: int(totals.get(k) or 0) for k in TODAY_KEYS}
    counts.update({f"{k}_pct": summary.percent(counts[k], counts["expected"]) for k in SHARE_KEYS})
    return counts


def late_rate(month: dict) -> float:
    """The month's lateness: late arrivals / days present, in percent (as /trends counts it)."""
    return summary.percent(int(month.get("late") or 0), int(month.get("present") or 0))


def unit_counts(units: dict[str, dict], config) -> list[dict]:
    """The live per-unit counts summed per SKPD (the units under the region's one root, the
    root's own staff as '(langsung)'), lowest presence first; units expected no one are left out."""
    top = summary.top_node(config)
    groups: dict[str, dict] = {}
    for code, c in units.items():
        group = summary.child_of(config, code, top)
        if group is None:
            continue
        g = groups.setdefault(group, dict.fromkeys(TODAY_KEYS, 0))
        for k in TODAY_KEYS:
            g[k] += int(c.get(k) or 0)
    out = []
    for code, g in groups.items():
        if not g["expected"]:
            continue
        name = config.unit_by_code[code].name
        out.append({"unit_code": code, "name": f"{name} (langsung)" if code == top else name, **today_counts(g)})
    out.sort(key=lambda r: (r["present_pct"], r["name"]))
    return out


def region_row(code: str, config, employees: int, totals: dict, month: dict, units: dict, *,
               day, updated: str | None) -> dict:
    """One region of the province: who it is, today's counts in its own zone and date, the
    month's lateness, its SKPDs' counts, and whether it granted its people to the province."""
    return {"code": code, "name": config.region.name, "zone": zone_of(config), "day": day,
            "updated": updated, "employees": int(employees), "today": today_counts(totals),
            "month_present": int(month.get("present") or 0), "month_late": int(month.get("late") or 0),
            "late_rate": late_rate(month), "units": unit_counts(units, config),
            "granted": bool(config.region.people_to_parent)}


def share(count: int, pct: float) -> str:
    """'12 (40%)' in Indonesian numbers."""
    return f"{formats.number(count)} ({formats.percent(pct)})"


# what a reader looks for first comes first: a phone shows the first columns, the rest scroll
SHOWN = ("present", "late", "not_yet", "absent", "leave")


def region_cells(row: dict) -> list[str]:
    """The province table's cells for one region (after its name), as the page prints them."""
    t = row["today"]
    return [row["zone"], *(share(t[k], t[f"{k}_pct"]) for k in SHOWN), formats.percent(row["late_rate"]),
            formats.number(t["expected"]), formats.number(row["employees"])]


def unit_cells(unit: dict) -> list[str]:
    return [*(share(unit[k], unit[f"{k}_pct"]) for k in SHOWN), formats.number(unit["expected"])]


def province_totals(rows: list[dict]) -> dict:
    """The province's regions together: today's counts summed, and the month's lateness over
    all their days present (not the mean of the regions' rates)."""
    summed = {k: sum(r["today"][k] for r in rows) for k in TODAY_KEYS}
    month = {"present": sum(r["month_present"] for r in rows), "late": sum(r["month_late"] for r in rows)}
    return {"employees": sum(r["employees"] for r in rows), "today": today_counts(summed),
            "late_rate": late_rate(month), "month_present": month["present"], "month_late": month["late"]}
