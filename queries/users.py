"""Dashboard users and the wall's kiosk tokens. Hashing happens in dashboard.auth."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from .db import one, rows, run

USER_COLUMNS = ("id, username, password_hash, full_name, role, unit_code, active, created_at, last_login_at, "
                "must_change_password")


def add_user(conn: Connection, username: str, password_hash: str, role: str,
             unit_code: str | None, full_name: str = "") -> dict:
    return one(conn, f"""
        INSERT INTO users (username, password_hash, role, unit_code, full_name)
        VALUES (:username, :password_hash, :role, :unit_code, :full_name)
        RETURNING {USER_COLUMNS}""", username=username, password_hash=password_hash, role=role,
        unit_code=unit_code, full_name=full_name)


def user_by_username(conn: Connection, username: str) -> dict | None:
    return one(conn, f"SELECT {USER_COLUMNS} FROM users WHERE username = :u", u=username)


def user_by_id(conn: Connection, user_id: int) -> dict | None:
    return one(conn, f"SELECT {USER_COLUMNS} FROM users WHERE id = :id", id=user_id)


def list_users(conn: Connection) -> list[dict]:
    return rows(conn, f"SELECT {USER_COLUMNS} FROM users ORDER BY username")


def logins(conn: Connection) -> list[dict]:
    """Every login as an administrator sees it, with its live sessions; never a password hash."""
    return rows(conn, """
        SELECT u.username, u.full_name, u.role, u.unit_code, u.active, u.last_login_at,
               (SELECT count(*) FROM dashboard_sessions s
                WHERE s.user_id = u.id AND s.ended_at IS NULL AND s.expires_at > now()) AS live_sessions
        FROM users u ORDER BY u.active DESC, u.username""")


def touch_login(conn: Connection, user_id: int) -> None:
    run(conn, "UPDATE users SET last_login_at = now() WHERE id = :id", id=user_id)


def set_password(conn: Connection, user_id: int, password_hash: str, must_change: bool = False) -> None:
    """A new password; `must_change` when someone else chose it (it opens /password only)."""
    run(conn, "UPDATE users SET password_hash = :h, must_change_password = :m WHERE id = :id",
        id=user_id, h=password_hash, m=must_change)


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    run(conn, "UPDATE users SET active = :a WHERE id = :id", id=user_id, a=active)


def add_kiosk_token(conn: Connection, label: str, token_hash: str, show_names: bool, created_by: str) -> dict:
    return one(conn, """
        INSERT INTO kiosk_tokens (label, token_hash, show_names, created_by)
        VALUES (:label, :h, :show, :by) RETURNING id, label, show_names, created_at""",
        label=label, h=token_hash, show=show_names, by=created_by)


def kiosk_by_hash(conn: Connection, token_hash: str) -> dict | None:
    """A live (not revoked) kiosk token."""
    return one(conn, """
        SELECT id, label, show_names FROM kiosk_tokens
        WHERE token_hash = :h AND revoked_at IS NULL""", h=token_hash)


def list_kiosk_tokens(conn: Connection) -> list[dict]:
    return rows(conn, "SELECT id, label, show_names, created_by, created_at, revoked_at FROM kiosk_tokens ORDER BY id")


def revoke_kiosk_token(conn: Connection, token_id: int) -> bool:
    return run(conn, "UPDATE kiosk_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL",
               id=token_id).rowcount == 1
