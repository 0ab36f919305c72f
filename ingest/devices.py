"""One account, one phone: activation codes, bearer tokens, resets.

BKPP issues a one-time code (valid 24 h); the phone trades it, with its device id, for a
bearer token. Codes and tokens are stored only as hashes. A second phone is refused
until BKPP resets the binding; a reset revokes the token at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from foundation.regions import token_for
from queries import audit
from queries import devices as q

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
CODE_LENGTH = 10
CODE_TTL = dt.timedelta(hours=24)
CONTACT_BKPP_ID = "Hubungi BKPP untuk aktivasi ulang"
CONTACT_BKPP_EN = "Contact BKPP (the HR agency) to re-activate"


class DeviceError(Exception):
    """A refusal with a stable code and a message in Indonesian and English."""

    def __init__(self, code: str, message_id: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message_id, self.message_en = code, message_id, message_en


@dataclass(frozen=True)
class IssuedCode:
    nip: str
    name: str
    code: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Device:
    """The authenticated phone and its employee."""

    device_ref: int
    employee_id: int
    nip: str
    name: str
    unit_code: str
    shared: bool = False   # this phone was bound to another active account first: its check-ins are refused
    last_seen_at: dt.datetime | None = None   # its last request before this one (kept to within 5 minutes)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(secret_key: str, code: str) -> str:
    # Keyed: a short human code must not be brute-forced from a stolen table.
    return hmac.new(secret_key.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _employee(conn, nip: str) -> dict:
    employee = q.employee_by_nip(conn, nip)
    if employee is None:
        raise DeviceError("unknown_employee", f"NIP {nip} tidak terdaftar", f"NIP {nip} is not registered")
    if not employee["active"]:
        raise DeviceError("employee_inactive", f"Pegawai {nip} tidak aktif", f"Employee {nip} is not active")
    return employee


def issue_code(rt, nip: str, issued_by: str) -> IssuedCode:
    """A fresh one-time code for the employee; any earlier open code stops working."""
    code = new_code()
    expires_at = dt.datetime.now(dt.timezone.utc) + CODE_TTL
    with rt.transaction() as conn:
        employee = _employee(conn, nip)
        q.lock_binding(conn, employee["id"])
        q.expire_open_codes(conn, employee["id"])
        q.add_code(conn, employee["id"], code_hash(rt.settings.secret_key, code), issued_by, expires_at)
        audit.record(conn, issued_by, "device.issue_code", nip, after={"expires_at": expires_at})
    return IssuedCode(nip, employee["name"], code, expires_at)


def issue_codes(rt, nips: list[str], issued_by: str) -> dict[str, str]:
    """Codes for many employees at once (a new office going live, the demo, the benchmark)."""
    expires_at = dt.datetime.now(dt.timezone.utc) + CODE_TTL
    codes = {nip: new_code() for nip in nips}
    with rt.transaction() as conn:
        ids = q.employee_ids(conn, nips)
        missing = sorted(set(nips) - set(ids))
        if missing:
            raise DeviceError("unknown_employee", f"NIP tidak terdaftar: {', '.join(missing[:5])}",
                              f"NIP not registered: {', '.join(missing[:5])}")
        q.expire_open_codes_many(conn, list(ids.values()))
        q.add_codes(conn, [(ids[nip], code_hash(rt.settings.secret_key, code), issued_by, expires_at)
                           for nip, code in codes.items()])
        audit.record(conn, issued_by, "device.issue_codes", f"{len(nips)} employees",
                     after={"expires_at": expires_at, "nips": nips})
    return codes


def activate(rt, nip: str, code: str, device_id: str, model: str) -> tuple[str, dict]:
    """Bind the phone and return (bearer token, employee). Raises DeviceError."""
    wrong = DeviceError("activation_failed",
                        "NIP atau kode aktivasi salah, sudah dipakai, atau kedaluwarsa. Minta kode baru ke BKPP",
                        "Wrong, used or expired NIP or activation code. Ask BKPP for a new code")
    token = token_for(rt.settings, secrets.token_urlsafe(32))   # names the region (foundation/regions.py)
    with rt.transaction() as conn:
        employee = q.employee_by_nip(conn, nip)
        if employee is None or not employee["active"]:
            raise wrong
        q.lock_binding(conn, employee["id"])
        found = q.usable_code(conn, employee["id"], code_hash(rt.settings.secret_key, code))
        if found is None:
            raise wrong
        bound = q.active_device(conn, employee["id"])
        if bound is not None and bound["device_id"] != device_id:
            since = bound["bound_at"].date().isoformat()
            model_name = bound["model"] or bound["device_id"][:12]
            raise DeviceError(
                "device_already_bound",
                f"Akun Anda sudah terikat pada ponsel lain ({model_name}, sejak {since}). "
                "Satu akun hanya untuk satu ponsel: minta BKPP mereset pengikatan, lalu aktifkan ponsel ini",
                f"Your account is already bound to another phone ({model_name}, since {since}). "
                "One account, one phone: ask BKPP to reset the binding, then activate this phone")
        q.lock_device(conn, device_id)
        if q.bound_to_other(conn, device_id, employee["id"]) is not None:
            raise DeviceError(   # never says whose: the other account is someone else's personal data
                "device_in_use",
                "Ponsel ini sudah terikat pada akun pegawai lain. Satu ponsel hanya untuk satu akun: "
                "minta BKPP melepas pengikatan ponsel ini terlebih dahulu",
                "This phone is already bound to another employee's account. One phone, one account: "
                "ask BKPP to release this phone first")
        if bound is not None:  # the same phone re-installed the app: a new token replaces the old
            q.revoke(conn, employee["id"], by="self", reason="re-activated on the same phone")
        q.use_code(conn, found["id"])
        q.bind(conn, employee["id"], device_id, model, token_hash(token))
    return token, employee


def reset(rt, nip: str, by: str, reason: str) -> dict | None:
    """BKPP frees the account for a new phone; the old token stops working at once."""
    with rt.transaction() as conn:
        employee = _employee(conn, nip)
        q.lock_binding(conn, employee["id"])
        revoked = q.revoke(conn, employee["id"], by=by, reason=reason)
        if revoked is not None:
            audit.record(conn, by, "device.reset", nip, reason, before=revoked)
    return revoked


def history(rt, nip: str) -> tuple[dict, list[dict]]:
    with rt.connection() as conn:
        employee = _employee(conn, nip)
        return employee, q.history(conn, employee["id"])


def authenticate(rt, token: str) -> Device:
    """The phone behind a bearer token. Raises DeviceError for unknown or revoked tokens."""
    found = authenticate_many(rt, [token])[token]
    if isinstance(found, DeviceError):
        raise found
    return found


def authenticate_many(rt, tokens: list[str], now: dt.datetime | None = None) -> dict[str, Device | DeviceError]:
    """The phone behind each bearer token, or why it is refused, in one round trip; its
    last contact is touched at `now` (the server's clock). Always Postgres: a reset or
    deactivation holds from the very next request."""
    hashes = {token: token_hash(token) for token in tokens}
    with rt.transaction() as conn:
        found = q.by_tokens(conn, sorted(set(hashes.values())), now)
    return {token: _device(found.get(h)) for token, h in hashes.items()}


def unknown_token() -> DeviceError:
    return DeviceError("invalid_token", "Token tidak dikenal. Aktifkan aplikasi dengan kode dari BKPP",
                       "Unknown token. Activate the app with a code from BKPP")


def _device(found: dict | None) -> Device | DeviceError:
    if found is None:
        return unknown_token()
    if found["revoked_at"] is not None:
        return DeviceError("device_revoked",
                           f"Ponsel ini tidak lagi terdaftar untuk akun Anda. {CONTACT_BKPP_ID}",
                           f"This phone is no longer registered for your account. {CONTACT_BKPP_EN}")
    if not found["active"]:
        return DeviceError("employee_inactive", f"Akun Anda tidak aktif. {CONTACT_BKPP_ID}",
                           f"Your account is not active. {CONTACT_BKPP_EN}")
    return Device(found["device_ref"], found["employee_id"], found["nip"], found["name"], found["unit_code"],
                  bool(found.get("shared")), found.get("last_seen_at"))


def shared_devices(rt) -> list[dict]:
    """Phones bound to more than one active account (from before the rule), for BKPP."""
    with rt.connection() as conn:
        return q.shared_devices(conn)


