"""The folium check-in map: verdict colours, geofences, clusters, popups. Data in, HTML out.

Leaflet and the cluster plugin are served from assets/vendor (no CDN: an office without
internet still gets its map); the HTML download inlines them so the file works offline.
"""
from __future__ import annotations

import html
import json

import folium
from folium.plugins import FastMarkerCluster

from foundation.settings import ROOT
from ingest import export_labels

from .figures import COLORS, VERDICT_COLORS, VERDICT_LABELS, check_in_kind

VENDOR = ROOT / "assets" / "vendor"
# a plain background when no tiles are configured, and the neutral clusters (their count
# centred: Leaflet's own .leaflet-marker-icon {display: block} must not win)
CLUSTER_STYLE = """<style>
.leaflet-container.leaflet-container { background: #eef0f3; }
.leaflet-marker-icon.pantau-cluster { background: rgba(18, 53, 91, 0.85); border: 2px solid #fff; border-radius: 50%;
                  color: #fff; font: 600 13px/1 Arial, sans-serif; display: flex; align-items: center;
                  justify-content: center; }
</style>"""
JS = [("leaflet", "/assets/vendor/leaflet.js")]
CSS = [("leaflet_css", "/assets/vendor/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", "/assets/vendor/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", "/assets/vendor/MarkerCluster.css"),
               ("markerclusterdefaultcss", "/assets/vendor/MarkerCluster.Default.css")]

# builds each point in the browser from a compact array (FastMarkerCluster), so
# 10,000 check-ins are one data array rather than 10,000 generated JS blocks
POINT_JS = """function (row) {
    var colors = %s;
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 7, color: '#ffffff', weight: 1, fillColor: colors[row[2]], fillOpacity: 0.9});
    marker.options.pantauKind = row[2];
    marker.bindPopup(row[3], {maxWidth: 260});
    return marker;
}""" % json.dumps(VERDICT_COLORS)

# clusters neutral (dark, with their count) rather than folium's yellow / orange / green by size,
# which read as verdicts
CLUSTER_ICON = """function (cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? 30 : n < 100 ? 36 : 44;
    return L.divIcon({html: '<div>' + n + '</div>', className: 'pantau-cluster',
                      iconSize: L.point(size, size)});
}"""


def popup_html(p: dict, zone, zone_label: str, show_names: bool, show_selfie: bool) -> str:
    kind = check_in_kind(p["verdict"], p.get("minutes_late"), p.get("source"))
    who = (f"<b>{html.escape(p['name'])}</b><br>NIP {html.escape(p['nip'])}<br>"
           if show_names else "")
    when = p["captured_at"].astimezone(zone).strftime("%d/%m %H.%M") + f" {zone_label}"
    parts = [who, when, f"<br>{VERDICT_LABELS[kind]}"]
    if p.get("minutes_late"):
        parts.append(f" (+{int(p['minutes_late'])} menit)")
    if p.get("distance_m") is not None:
        office = p.get("office_name") or p.get("office_code") or "?"
        parts.append(f"<br>Jarak: {p['distance_m']:.0f} m dari {html.escape(office)}")
    if p.get("reasons"):
        parts.append("<br>Alasan: " + html.escape(export_labels.value("reasons", p["reasons"])))
    if show_selfie and p.get("selfie_sha256"):
        parts.append(f'<br><img src="/selfie/{html.escape(p["selfie_sha256"])}" width="120" alt="swafoto">')
    if show_names and p.get("employee_id"):
        parts.append(f'<br><a href="/overview?employee={int(p["employee_id"])}" target="_top">Rincian</a>')
    return "".join(parts)


def check_in_map(offices: list, points: list[dict], config, *, show_names: bool, show_selfie: bool) -> folium.Map:
    """offices: config Office objects; points: rows from queries.dashboard_map.check_ins_on."""
    lats = [o.lat for o in offices] or [p["lat"] for p in points] or [config.offices[0].lat]
    lons = [o.lon for o in offices] or [p["lon"] for p in points] or [config.offices[0].lon]
    tiles = config.dashboard.tile_url
    m = folium.Map(location=[sum(lats) / len(lats), sum(lons) / len(lons)], zoom_start=14, tiles=None)
    m.options["max_zoom"] = 19   # the cluster layer needs the map's max zoom; with no tiles nothing sets it
    m.default_js, m.default_css = JS, CSS
    m.get_root().header.add_child(folium.Element(CLUSTER_STYLE))
    if tiles:
        folium.TileLayer(tiles=tiles, attr=config.dashboard.tile_attribution, name="Peta").add_to(m)
    fences = folium.FeatureGroup(name="Area kantor (geofence)").add_to(m)
    for o in offices:
        tip = html.escape(o.name)
        if o.polygon:
            folium.Polygon([list(p) for p in o.polygon], color=COLORS["geofence"], weight=2, fill=True,
                           fill_opacity=0.1, tooltip=tip, class_name="geofence").add_to(fences)
        else:
            folium.Circle([o.lat, o.lon], radius=o.radius_m or config.rules.geofence.default_radius_m,
                          color=COLORS["geofence"], weight=2, fill=True, fill_opacity=0.1, tooltip=tip,
                          class_name="geofence").add_to(fences)
    from foundation.config import zone_label  # local: keeps this module's imports light

    data = []
    for p in points:
        lat, lon = p["lat"], p["lon"]
        if lat is None:  # a manual entry has no GPS fix: it is drawn at its office
            office = config.office_by_code.get(p.get("office_code"))
            if office is None:
                continue
            lat, lon = office.lat, office.lon
        unit = p.get("unit_code")
        zone = config.unit_zone(unit) if unit in config.unit_by_code else config.zone
        office = config.office_by_code.get(p.get("office_code"))
        data.append([lat, lon, check_in_kind(p["verdict"], p.get("minutes_late"), p.get("source")),
                     popup_html({**p, "office_name": office.name if office else None}, zone, zone_label(zone.key),
                                show_names, show_selfie)])
    cluster = FastMarkerCluster(data, callback=POINT_JS, name="Presensi", icon_create_function=CLUSTER_ICON,
                                options={"disableClusteringAtZoom": 18, "chunkedLoading": True})
    cluster.default_js, cluster.default_css = CLUSTER_JS, CLUSTER_CSS
    cluster.add_to(m)
    if len(lats) > 1:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    return m


def render(m: folium.Map, standalone: bool = False, nonce: str | None = None) -> str:
    """The map as an HTML document; standalone inlines Leaflet for a file opened offline;
    `nonce` marks each of its scripts as this response's own (Content-Security-Policy)."""
    page = m.get_root().render()
    if nonce:
        page = page.replace("<script", f'<script nonce="{nonce}"')
    if standalone:
        for name, url in JS + CLUSTER_JS:
            page = page.replace(f'<script src="{url}"></script>',
                                "<script>" + (VENDOR / url.rsplit("/", 1)[1]).read_text() + "</script>")
        for name, url in CSS + CLUSTER_CSS:
            page = page.replace(f'<link rel="stylesheet" href="{url}"/>',
                                "<style>" + (VENDOR / url.rsplit("/", 1)[1]).read_text() + "</style>")
    return page
