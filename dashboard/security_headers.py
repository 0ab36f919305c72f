"""The dashboard's security headers, by flask-talisman (as Dash's docs advise):

- Content-Security-Policy: scripts only from this server plus the hashes of Dash's own
  inline scripts (`app.csp_hashes()`), nothing loaded from another host (a tile server
  only when `dashboard.tile_url` names one), no plugins, no framing;
- X-Frame-Options: DENY (the wall too: a TV opens it, nothing embeds it), except the folium
  frames of the /map page (/map/frame) and the review page (/review/map/<id>), which only
  this site may embed and whose inline scripts carry a per-response nonce;
- Strict-Transport-Security over HTTPS, Referrer-Policy, X-Content-Type-Options.

HTTPS itself is nginx's job (force_https off: the demo serves plain http on localhost),
and the session cookie's Secure flag follows the request (dashboard/sessions.py).
"""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from flask_talisman import Talisman

from .formats import plotly_locale_js

SELF = "'self'"


def policy(script_hashes: list[str], tile_url: str | None) -> dict:
    tiles = urlsplit(tile_url) if tile_url else None
    tile_origin = [f"{tiles.scheme}://{tiles.netloc}"] if tiles and tiles.netloc else []
    return {
        "default-src": SELF,
        "script-src": [SELF, *script_hashes],
        # dash-renderer, Plotly and Leaflet set inline styles (a strict style-src broke 14 of
        # the 16 pages in Chromium); styles cannot run code
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *tile_origin],
        "font-src": [SELF, "data:"],
        "connect-src": SELF,
        "frame-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": SELF,
        "frame-ancestors": "'none'",
    }


def map_frame_policy(tile_url: str | None) -> dict:
    """The folium map's own document: its inline scripts carry the response's nonce, and
    only the /map page of this site may frame it."""
    return {**policy([], tile_url), "frame-ancestors": SELF}


def script_hash(js: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode() + "'"


def install(app) -> Talisman:
    """Call once every callback is registered: clientside callbacks add inline scripts.
    The page head's own inline script (the charts' Indonesian locale) is allowed by its hash."""
    tile_url = app.server.extensions["pantau"].config.dashboard.tile_url
    hashes = [*app.csp_hashes(), script_hash(plotly_locale_js())]
    talisman = Talisman(app.server, content_security_policy=policy(hashes, tile_url),
                        frame_options="DENY", force_https=False, session_cookie_secure=False,
                        session_cookie_samesite="Lax", referrer_policy="same-origin")
    for view in ("downloads.map_frame", "review.evidence_map"):   # /map/frame and the review page's /review/map/<id>
        talisman(frame_options="SAMEORIGIN", content_security_policy=map_frame_policy(tile_url),
                 content_security_policy_nonce_in=["script-src"])(app.server.view_functions[view])
    return talisman
