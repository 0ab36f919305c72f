"""What the dashboard shows while Postgres is down, frozen or overloaded: a clear message
in Indonesian (and English), answered within database.dashboard_wait_s, never a 500.

- a page, download or form (Flask): a 503 page with Retry-After;
- a Dash callback: the page's banner says so and the outputs keep what they showed;
- the page router (`app._route`) shows the message in place of the page.
"""
from __future__ import annotations

import html as html_text
import logging

from dash import html, set_props
from flask import Flask

from queries.db import DatabaseUnavailable

log = logging.getLogger("pantau.dashboard")

MESSAGE_ID = "Basis data tidak dapat dihubungi, coba lagi sebentar."
MESSAGE_EN = "The database cannot be reached; try again in a moment."
RETRY_AFTER_S = 10
BANNER_ID = "database-notice"


def notice() -> html.Div:
    return html.Div([html.Strong(MESSAGE_ID), html.Br(), html.Span(MESSAGE_EN, lang="en")],
                    className="notice database-down", role="alert")


def banner() -> html.Div:
    """An empty banner in the app's frame; a callback that met an outage fills it."""
    return html.Div(id=BANNER_ID, role="status")


def clear_banner() -> None:
    """The router reached Postgres again: the banner goes."""
    set_props(BANNER_ID, {"children": None})


def on_callback_error(exc: Exception):
    """Dash's on_error: an outage fills the banner and leaves the outputs as they were."""
    if not isinstance(exc, DatabaseUnavailable):
        raise exc
    log.error("database unavailable in a callback: %s", exc)
    set_props(BANNER_ID, {"children": notice()})
    return None   # Dash: no update


def install(server: Flask) -> None:
    @server.errorhandler(DatabaseUnavailable)
    def _unavailable(exc):
        log.error("database unavailable: %s", exc)
        page = (f'<!doctype html><html lang="id"><meta charset="utf-8"><title>Pantau</title>'
                f'<main class="notice" role="alert"><h1>{html_text.escape(MESSAGE_ID)}</h1>'
                f'<p lang="en">{html_text.escape(MESSAGE_EN)}</p>'
                f'<p><a href="">Muat ulang / Reload</a></p></main></html>')
        return page, 503, {"Retry-After": str(RETRY_AFTER_S), "Content-Type": "text/html; charset=utf-8"}
