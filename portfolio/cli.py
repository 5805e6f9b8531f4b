"""Command-line tools: ``flask --app portfolio <group> <command>``. They call the same services as the web.

This module holds the application-wide commands (``db upgrade``, ``seed``, ``backup``) and the helpers every
package's ``cli.py`` uses; each package registers its own group from its ``register(app)``: ``users``
(portfolio/auth/cli.py), ``ledger`` (portfolio/trust/cli.py), ``exports`` (portfolio/exports/cli.py).
"""
from __future__ import annotations

import copy

import click
from flask import Flask, current_app

from portfolio import db


def register(app: Flask) -> None:
    @app.cli.group("db")
    def db_group():
        """Esquema de la base de datos (Alembic)."""

    @db_group.command("upgrade")
    @click.option("--revision", default="heads", show_default=True)
    def db_upgrade(revision):
        """Aplica las migraciones pendientes."""
        from portfolio import migrate

        migrate.upgrade(current_app.config["DATABASE_URL"], revision)
        click.echo("Base de datos al día.")

    @db_group.command("grant-app-role")
    @click.option("--role", required=True, help="Rol de PostgreSQL con el que se conecta la aplicación.")
    @click.option("--password-env", default=None,
                  help="Variable de entorno con la contraseña, para crear el rol si no existe.")
    def db_grant_app_role(role, password_env):
        """Permisos del rol de la aplicación: sin UPDATE/DELETE/TRUNCATE sobre el historial. Ejecútelo como dueño
        de las tablas después de cada «db upgrade»."""
        from portfolio.config import secret_from_environment
        from portfolio.immutability import RoleError, grant_app_role

        password = secret_from_environment(password_env) if password_env else None
        if password_env and not password:
            raise click.ClickException(f"La variable de entorno {password_env} está vacía.")
        engine = current_app.extensions["portfolio_db"]["engine"]
        try:
            with engine.begin() as connection:
                statements = grant_app_role(connection, role, password=password)
        except RoleError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Rol {role}: {len(statements)} sentencias aplicadas (lectura e inserción en todas las tablas; "
                   "modificación solo de datos corrientes y de las columnas de estado del historial).")

    @app.cli.command("seed")
    @click.option("--demo/--no-demo", default=None, help="Carga datos de demostración (por defecto: DEMO_DATA).")
    def seed(demo):
        """Carga datos de referencia y, fuera de producción, datos de demostración. Idempotente."""
        from portfolio import seeding

        if demo is None:
            demo = current_app.config["DEMO_DATA"]
        if demo and current_app.config["ENV_MODE"] == "production":
            raise click.ClickException("Los datos de demostración nunca se cargan en producción.")
        report = seeding.load_reference()
        if demo:
            report.update(seeding.load_demo())
        db.session.commit()
        for key, count in report.items():
            click.echo(f"{key}: {count} nuevos")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path):
        """Respalda la base de datos en PATH sin detener la aplicación (SQLite: API de respaldo en línea;
        PostgreSQL: pg_dump -Fc). Nunca sobrescribe un archivo existente."""
        from portfolio import backup

        try:
            target = backup.backup(current_app.config["DATABASE_URL"], path)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Respaldo escrito en {target} ({target.stat().st_size:,} bytes).")


    @app.cli.command("clear-cache")
    def clear_cache_command():
        """Vacía la caché de páginas, de páginas guardadas por sesión y de resultados guardados (tras
        desplegar una versión nueva con PAGE_CACHE_URL=redis://…, o tras corregir datos fuera de los servicios)."""
        from portfolio import kept_pages, page_cache

        page_cache.clear()
        kept_pages.clear()
        click.echo("Caché de páginas y de resultados vaciada.")


def add_alias(app: Flask, command: click.Command, name: str) -> None:
    """Keep an older top-level command name working (hidden from ``--help``) for a command now in a group."""
    alias = copy.copy(command)
    alias.hidden = True
    app.cli.add_command(alias, name)


def commit_or_fail(action):
    """Run one service call and commit once; a ``DomainError`` rolls back and ends the command with its
    Spanish message (exit code 1)."""
    def fail(exc):
        raise click.ClickException(exc.message) from exc

    return db.commit_or_rollback(action, fail)
