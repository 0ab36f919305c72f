"""The regions of one installation: its own (config.yaml) and the others (regions/<code>.yaml).

A region (pemda) is the unit of isolation. Each has its own config (units, offices,
schedules, rules, holidays, zone), its own schema on the shared database with an app role
granted that schema only, its own Redis prefix and its own files; every process, page and
command works for one region at a time (`Settings.region`). The installation's own region
is config.yaml in the URL's schema, exactly as a single-region set-up has always run, so
nothing changes until a region is added (`pantau region add`).
"""
from __future__ import annotations

import hashlib
import os
import hmac
import re
from dataclasses import dataclass, replace
from pathlib import Path

from queries.db import url_schema, with_schema

from .settings import Settings, load_settings

TOKEN_SEP = "~"        # token68 allows it (RFC 7235)
SCHEMA_PREFIX = "r_"   # a region's schema: r_<code>, e.g. r_8271 (schemas may not start with a digit)


class RegionError(ValueError):
    """An unknown or inconsistent region; the message names it and where it comes from."""


@dataclass(frozen=True)
class RegionEntry:
    code: str
    name: str
    timezone: str
    parent: str | None
    config_path: Path
    schema: str | None      # None: the installation's own region (the URL's schema)

    @property
    def own(self) -> bool:
        return self.schema is None


def schema_name(code: str, own_schema: str | None = None) -> str:
    """r_<code>; beside an own region that lives in schema S (not public): S_r_<code>, so
    installations sharing one database (Citus, tests) keep their regions apart."""
    name = SCHEMA_PREFIX + re.sub(r"[^a-z0-9_]", "_", code.lower())
    if own_schema and own_schema != "public":
        name = f"{own_schema}_{name}"
    return name[:63]


def region_files(regions_dir: Path) -> dict[str, Path]:
    """regions/<code>.yaml by code (the file's stem)."""
    return {p.stem: p for p in sorted(Path(regions_dir).glob("*.yaml"))}


def _config(path: Path):
    from .config_file import get_config

    return get_config(path)


def own_code(base: Settings) -> str:
    return _config(base.config_path).region.code


def listing(base: Settings) -> list[RegionEntry]:
    """Every region of the installation, its own first; each file checked against its name."""
    own = _config(base.config_path)
    entries = [RegionEntry(own.region.code, own.region.name, own.region.timezone, own.region.parent,
                           base.config_path, None)]
    for code, path in region_files(base.regions_dir).items():
        config = _config(path)
        if config.region.code != code:
            raise RegionError(f"{path}: region.code is {config.region.code!r}, the file is named {code!r} "
                              f"(a region's file is regions/<region.code>.yaml)")
        if code == own.region.code:
            raise RegionError(f"{path}: region {code} is the installation's own ({base.config_path}); "
                              "remove one of the two")
        entries.append(RegionEntry(code, config.region.name, config.region.timezone, config.region.parent,
                                   path, schema_name(code, url_schema(base.database_url) if base.database_url else None)))
    return entries


def region_settings(region: str | None = None) -> Settings:
    """The environment's settings for `region` (default: PANTAU_REGION, else the own region)."""
    base = load_settings()
    region = region or os.environ.get("PANTAU_REGION") or None
    return base if region is None else settings_for(base, region)


def settings_for(base: Settings, code: str) -> Settings:
    """The settings of region `code`: the installation's own are `base` unchanged."""
    code = str(code).strip()
    if code == own_code(base):
        return replace(base, region=None, db_schema=None)
    path = region_files(base.regions_dir).get(code)
    if path is None:
        known = ", ".join(e.code for e in listing(base))
        raise RegionError(f"unknown region {code!r}: this installation has {known} "
                          f"(add one with `pantau region add`, files in {base.regions_dir})")
    named = _config(path).region.code
    if named != code:   # before anything makes a schema for it
        raise RegionError(f"{path}: region.code is {named!r}, the file is named {code!r} "
                          f"(a region's file is regions/<region.code>.yaml)")
    if base.app_database_url and not base.database_url:
        raise RegionError(f"region {code}: PANTAU_APP_DATABASE_URL names one region's role; another region "
                          "needs DATABASE_URL (the owner's URL) to derive its own")
    schema = schema_name(code, url_schema(base.database_url) if base.database_url else None)
    return replace(
        base, region=code, db_schema=schema, config_path=path, installation_database_url=base.database_url,
        database_url=with_schema(base.database_url, schema) if base.database_url else None,
        # PANTAU_APP_DATABASE_URL is the own region's role and schema: this region derives its own
        app_database_url=None,
        redis_prefix=f"{base.redis_prefix}:{code}",
        selfie_dir=base.selfie_dir / code,
        attachment_dir=Path(base.var_dir) / "attachments" / code,
    )


def token_region(token: str) -> str | None:
    """The region a phone's bearer token names: `<code>~<secret>` (`~` is in neither a
    region code nor the URL-safe base64 of the secret; an own-region token has none)."""
    code, sep, _ = token.partition(TOKEN_SEP)
    return code if sep and code else None


def token_for(settings: Settings, secret: str) -> str:
    return f"{settings.region}{TOKEN_SEP}{secret}" if settings.region else secret


def region_secret(settings: Settings) -> str:
    """The key a region signs with (cookies, CSRF, event QR codes, venue-screen links): the
    own region keeps the configured secret (nothing changes for it); another region's is
    derived from it, so nothing one region signed is genuine at another."""
    if settings.region is None:
        return settings.secret_key
    return hmac.new(settings.secret_key.encode(), f"pantau-region:{settings.region}".encode(),
                    hashlib.sha256).hexdigest()


def host_region(host: str, codes) -> str | None:
    """The region the Host names by its first label (`8271.localhost:8000`); never an IP
    address (82.165.1.2 is not region 82)."""
    name = host.strip().lower().rsplit(":", 1)[0]
    label = name.split(".", 1)[0]
    if label not in codes or all(part.isdigit() for part in name.split(".")):   # an IPv4 address
        return None
    return label    # (an IPv6 literal starts with '[': never a code)
