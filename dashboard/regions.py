"""One web process for every region of the installation (docs/regions.md).

Each region gets the whole dashboard of its own (create_app(rt)): its own database role and
schema, cache and limiter prefixes, login manager and signing key. Nothing is shared but
the process, so a region's pages cannot reach another's people by construction.

A request goes to the region its host name starts with: `8271.pantau.example` and
`8271.localhost:8050` are region 8271's; any other host (the bare name, an address) is the
installation's own region. The Host header is the one the client (or the proxy in front,
passing `Host $host`) sent: X-Forwarded-Host is not trusted (dashboard/app.py).
"""
from __future__ import annotations

from flask import Flask

from foundation.regions import host_region


class HostDispatcher:
    """A WSGI application that hands each request to its region's Flask server."""

    def __init__(self, servers: dict[str, Flask], own: str):
        self.servers = servers
        self.own = own

    def server_for(self, host: str | None) -> Flask:
        return self.servers[host_region(host or "", self.servers) or self.own]

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
        return self.server_for(host)(environ, start_response)


def dispatcher(apps: dict) -> HostDispatcher:
    """The regions' apps ({code: Dash app}, the own region first) behind one WSGI entry."""
    return HostDispatcher({code: app.server for code, app in apps.items()}, next(iter(apps)))
