"""`storeintel` command line: serve, migrate, create the first superadmin, rotate the token signing key,
purge organizations whose deletion is due."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import migrate as migrations
from backend.auth import service
from backend.auth.tokens import BuiltinIssuer
from backend.config import Settings
from backend.db import create_engine, create_sessionmaker, session_scope
from backend.errors import AppError
from backend.models.base import utcnow
from backend.organizations import deletion

app = typer.Typer(help="Store Intelligence backend.", no_args_is_help=True, add_completion=False)
admin_app = typer.Typer(help="Administrator accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Token signing keys of the built-in issuer.", no_args_is_help=True)
organizations_app = typer.Typer(help="Organizations whose deletion is due.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(keys_app, name="keys")
app.add_typer(organizations_app, name="organizations")

T = TypeVar("T")


def _with_sessionmaker(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    """Run `work` with a session factory on the configured database (migrated first where the settings
    say so), then dispose of the engine."""

    async def run() -> T:
        engine = create_engine(settings)
        try:
            if settings.should_auto_migrate:
                await migrations.upgrade(engine)
            return await work(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed session (`_with_sessionmaker`)."""

    async def in_session(factory: async_sessionmaker[AsyncSession]) -> T:
        async with session_scope(factory) as session:
            return await work(session)

    return _with_sessionmaker(settings, in_session)


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="STOREINTEL_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="STOREINTEL_PORT")] = 8000,
) -> None:
    """Run the API with uvicorn (settings from STOREINTEL_* variables and .env)."""
    import uvicorn

    # By name, not by import: the composition root imports `admin`, which `backend` must not.
    uvicorn.run("storeintel_app:app", host=host, port=port, proxy_headers=True, log_config=None)


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations up to REVISION (the release step on PostgreSQL)."""
    settings = Settings()

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await migrations.upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())
    typer.echo(f"database at {revision}")


@admin_app.command("create-superadmin")
def create_superadmin(
    email: Annotated[str, typer.Option(help="The administrator's email (their login).")],
    password: Annotated[
        str | None,
        typer.Option(help="Password; prompted for when omitted and a terminal is attached, else generated."),
    ] = None,
    generate: Annotated[bool, typer.Option(help="Generate a random password and print it once.")] = False,
) -> None:
    """Create the first superadmin (or promote an existing user and set their password)."""
    shown = None
    if generate or (password is None and not _interactive()):
        password = shown = secrets.token_urlsafe(18)
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings()
    try:
        user = _with_session(settings, lambda s: service.create_superadmin(s, email, password))
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"superadmin {user.email} ({user.id}) is ready")
    if shown:
        typer.echo(f"password (shown once): {shown}")


@keys_app.command("rotate")
def rotate_signing_key() -> None:
    """Create a new signing key; the old one keeps verifying tokens until they expire."""
    settings = Settings()
    kid = _with_session(settings, lambda s: BuiltinIssuer(settings).rotate(s))
    typer.echo(f"new signing key {kid}; restart or wait for API instances to pick it up on the next token")


@organizations_app.command("purge-due")
def purge_due_organizations() -> None:
    """Purge every organization whose deletion grace period has ended (DELETE /admin/organizations/{id}):
    all its rows and snapshot files go; the audit log keeps that it happened. Safe to run from cron on
    several machines at once."""
    settings = Settings()
    results = _with_sessionmaker(
        settings, lambda factory: deletion.purge_due(factory, settings.data_dir, now=utcnow())
    )
    for result in results:
        rows = sum(result.rows_deleted.values())
        typer.echo(
            f"purged organization {result.org_id}: {rows} rows, {len(result.snapshot_files)} snapshot files"
        )
    typer.echo(f"{len(results)} organization(s) purged")


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
