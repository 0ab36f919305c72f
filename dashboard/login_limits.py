"""How many failed logins are allowed, counted two ways (Flask-Limiter, only failures count):

- per account: wrong passwords for one user lock that user only, not their colleagues who
  share the office's address (or, behind a proxy, everyone);
- per client address, looser: one address trying many accounts (a spray) is stopped too.

The client address is request.remote_addr, which ProxyFix sets from X-Forwarded-For only
as deep as `proxies.trusted` says (dashboard/app.py).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_limiter.util import get_remote_address

from foundation.config import zone_label

WHO = {"account": ("untuk akun ini", "for this account"),
       "address": ("dari alamat ini", "from this address")}


def account_limit() -> str:
    return current_app.extensions["pantau"].config.dashboard.login_attempts


def address_limit() -> str:
    return current_app.extensions["pantau"].config.dashboard.login_attempts_per_address


def account_key() -> str:
    """The account as typed (trimmed and case-folded, so 'Sekda ' counts with 'sekda')."""
    return "account:" + (request.form.get("username") or "").strip().casefold()[:100]


def address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def failed(response) -> bool:
    """Only a failed attempt counts: a good login (302) costs nothing."""
    return response.status_code != 302


def retry_message(who: str, reset_at: float, now: float, zone: ZoneInfo) -> str:
    """'Terlalu banyak percobaan untuk akun ini. Coba lagi pukul 10.45 WIB (dalam 12 menit).'"""
    at = dt.datetime.fromtimestamp(reset_at, zone)
    minutes = max(1, -int(-(reset_at - now) // 60))   # rounded up: never "dalam 0 menit"
    clock = f"{at:%H.%M} {zone_label(zone.key)}"
    id_, en = WHO[who]
    return (f"Terlalu banyak percobaan {id_}. Coba lagi pukul {clock} (dalam {minutes} menit). / "
            f"Too many attempts {en}. Try again at {clock} (in {minutes} min).")
