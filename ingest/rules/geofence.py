"""Geofences: is a point inside an office's radius or polygon, and how far is it. Pure."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from foundation.config import Office

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def in_polygon(lat: float, lon: float, polygon: list[tuple[float, float]]) -> bool:
    """Even-odd ray casting; office polygons are small enough to treat lat/lon as planar."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def _distance_to_polygon(lat: float, lon: float, polygon: list[tuple[float, float]]) -> float:
    """Metres to the nearest edge (local equirectangular projection)."""
    kx = 111_320 * math.cos(math.radians(lat))
    ky = 110_574
    best = math.inf
    n = len(polygon)
    for i in range(n):
        (ay, ax), (by, bx) = polygon[i], polygon[(i + 1) % n]
        ax_, ay_ = (ax - lon) * kx, (ay - lat) * ky
        bx_, by_ = (bx - lon) * kx, (by - lat) * ky
        dx, dy = bx_ - ax_, by_ - ay_
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, -(ax_ * dx + ay_ * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax_ + t * dx, ay_ + t * dy))
    return best


@dataclass(frozen=True)
class GeofenceResult:
    inside: bool
    office: Office | None
    distance_m: float | None   # to the office point, or 0 inside a polygon
    limit_m: float | None      # the radius that applied (None for a polygon)


def check(lat: float, lon: float, offices: Iterable[Office], default_radius_m: float) -> GeofenceResult:
    """Inside any of the offices? Otherwise the nearest one and how far outside its fence."""
    nearest: GeofenceResult | None = None
    best = math.inf
    for office in offices:
        if office.polygon:
            if in_polygon(lat, lon, office.polygon):
                return GeofenceResult(True, office, 0.0, None)
            gap = _distance_to_polygon(lat, lon, office.polygon)
            candidate = GeofenceResult(False, office, round(gap, 1), None)
        else:
            radius = office.radius_m or default_radius_m
            d = distance_m(lat, lon, office.lat, office.lon)
            if d <= radius:
                return GeofenceResult(True, office, round(d, 1), radius)
            gap = d - radius
            candidate = GeofenceResult(False, office, round(d, 1), radius)
        if gap < best:
            best, nearest = gap, candidate
    return nearest or GeofenceResult(False, None, None, None)
