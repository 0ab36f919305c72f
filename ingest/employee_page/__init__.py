"""The employee's own page at /app/: an installable web app (PWA) served by the ingest
process, same origin as the API it is a client of. It judges nothing itself.

Its responses forbid every other origin (Content-Security-Policy): the page asks no host but
this server, so it works on an office LAN and leaks no location to a CDN.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PATH = "/app"
POLICY = ("default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
          "connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")


class _Page(StaticFiles):
    async def get_response(self, path, scope):
        reply = await super().get_response(path, scope)
        reply.headers["Content-Security-Policy"] = POLICY
        reply.headers["X-Content-Type-Options"] = "nosniff"
        if path in (".", "index.html", "sw.js"):   # a new version must reach phones at once
            reply.headers["Cache-Control"] = "no-cache"
        return reply


def mount(app: FastAPI) -> None:
    app.add_api_route(PATH, lambda: RedirectResponse(PATH + "/"), include_in_schema=False)
    app.mount(PATH, _Page(directory=STATIC, html=True), name="employee_page")
