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

from foundation.runtime import Runtime, boot_regions
from foundation.settings import Settings
from queries import db

from . import warm


def region_of_host(host: str | None, codes, own: str) -> str:
    """The region a Host header names by its first label; the own region otherwise."""
    host = (host or "").strip().lower()
    if host.startswith("["):   # an IPv6 address: no region in it
        return own
    label = host.split(":", 1)[0].split(".", 1)[0]
    return label if label in codes else own


class HostDispatcher:
    """A WSGI application that hands each request to its region's Flask server."""

    def __init__(self, servers: dict[str, Flask], own: str):
        self.servers = servers
        self.own = own

    def server_for(self, host: str | None) -> Flask:
        return self.servers[region_of_host(host, self.servers, self.own)]

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
        return self.server_for(host)(environ, start_response)


def create_apps(runtimes: dict[str, Runtime]) -> dict:
    """A Dash app per region ({code: app}, the own region first), each knowing them all."""
    from .app import create_app

    return {code: create_app(rt, runtimes) for code, rt in runtimes.items()}


def dispatcher(apps: dict) -> HostDispatcher:
    """The apps of create_apps behind one WSGI entry; the first is the own region's."""
    return HostDispatcher({code: app.server for code, app in apps.items()}, next(iter(apps)))


def create_dispatcher(settings: Settings | None = None) -> HostDispatcher:
    """For gunicorn (dashboard.app.create_server): every region's app, warmed."""
    apps = create_apps(boot_regions(settings))
    own = next(iter(apps))
    # the wait budget is the process's (psycopg2's wait callback): the installation's own config sets it
    db.answer_within(apps[own].server.extensions["pantau"].config.database.dashboard_wait_s)
    for app in apps.values():
        warm.warm(app)
    warm.settle_garbage_collector()
    return dispatcher(apps)
