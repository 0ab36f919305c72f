"""The Dash app, built by a factory (Flask's create_app pattern) for gunicorn.

    gunicorn "dashboard.app:create_server()"

One module per page in dashboard/pages/; each exposes `layout(viewer, params)` and
`register(app)`. The router below picks the page from the URL and the viewer.
"""
from __future__ import annotations

import datetime as dt
import time

import dash
from dash import Input, Output, dcc, html
from flask import Flask, g, redirect, request, session
from flask_caching import Cache
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from ingest import live
from foundation import clock
from foundation.regions import listing, region_settings
from foundation.runtime import Runtime, boot, boot_regions
from foundation.services import cluster_nodes, is_cluster_url
from foundation.settings import ROOT

from queries import db

from . import auth, formats, outage, regions, security_headers, sessions, shared_cache, warm
from .pages import downloads, login, map as map_page, password, overview, trends, wall
from .pages import admin_audit, admin_devices, admin_events, admin_faces, admin_leave, admin_manual, admin_qr, admin_terminals
from .pages import admin_users
from .pages import provinsi, review
from .pages.admin_common import nav_links
from .pages.common import nothing, search_params, text

PAGES = {"/": overview, "/overview": overview, "/map": map_page, "/trends": trends,
         "/downloads": downloads, "/wall": wall, "/provinsi": provinsi}
ADMIN_PAGES = {"/admin/leave": admin_leave, "/admin/devices": admin_devices, "/admin/events": admin_events,
               "/admin/manual": admin_manual, "/admin/audit": admin_audit, "/admin/qr": admin_qr,
               "/admin/terminals": admin_terminals, "/admin/faces": admin_faces, "/admin/users": admin_users,
               "/review": review}
PAGES.update(ADMIN_PAGES)
UNFRAMED = (wall, admin_qr)  # full-screen pages
NAV = (("/overview", "Ringkasan"), ("/trends", "Tren keterlambatan"), ("/map", "Peta"),
       ("/downloads", "Unduh"), ("/wall", "Layar dinding"))
PROVINCE_NAV = (("/provinsi", "Provinsi"),)   # a provinsi login's only page (and password, logout)
# the date pickers' month and day names (Dash 4 reads window.dateFns.locale; served here, no CDN)
DATE_PICKER_LOCALE = "/assets/vendor/date-fns-locale-id.min.js"
# paths a browser may fetch without a login (the wall checks its kiosk token itself)
PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-", "/_reload-hash", "/_favicon", "/wall", "/favicon", "/qr")


# what a login that must first change its password may open: the form, logging out, styles
MUST_CHANGE_OPEN = ("/password", "/logout", "/login", "/assets/", "/_favicon", "/favicon")


def _only_password(path: str):
    """A login made with a temporary password opens /password and nothing else until it is
    changed: a page leads there, a callback or any other request is refused."""
    if path.startswith(MUST_CHANGE_OPEN):
        return None
    if request.method == "GET" and not path.startswith("/_dash-"):
        return redirect("/password")
    return ("Ganti kata sandi sementara Anda dahulu. / Change your temporary password first.", 403)


def _limiter_storage(url: str) -> tuple[str, dict]:
    """Flask-Limiter's (limits') storage URI and options: it names unix-socket Redis
    'redis+unix://'; a cluster is shared_cache.ClusterLimits (connected at first use), TLS an
    option there."""
    options = dict(shared_cache.REDIS_OPTIONS)
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://"):], options
    if url.startswith("rediss+cluster://"):
        return "pantau+cluster://" + url[len("rediss+cluster://"):], {**options, "ssl": True}
    if url.startswith("redis+cluster://"):
        return "pantau+cluster://" + url[len("redis+cluster://"):], options
    return url, options


def _cache_config(rt: Runtime) -> dict:
    """flask-caching on the same Redis: one server, or a cluster (each cached value is one
    key, so it may live on any node)."""
    url = rt.urls.redis_url
    common = {"CACHE_KEY_PREFIX": rt.key("cache") + ":", "CACHE_DEFAULT_TIMEOUT": 60,
              "CACHE_OPTIONS": dict(shared_cache.REDIS_OPTIONS)}
    if not is_cluster_url(url):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, **common}
    nodes, auth = cluster_nodes(url)
    options = {**common["CACHE_OPTIONS"], **{k: v for k, v in auth.items() if k != "password"}}
    return {**common, "CACHE_TYPE": "dashboard.shared_cache.ClusterCache", "CACHE_OPTIONS": options,
            "CACHE_REDIS_CLUSTER": ",".join(f"{h}:{p}" for h, p in nodes),
            "CACHE_REDIS_PASSWORD": auth.get("password", "")}


def create_flask(rt: Runtime, regions: dict[str, Runtime] | None = None) -> Flask:
    """One region's Flask server; `regions`: every region of the installation ({code: Runtime},
    server.extensions["pantau_regions"], e.g. for a province's rollups of the regions under it)."""
    server = Flask("pantau", static_folder=None)
    server.session_interface = sessions.CookieInterface()
    limiter_uri, limiter_options = _limiter_storage(rt.urls.redis_url)
    server.config.update(
        SECRET_KEY=sessions.secret_for(rt),   # a region's own (dashboard/regions.py)
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=rt.config.dashboard.session_hours),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        # the token lives as long as the session; the wall ticks all day
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=limiter_uri,
        RATELIMIT_KEY_PREFIX=rt.key("limits"),
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: count login attempts in this process instead of failing every login
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_STORAGE_OPTIONS=limiter_options,
    )
    server.extensions["pantau"] = rt
    server.extensions["pantau_regions"] = regions or {rt.config.region.code: rt}
    server.extensions["pantau_cache"] = Cache(server, config=_cache_config(rt))
    shared_cache.install(server)
    CSRFProtect(server)
    outage.install(server)
    trusted = rt.config.proxies.trusted
    if trusted:
        # the client's address and scheme as the trusted proxies saw them; X-Forwarded-Host
        # is not trusted (nginx passes a client's own through)
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=trusted, x_proto=trusted)
    warm.gzip_bundles(server)
    auth.install_login_manager(server)
    password.install(server, login.install(server))
    server.register_blueprint(downloads.blueprint)
    server.register_blueprint(admin_leave.blueprint)
    server.register_blueprint(admin_events.blueprint)
    server.register_blueprint(review.blueprint)
    server.register_blueprint(provinsi.blueprint)

    @server.before_request
    def _started():
        g.started = time.perf_counter()

    @server.after_request
    def _server_timing(response):
        # the browser's devtools (and bench/dashboard) read the server's share of a request
        if "started" in g:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
        return response

    @server.before_request
    def _require_login():
        path = request.path
        if session.get(auth.MUST_CHANGE) and current_user and current_user.is_authenticated:
            return _only_password(path)
        if path.startswith(PUBLIC_PREFIXES) or (current_user and current_user.is_authenticated):
            return None
        if path.startswith(("/download/", "/admin/attachment/", "/admin/events/", "/review/", "/provinsi/")):
            return ("Silakan masuk. / Please log in.", 401)
        return redirect("/login?next=" + path)

    @server.after_request
    def _csrf_cookie(response):
        # dash-renderer sends the `_csrf_token` cookie back as X-CSRFToken on every callback
        if request.path.startswith(("/assets/", "/_dash-component-suites")):
            return response
        response.set_cookie("_csrf_token", generate_csrf(), samesite="Lax", secure=request.is_secure)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return server


def create_app(rt: Runtime | None = None, regions: dict[str, Runtime] | None = None) -> dash.Dash:
    rt = rt or boot()
    live.rebuild_if_stale(rt, clock.today(rt.config.zone))  # a fresh or restored Redis: the wall starts right
    server = create_flask(rt, regions)
    app = dash.Dash(
        __name__, server=server, title="Pantau", update_title=None,
        assets_folder=str(ROOT / "assets"), assets_ignore=r"vendor/.*",
        suppress_callback_exceptions=True, on_error=outage.on_callback_error,
        external_scripts=[DATE_PICKER_LOCALE],
    )
    # charts in Indonesian: plotly.js picks the locale up from the head when it loads
    app.index_string = app.index_string.replace("{%css%}", "{%css%}\n        " + formats.plotly_locale_script(), 1)
    # a page that takes a moment (a year's trends, a cold cache) shows a spinner over what
    # was there; only a new page does, not the wall's every-second tick
    app.layout = html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Loading(html.Div(id="page"), id="page-loading", type="circle", color="#12355b", delay_show=400,
                    target_components={"page": "children"}, show_initially=False,
                    overlay_style={"visibility": "visible", "opacity": 0.6}),
        outage.banner(),
    ])

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def _route(pathname, search):
        try:
            shown = _page_for(pathname, search)
        except db.DatabaseUnavailable:   # the page in words, not a 500 or a blank page
            return outage.notice()
        outage.clear_banner()
        return shown

    def _page_for(pathname, search):
        page = PAGES.get(text(pathname) or "/")
        params = search_params(search)
        viewer = auth.viewer(params.get("kiosk"))
        if pathname == "/qr" and admin_qr.venue_screen(params):
            return admin_qr.layout(viewer, params)      # the event's venue screen: its key, no login
        if page is None:
            return _frame(viewer, html.H2("Halaman tidak ditemukan / Page not found"))
        if viewer is None:
            return html.Div(["Sesi berakhir. / Session expired. ", html.A("Masuk", href="/login")],
                            className="notice")
        if viewer.is_kiosk and page is not wall:
            return html.Div("Tautan layar dinding hanya untuk /wall.", className="notice")
        if viewer.is_province and page is not provinsi:
            if (text(pathname) or "/") not in ("/", "/overview"):   # its home is /provinsi
                return _frame(viewer, nothing("Akun provinsi hanya melihat rekap wilayah di /provinsi. / "
                                              "A province login sees the regions' rollups only."), pathname)
            page, pathname = provinsi, provinsi.PATH
        body = page.layout(viewer, params)
        return body if page in UNFRAMED else _frame(viewer, body, pathname)

    for page in (overview, map_page, trends, downloads, wall, provinsi, *ADMIN_PAGES.values()):
        page.register(app)
    security_headers.install(app)
    return app


def _frame(viewer, body, pathname: str | None = None):
    role = auth.ROLE_LABELS.get(viewer.role, viewer.role) if viewer else ""
    nav = [dcc.Link(label, href=href, className="nav-link active" if pathname == href else "nav-link")
           for href, label in (PROVINCE_NAV if viewer and viewer.is_province else NAV) + tuple(nav_links(viewer))]
    who = html.Span([f"{viewer.name} · {role}" if viewer else "", " ",
                     *([html.A("Kata sandi", href="/password", className="nav-link"), " "] if viewer else []),
                     _logout_form()], className="who")
    # on a phone the same links fold behind a "Menu" button (<details>: no callback needed)
    folded = html.Details([html.Summary("☰ Menu"), html.Nav(nav + [who])], className="nav-fold")
    return html.Div([html.Header([html.Strong("Pantau", className="brand"), html.Nav(nav), who, folded],
                                 className="topbar"),
                     html.Main(body, className="content")])


def _logout_form():
    """Logout is a POST with the CSRF token (a GET would let any page log the viewer out)."""
    return html.Form([dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                      html.Button("Keluar", type="submit", className="nav-link logout")],
                     method="post", action="/logout", className="logout-form")


def create_apps(runtimes: dict[str, Runtime]) -> dict[str, dash.Dash]:
    """A Dash app per region ({code: app}, the own region first), each knowing them all."""
    return {code: create_app(rt, runtimes) for code, rt in runtimes.items()}


def create_server():
    """The WSGI application for gunicorn (Procfile: web), warmed before the worker serves.
    An installation of several regions: an app per region, chosen by host name
    (dashboard/regions.py); PANTAU_REGION set: that region's app alone."""
    settings = region_settings()
    several = settings.region is None and len(listing(settings)) > 1
    apps = create_apps(boot_regions(settings)) if several else {"": create_app(boot(settings))}
    own = next(iter(apps.values()))
    # a frozen or overloaded Postgres: the Indonesian notice within the budget, not a hang (the
    # wait is the process's, psycopg2's wait callback: the installation's own config sets it)
    db.answer_within(own.server.extensions["pantau"].config.database.dashboard_wait_s)
    for app in apps.values():
        warm.warm(app)
    warm.settle_garbage_collector()
    return regions.dispatcher(apps) if several else own.server
