"""Settings: the embedded default needs nothing; production refuses placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.config import Settings


def test_embedded_default_is_sqlite_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOREINTEL_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'storeintel.db'}"
    assert settings.is_sqlite
    assert settings.should_auto_migrate


def test_postgres_url_selects_postgres_and_no_auto_migration(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://u:p@db/si")
    assert not settings.is_sqlite
    assert not settings.should_auto_migrate


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STOREINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STOREINTEL_LOG_LEVEL", "DEBUG")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.log_level == "DEBUG"


def test_secret_is_generated_once_and_persisted(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).server_secret
    second = Settings(data_dir=tmp_path).server_secret
    assert first == second
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("secret", [None, "changeme", "changethis", "short-but-real"])
def test_production_refuses_missing_or_placeholder_secrets(secret: str | None, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="STOREINTEL_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path, secret_key=secret)


def test_production_accepts_a_real_secret(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path, secret_key="k" * 12 + "Zq9-" * 8)
    assert settings.server_secret.startswith(b"kkkk")
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.internal:5432/si?sslmode=disable",
            "postgresql+asyncpg://u:p@db.internal:5432/si?ssl=disable",
        ),
        ("postgresql://u@h/si", "postgresql+asyncpg://u@h/si"),
        ("postgresql+asyncpg://u@h/si", "postgresql+asyncpg://u@h/si"),
        ("sqlite+aiosqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
    ],
)
def test_platform_database_urls_are_normalized(given: str, expected: str, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, database_url=given).database_url == expected


def test_plain_database_url_variable_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STOREINTEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db/prod")
    assert Settings(data_dir=tmp_path).effective_database_url == "postgresql+asyncpg://app@db/prod"
