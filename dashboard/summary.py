"""Pure shaping of counts: sum per unit subtree, totals, percentages (no I/O)."""
from __future__ import annotations

from typing import Iterable

from queries.dashboard import COUNT_KEYS

TILE_KEYS = ("present", "late", "on_leave", "not_yet")


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def empty_counts() -> dict:
    return {k: 0 for k in COUNT_KEYS}


def totals(rows: Iterable[dict]) -> dict:
    out = empty_counts()
    for r in rows:
        for k in COUNT_KEYS:
            out[k] += int(r.get(k) or 0)
    return out


def child_of(config, unit_code: str, parent: str | None) -> str | None:
    """The child of `parent` (None: a root) on the way down to `unit_code`, or None if not below it."""
    if unit_code not in config.unit_by_code:
        return None
    path = config.unit_path(unit_code)
    if parent is None:
        return path[0]
    if parent not in path:
        return None
    i = path.index(parent)
    return path[i + 1] if i + 1 < len(path) else parent


def top_node(config) -> str | None:
    """The unit the region's SKPDs hang under, when the tree has a single root (a city's
    Sekretariat Daerah holds every dinas, badan and kecamatan): the region's view shows its
    children, not one bar. None when the tree has several roots."""
    roots = config.children.get(None, [])
    return roots[0].code if len(roots) == 1 else None


def by_child(rows: Iterable[dict], config, parent: str | None, kind: str | None = None) -> list[dict]:
    """Counts summed per child unit of `parent`, whole subtrees included; the parent's own
    people appear under the parent's code. Ranked by presence, lowest first (where to look)."""
    groups: dict[str, dict] = {}
    for r in rows:
        code = child_of(config, r["unit_code"], parent)
        if code is None:
            continue
        g = groups.setdefault(code, empty_counts())
        for k in COUNT_KEYS:
            g[k] += int(r.get(k) or 0)
    out = []
    for code, g in groups.items():
        unit = config.unit_by_code[code]
        if kind and unit.kind != kind:
            continue
        name = f"{unit.name} (langsung)" if code == parent else unit.name  # the parent's own people
        out.append({"unit_code": code, "name": name, "kind": unit.kind,
                    "has_children": bool(config.children.get(code)) and code != parent,
                    **g, **{f"{k}_pct": percent(g[k], g["expected"]) for k in TILE_KEYS}})
    out.sort(key=lambda r: (r["present_pct"], r["name"]))
    return out


def tiles(counts: dict) -> list[dict]:
    """The four headline numbers with their share of those expected."""
    labels = {"present": "Hadir", "late": "Terlambat", "on_leave": "Cuti / Izin", "not_yet": "Belum hadir"}
    return [{"key": k, "label": labels[k], "value": int(counts.get(k) or 0),
             "pct": percent(counts.get(k) or 0, counts.get("expected") or 0)} for k in TILE_KEYS]


def breadcrumbs(config, unit_code: str | None, scope_unit: str | None = None) -> list[tuple[str | None, str]]:
    """(unit_code, label) from the top the viewer may see down to `unit_code`."""
    crumbs: list[tuple[str | None, str]] = []
    if scope_unit is None:
        crumbs.append((None, config.region.name))
    if unit_code and unit_code in config.unit_by_code:
        path = config.unit_path(unit_code)
        if scope_unit in path:
            path = path[path.index(scope_unit):]
        crumbs += [(c, config.unit_by_code[c].name) for c in path]
    return crumbs
