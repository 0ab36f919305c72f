"""Dashboard sessions that end on the server: each login is a row in Postgres
(queries/dashboard_sessions.py) named by a random id kept in the signed cookie. Logout ends
the row, so a copy of the cookie taken before it logs no one in afterwards. Postgres only:
the check must hold, and keep working, while Redis is down.

The cookie itself: HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS
(behind the proxy too: ProxyFix sets the scheme from X-Forwarded-Proto).

Several regions in one process (dashboard/regions.py): user ids overlap across regions'
schemas, so a cookie belongs to one region twice over: another region's app signs with a
key derived for it (`secret_for`), and the session names its region (`of_this_region`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import request, session
from flask.sessions import SecureCookieSessionInterface

from foundation.regions import region_secret
from queries import dashboard_sessions as queries

KEY = "sid"
REGION_KEY = "region"


def secret_for(rt) -> str:
    """The key this region's app signs with (cookies, CSRF tokens, venue-screen links): the
    installation's own region keeps the configured secret (nothing changes for it); another
    region's is derived from it, so nothing one region signed is genuine at another."""
    return region_secret(rt.settings)


def of_this_region(rt) -> bool:
    """Was this session started in this region? A session from before regions has no mark:
    only the installation's own region issued those."""
    mark = session.get(REGION_KEY)
    if mark is None:
        return rt.settings.region is None
    return mark == rt.config.region.code


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(rt, user_id: int) -> None:
    """A new server-side session for this login, named in the (freshly cleared) cookie."""
    sid = secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=rt.config.dashboard.session_hours)
    with rt.transaction() as conn:
        queries.start_session(conn, _hash(sid), user_id, expires)
    session[KEY] = sid
    session[REGION_KEY] = rt.config.region.code


def is_live(rt, user_id: int) -> bool:
    sid = session.get(KEY)
    if not isinstance(sid, str):
        return False
    with rt.connection() as conn:
        return queries.session_is_live(conn, _hash(sid), user_id)


def end(rt) -> None:
    sid = session.get(KEY)
    if isinstance(sid, str):
        with rt.transaction() as conn:
            queries.end_session(conn, _hash(sid))


def end_others(conn, user_id: int) -> int:
    """End every session of this user but the one asking (a changed password: a stolen or
    forgotten session elsewhere must not outlive it); how many were ended."""
    sid = session.get(KEY)
    return queries.end_user_sessions(conn, user_id, _hash(sid) if isinstance(sid, str) else None)


class CookieInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure exactly when the request is HTTPS: a plain
    SESSION_COOKIE_SECURE=True would stop logins on a demo served over http."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure
