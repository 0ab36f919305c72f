"""A gunicorn worker made ready before it serves, so the first visitor does not pay for it.

- the lazily imported libraries (pandas for trends, folium for the map) are imported;
- Dash's first-request setup (layout, callback map, asset list) runs on a test request;
- the JS/CSS bundles are gzipped once and kept in memory (they change only on deploy):
  a TV or a browser on a slow office network loads ~1.5 MB instead of ~5 MB.
"""
from __future__ import annotations

import gc
import gzip
import re

from flask import Flask, request

BUNDLE_PREFIXES = ("/_dash-component-suites/", "/assets/")
BUNDLE_TYPES = {"application/javascript", "text/javascript", "text/css", "application/json"}
_gzipped: dict[str, bytes] = {}  # path -> gzip body; only paths that answered 200, so bounded;
# shared by the regions' apps of one process (dashboard/regions.py): the same files for each


def gzip_bundles(server: Flask) -> None:
    @server.after_request
    def _gzip(response):
        if (request.method != "GET" or not request.path.startswith(BUNDLE_PREFIXES)
                or response.status_code != 200 or response.mimetype not in BUNDLE_TYPES
                or "Content-Encoding" in response.headers or "Range" in request.headers):
            return response
        response.vary.add("Accept-Encoding")
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return response
        etag, weak = response.get_etag()
        if etag and request.if_none_match.contains(etag + "-gz"):
            # the browser holds our gzip already: the tag below is ours, so the server under
            # us never matched it, and plotly.js (1.5 MB) was sent again on every page load
            return _not_modified(response, etag + "-gz", weak)
        body = _gzipped.get(request.path)
        if body is None:
            response.direct_passthrough = False  # send_from_directory streams the file otherwise
            body = _gzipped[request.path] = gzip.compress(response.get_data(), 6)
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        if etag:  # another representation: another validator
            response.set_etag(etag + "-gz", weak=weak)
        return response


def _not_modified(response, etag: str, weak: bool):
    if hasattr(response.response, "close"):  # a file Flask was about to stream
        response.response.close()
    response.direct_passthrough = False
    response.set_data(b"")
    response.status_code = 304
    response.set_etag(etag, weak=weak)
    for header in ("Content-Length", "Content-Type", "Content-Encoding"):
        response.headers.pop(header, None)
    return response


# fetched by the pages after the shell (dcc's lazy chunks and plotly.js, 4.8 MB before
# gzip: ~170 ms to compress, which the first visitor of each worker paid)
ASYNC_BUNDLES = ("/_dash-component-suites/plotly/package_data/plotly.min.js",
                 "/_dash-component-suites/dash/dcc/async-graph.js",
                 "/_dash-component-suites/dash/dcc/async-dropdown.js",
                 "/_dash-component-suites/dash/dcc/async-datepicker.js")


def warm(app) -> None:
    """Run once per worker at start (dashboard.app.create_server)."""
    import folium  # noqa: F401  the map page
    import pandas  # noqa: F401  the trends page

    client = app.server.test_client()
    client.get("/_dash-layout")
    client.get("/_dash-dependencies")
    shell = client.get("/wall").get_data(as_text=True)  # public: lists every bundle a page loads
    for src in [*re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', shell), *ASYNC_BUNDLES]:
        client.get(src, headers={"Accept-Encoding": "gzip"})


GC_YOUNG_THRESHOLD = 20_000  # objects allocated between two young collections (Python's default: 700)


def settle_garbage_collector() -> None:
    """For a serving process, after warm() (not for a test run: frozen objects are never
    freed). What start-up built (~200,000 objects: plotly, pandas, Dash) lives as long as the
    worker: frozen, the collector stops walking it, and young collections come less often.
    A cold year of trends (~10,000 rows) spent ~30 ms of its time in the collector; ~15 ms now."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
