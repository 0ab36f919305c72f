"""Process settings: the environment over defaults (as healthchecks.io does).

Everything a deployment changes lives here; the region itself lives in config.yaml.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


# limit name: (environment variable, default), in the `limits` library's notation
RATE_LIMIT_ENV = {
    "device": ("PANTAU_RATE_DEVICE", "60/minute"),
    "ip": ("PANTAU_RATE_IP", "3000/minute"),
    "activate_ip": ("PANTAU_RATE_ACTIVATE_IP", "120/minute"),
    "activate_nip": ("PANTAU_RATE_ACTIVATE_NIP", "10/hour"),
}
RATE_LIMITS = {name: default for name, (_, default) in RATE_LIMIT_ENV.items()}


@dataclass(frozen=True)
class Settings:
    # the owner's URL: migrations and the app role's set-up (None: embedded, unless app_database_url)
    database_url: str | None
    # redis://, rediss://, unix:// (one server) or redis+cluster://host:port[,...] (a Redis
    # Cluster: services.redis_client picks the cluster client); None: embedded
    redis_url: str | None
    config_path: Path
    var_dir: Path
    redis_prefix: str
    selfie_dir: Path
    secret_key: str
    log_level: str = "INFO"
    # the processes' role; unset: derived from database_url (docs/operations.md, two roles)
    app_database_url: str | None = None
    db_pool: int = 5              # connections per process (plus 10 overflow)
    api_threads: int = 16         # API threads for blocking Postgres / Redis work
    api_writers: int = 2          # check-in writer threads per API process
    # An office of hundreds of phones may sit behind one NAT address: the IP limit is wide.
    rate_limits: dict = field(default_factory=lambda: dict(RATE_LIMITS))
    extra: dict = field(default_factory=dict)
    # Another region of this installation (foundation/regions.py): its code, and the schema
    # its tables live in on the shared database. None: the installation's own region
    # (config.yaml, the URL's schema), as a single-region set-up has always been.
    region: str | None = None
    db_schema: str | None = None
    regions_dir: Path = ROOT / "regions"
    attachment_dir: Path | None = None   # None: var_dir/attachments
    installation_database_url: str | None = None   # another region's: the own one's DATABASE_URL

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None and self.app_database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None


def load_settings() -> Settings:
    """The environment's settings: the installation's own region (config.yaml). A region's:
    foundation.regions.region_settings (PANTAU_REGION)."""
    var_dir = Path(_env("PANTAU_VAR_DIR", str(ROOT / "var"))).resolve()
    return Settings(
        database_url=_env("DATABASE_URL"),
        app_database_url=_env("PANTAU_APP_DATABASE_URL"),
        redis_url=_env("REDIS_URL"),
        config_path=Path(_env("PANTAU_CONFIG", str(ROOT / "config.yaml"))).resolve(),
        var_dir=var_dir,
        # One Redis may serve several regions or test runs: every key carries this prefix.
        redis_prefix=_env("PANTAU_REDIS_PREFIX", "pantau"),
        selfie_dir=Path(_env("PANTAU_SELFIE_DIR", str(var_dir / "selfies"))).resolve(),
        secret_key=_env("PANTAU_SECRET_KEY") or _local_secret(var_dir),
        log_level=_env("PANTAU_LOG_LEVEL", "INFO"),
        db_pool=int(_env("PANTAU_DB_POOL", "5")),
        api_threads=int(_env("PANTAU_API_THREADS", "16")),
        api_writers=int(_env("PANTAU_API_WRITERS", "2")),
        rate_limits={name: _env(env, default) for name, (env, default) in RATE_LIMIT_ENV.items()},
        regions_dir=Path(_env("PANTAU_REGIONS_DIR", str(ROOT / "regions"))).resolve(),
    )


def _local_secret(var_dir: Path) -> str:
    """A per-installation secret kept under ./var when none is configured."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # first writer wins when two processes start at once
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
