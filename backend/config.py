"""Backend settings: one pydantic-settings class read from `STOREINTEL_*` variables and `.env`.

The embedded default needs no configuration at all: the database is a SQLite file in the data folder and
the server secret is generated there on first start. In production every secret must be given explicitly
and placeholder values are refused.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Values people paste from examples; refusing them in production keeps a demo secret out of a real deployment.
_PLACEHOLDER_SECRETS = frozenset({"", "changeme", "changethis", "secret", "placeholder", "dev", "test"})
_MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """Raised when the settings cannot describe a safe, working deployment."""


class Settings(BaseSettings):
    """Every knob of the backend. Field names map to `STOREINTEL_<NAME>` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="STOREINTEL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Environment = "development"
    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file and generated keys.")
    database_url: str | None = Field(
        default=None,
        # DATABASE_URL too, because hosting platforms (Fly's `postgres attach`, Heroku) set that name.
        validation_alias=AliasChoices("STOREINTEL_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/storeintel.db. "
        "Use postgresql+asyncpg://user:pass@host/db for PostgreSQL (postgres:// URLs are converted).",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="Run `alembic upgrade head` at start-up. Default: on for SQLite, off otherwise "
        "(production runs migrations as a release step).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Server secret for keyed hashes (worker keys, invite tokens). Generated into the data "
        "folder when unset outside production.",
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /metrics. Unset: open in development, not exposed in production.",
    )

    # Built-in token issuer (ES256, keys in the database, encrypted with the server secret).
    jwt_issuer: str = Field(default="storeintel", description="`iss` of tokens from POST /auth/token.")
    jwt_audience: str = Field(default="storeintel", description="`aud` of built-in tokens.")
    access_token_ttl_s: int = Field(default=900, ge=60, le=86400)
    # External identity provider (for example Supabase Auth): any issuer that publishes a JWKS.
    external_jwks_url: str | None = Field(default=None, description="JWKS URL of an external issuer.")
    external_issuer: str | None = Field(default=None, description="Exact `iss` of external tokens.")
    external_audience: str = Field(default="authenticated", description="Expected `aud` of external tokens.")
    external_algorithms: list[str] = Field(
        default=["ES256"], description="Accepted algorithms, never from the token."
    )
    jwks_cache_ttl_s: float = Field(default=3600, gt=0)
    jwks_refresh_min_interval_s: float = Field(
        default=30,
        ge=0,
        description="At most one JWKS refresh per interval, however many unknown kids arrive.",
    )
    # Login throttling (failed attempts within the window).
    login_window_s: int = Field(default=900, gt=0)
    login_max_failures_per_account: int = Field(default=5, gt=0)
    login_max_failures_per_address: int = Field(default=30, gt=0)
    # Owner browser sessions: the refresh token in the `storeintel_session` cookie (docs/security.md).
    session_idle_ttl_s: int = Field(
        default=12 * 3600, gt=0, description="A session not refreshed for this long ends (a working day)."
    )
    session_absolute_ttl_s: int = Field(
        default=7 * 86400, gt=0, description="A session ends this long after sign-in, however active."
    )
    session_cookie_secure: bool = Field(
        default=True,
        description="Mark the session cookie Secure. Browsers accept Secure cookies from "
        "http://127.0.0.1 and http://localhost, so only a plain-HTTP deployment on another host needs False.",
    )
    # Password reset by email.
    password_reset_ttl_minutes: int = Field(default=60, gt=0)
    password_reset_window_s: int = Field(default=3600, gt=0)
    password_reset_max_per_account: int = Field(
        default=3, gt=0, description="Reset emails requested for one address within the window (429 beyond)."
    )
    password_reset_max_per_address: int = Field(
        default=20, gt=0, description="Reset requests from one client address within the window (429 beyond)."
    )
    # Invites.
    invite_ttl_hours: int = Field(default=72, gt=0)
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Base of links sent by email.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Store Intelligence <no-reply@localhost>"
    smtp_starttls: bool = True
    # Camera health: workers send a heartbeat every `heartbeat_interval_s`.
    heartbeat_interval_s: float = Field(default=30, gt=0)
    camera_offline_after_s: float = Field(
        default=60, gt=0, description="No heartbeat for longer than this: offline (default 2 intervals)."
    )
    # Worker ingestion (POST /worker/events, /worker/heartbeat, /worker/snapshot).
    ingest_max_events: int = Field(default=5000, gt=0, description="Most events in one POST (413 beyond).")
    ingest_max_body_bytes: int = Field(
        default=5_000_000, gt=0, description="Largest events body, on the wire and after gunzip (413)."
    )
    ingest_max_future_s: float = Field(
        default=300, ge=0, description="Events stamped further ahead of the server clock are rejected."
    )
    ingest_max_age_days: float = Field(
        default=7, gt=0, description="Late events are accepted up to this age; older ones are rejected."
    )
    heartbeat_retention_days: float = Field(
        default=30, gt=0, description="Heartbeat history kept per camera (older rows pruned on heartbeat)."
    )
    snapshot_max_bytes: int = Field(default=2_000_000, gt=0, description="Largest snapshot JPEG (413).")
    snapshot_storage: Literal["database", "folder"] = Field(
        default="database", description='"database" (inline) or "folder" (<data_dir>/snapshots).'
    )
    # Camera health (backend/cameras/status.py): "stale" = heartbeats arrive but frames or events stopped.
    camera_events_stalled_after_s: float = Field(
        default=300,
        gt=0,
        description="A worker reporting undelivered events (outbox_depth > 0) while no event has arrived "
        "for longer than this is stale.",
    )
    count_audit_target: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="A camera whose last count audit's overall accuracy (0..1) is below this is flagged in "
        "camera health (docs/admin-api.md, Count audits).",
    )

    # Organization deletion (docs/privacy.md): deactivated at once, purged after the grace period.
    org_deletion_grace_s: float = Field(
        default=7 * 86400,
        ge=0,
        description="Seconds between an admin's deletion request and the purge of every row and snapshot "
        "file of the organization; it can be cancelled until then (default 7 days).",
    )
    org_purge_interval_s: float = Field(
        default=3600,
        ge=0,
        description="Seconds between the backend's checks for organizations whose deletion is due "
        "(0: never in the server; run `storeintel organizations purge-due` instead).",
    )

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        value = self.secret_key.get_secret_value() if self.secret_key else ""
        if value.strip().lower() in _PLACEHOLDER_SECRETS or len(value) < _MIN_SECRET_LENGTH:
            raise SettingsError(
                f"STOREINTEL_SECRET_KEY must be set to a random value of at least {_MIN_SECRET_LENGTH} "
                "characters in production (for example `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one or the SQLite file in `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'storeintel.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite (the embedded default)."""
        return self.effective_database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        """Whether start-up applies migrations (explicit setting, else only for SQLite)."""
        return self.auto_migrate if self.auto_migrate is not None else self.is_sqlite

    @cached_property
    def server_secret(self) -> bytes:
        """The keyed-hash secret as bytes, generated and persisted in `data_dir` when not configured.

        Raises:
            SettingsError: in production without a configured secret (the validator already refuses that).
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        if self.environment == "production":
            raise SettingsError("STOREINTEL_SECRET_KEY is required in production")
        return _load_or_create_secret(self.data_dir / "secret_key").encode()


def normalize_database_url(url: str) -> str:
    """Turn a platform-style `postgres://…?sslmode=require` URL into the async driver's form.

    `postgres://` and `postgresql://` become `postgresql+asyncpg://`, and libpq's `sslmode` becomes
    asyncpg's `ssl` (same values). Other URLs are returned unchanged.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        return url
    query = [("ssl" if key == "sslmode" else key, val) for key, val in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=urlencode(query)))


def _load_or_create_secret(path: Path) -> str:
    """Read a persisted secret, creating it (mode 0600) on first use so restarts keep the same value."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not both write different secrets.
    try:
        with path.open("x") as fh:
            fh.write(value)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return value
