"""An administrator's changes to another person's dashboard login, for `pantau users` and
/admin/users alike: a new password, a login disabled or enabled again. Each ends every session of that login at
once (a reset is for a password lost or leaked; a disabled login must not stay logged in) and is
audit-logged in the same transaction, so no change is made without its record."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from queries import audit, dashboard_sessions, users as user_queries

from .auth import hash_password

MIN_PASSWORD = 10
# a temporary password read aloud or typed from a screen: no 0/O, 1/l/I look-alikes
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class LoginError(ValueError):
    """A change refused, in both languages."""

    def __init__(self, message_id: str, message_en: str):
        super().__init__(message_en)
        self.message_id, self.message_en = message_id, message_en


@dataclass(frozen=True)
class Changed:
    username: str
    full_name: str
    sessions_ended: int
    password: str | None = None   # a temporary password made here, shown once and never stored


def temporary_password() -> str:
    """Three groups of four, about 59 bits from `secrets`: e.g. 'k7wq-3mzt-h9ra'."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def _user(conn, username: str, actor: str, own_ok: bool) -> dict:
    username = username.strip()
    if not username:
        raise LoginError("Nama pengguna wajib diisi.", "A username is required.")
    row = user_queries.user_by_username(conn, username)
    if row is None:
        raise LoginError(f"Tidak ada pengguna {username!r}.", f"There is no user {username!r}.")
    if not own_ok and row["username"] == actor:
        raise LoginError("Kata sandi sendiri diganti di halaman Ganti kata sandi.",
                         "Change your own password on the Change password page.")
    return row


def set_password(conn, username: str, actor: str, reason: str, password: str | None = None,
                 own_ok: bool = False) -> Changed:
    """A new password for `username` (a temporary one made here when none is given)."""
    made = password is None
    password = temporary_password() if made else password
    if len(password) < MIN_PASSWORD:
        raise LoginError(f"Kata sandi minimal {MIN_PASSWORD} karakter.",
                         f"The password needs at least {MIN_PASSWORD} characters.")
    row = _user(conn, username, actor, own_ok)
    user_queries.set_password(conn, row["id"], hash_password(password), must_change=made)
    ended = dashboard_sessions.end_user_sessions(conn, row["id"])
    audit.record(conn, actor, "user.password", row["username"], reason.strip() or "reset oleh admin",
                 after={"sessions_ended": ended, "temporary": made})
    return Changed(row["username"], row["full_name"], ended, password if made else None)


def disable(conn, username: str, actor: str, reason: str, own_ok: bool = False) -> Changed:
    """`username` can no longer log in; their open sessions end now."""
    return _set_active(conn, username, actor, reason, False, own_ok)


def enable(conn, username: str, actor: str, reason: str, own_ok: bool = False) -> Changed:
    """A disabled login may log in again (with the password it had, or a new one set after)."""
    return _set_active(conn, username, actor, reason, True, own_ok)


def _set_active(conn, username: str, actor: str, reason: str, active: bool, own_ok: bool) -> Changed:
    if not reason.strip():
        raise LoginError("Alasan wajib diisi.", "A reason is required.")
    row = _user(conn, username, actor, own_ok)
    if row["active"] == active:
        name = row["username"]
        raise LoginError(f"Pengguna {name} sudah {'aktif' if active else 'nonaktif'}.",
                         f"User {name} is already {'active' if active else 'disabled'}.")
    user_queries.set_active(conn, row["id"], active)
    ended = 0 if active else dashboard_sessions.end_user_sessions(conn, row["id"])
    audit.record(conn, actor, "user.enable" if active else "user.disable", row["username"], reason.strip(),
                 before={"active": not active},
                 after={"active": True} if active else {"active": False, "sessions_ended": ended})
    return Changed(row["username"], row["full_name"], ended)
