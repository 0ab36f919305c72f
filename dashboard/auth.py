"""Who is looking: logins (Flask-Login), passwords (werkzeug.security), kiosk tokens, scope.

Every page and callback asks `viewer()` and passes `viewer.scope` to queries/, where the
unit subtree is enforced in SQL. A kiosk token (the wall on a TV) is a read-only viewer
of the whole region that may or may not see names.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, session
from flask_login import LoginManager, UserMixin, current_user
from werkzeug.security import check_password_hash, generate_password_hash

from queries import users as user_queries

from . import sessions, shared_cache

ROLES = ("kepala_daerah", "sekda", "bkpp", "inspektorat", "kepala_unit", "admin_unit", "provinsi")
UNIT_ROLES = ("kepala_unit", "admin_unit")  # scoped to their unit's subtree
# the province: the rollups of the regions under it (/provinsi), no one's people, not even its
# own region's; its scope matches no unit, so a page or query that forgot to refuse it reads nothing
PROVINCE_ROLE = "provinsi"
# in the session of a login made with a password someone else set: only /password opens
MUST_CHANGE = "must_change_password"
NO_UNIT = "~none/"   # no unit path starts so (codes are [A-Z0-9]...), and Postgres takes it (not NUL)
ROLE_LABELS = {
    "kepala_daerah": "Kepala Daerah", "sekda": "Sekretaris Daerah", "bkpp": "BKPP", "inspektorat": "Inspektorat",
    "kepala_unit": "Kepala Unit", "admin_unit": "Admin Unit", "provinsi": "Provinsi", "kiosk": "Layar Dinding",
}
# a dummy hash so an unknown username costs the same time as a wrong password
_DUMMY_HASH = generate_password_hash("pantau-no-such-user")


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, werkzeug's default


def hash_token(token: str) -> str:
    """Kiosk tokens are random 256-bit strings: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_kiosk_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    unit_code: str | None = None
    scope: str | None = None       # unit path prefix, None = the whole region
    show_names: bool = True
    can_see_selfies: bool = False

    @property
    def is_kiosk(self) -> bool:
        return self.role == "kiosk"

    @property
    def is_province(self) -> bool:
        return self.role == PROVINCE_ROLE

    def can_see_unit(self, path: str) -> bool:
        return self.scope is None or path.startswith(self.scope)


class DashboardUser(UserMixin):
    def __init__(self, row: dict):
        self.id = str(row["id"])
        self.username = row["username"]
        self.role = row["role"]
        self.unit_code = row["unit_code"]
        self.full_name = row["full_name"] or row["username"]


def install_login_manager(server) -> LoginManager:
    """A LoginManager of this app's own: one process may serve several regions (an app
    each, dashboard/regions.py), and Flask-Login's state must not be shared between them."""
    manager = LoginManager()
    manager.login_view = "login.login"
    manager.login_message = "Silakan masuk terlebih dahulu. / Please log in."
    manager.user_loader(_load_user)
    manager.init_app(server)
    return manager


def _load_user(user_id: str):
    rt = current_app.extensions["pantau"]
    started = session.get("login_at")
    hours = rt.config.dashboard.session_hours
    if not started or dt.datetime.now(dt.timezone.utc).timestamp() - started > hours * 3600:
        return None  # absolute session expiry, whatever the cookie says
    if not sessions.of_this_region(rt):
        return None  # a cookie another region issued (user ids overlap across regions)
    if not sessions.is_live(rt, int(user_id)):
        return None  # logged out (or never started here): the cookie alone is not enough
    row = _cached_user(int(user_id))
    return DashboardUser(row) if row and row["active"] else None


def _cached_user(user_id: int) -> dict | None:
    def read() -> dict:
        with current_app.extensions["pantau"].connection() as conn:
            return user_queries.user_by_id(conn, user_id) or {}
    return shared_cache.through(f"user:{user_id}", 30, read) or None


def authenticate(rt, username: str, password: str) -> dict | None:
    """The user row when the password matches an active user, else None."""
    with rt.connection() as conn:
        row = user_queries.user_by_username(conn, username.strip())
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row["password_hash"], password) or not row["active"]:
        return None
    with rt.transaction() as conn:
        user_queries.touch_login(conn, row["id"])
    return row


def unit_scope(config, unit_code: str) -> str:
    return "/".join(config.unit_path(unit_code)) + "/"


def viewer_for_user(config, user: DashboardUser) -> Viewer:
    if user.role == PROVINCE_ROLE:
        return Viewer(name=user.full_name, role=user.role, scope=NO_UNIT, show_names=False)
    scoped = user.role in UNIT_ROLES
    return Viewer(
        name=user.full_name, role=user.role, unit_code=user.unit_code if scoped else None,
        scope=unit_scope(config, user.unit_code) if scoped and user.unit_code in config.unit_by_code else (
            NO_UNIT if scoped else None),  # a unit no longer in the config sees nothing
        can_see_selfies=user.role in config.dashboard.selfie_roles,
    )


def kiosk_viewer(rt, token: str | None) -> Viewer | None:
    """The wall's viewer for a kiosk token; revocation takes effect within 30 s (cache)."""
    if not isinstance(token, str) or not token or len(token) > 200:   # a callback may send anything
        return None
    def read() -> dict:
        with rt.connection() as conn:
            return user_queries.kiosk_by_hash(conn, hash_token(token)) or {}
    row = shared_cache.through("kiosk:" + hash_token(token), 30, read)
    if not row:
        return None
    return Viewer(name=row["label"], role="kiosk", show_names=bool(row["show_names"]))


def viewer(kiosk_token: str | None = None) -> Viewer | None:
    """The logged-in user's viewer, else the kiosk token's, else None."""
    rt = current_app.extensions["pantau"]
    if current_user and current_user.is_authenticated:
        return viewer_for_user(rt.config, current_user)
    return kiosk_viewer(rt, kiosk_token)
