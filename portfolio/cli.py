"""Command-line tools: ``flask --app portfolio <command>``. They call the same services as the web."""
from __future__ import annotations

import getpass
import os
import sys

import click
from flask import Flask, current_app
from sqlalchemy import select

from portfolio import db
from portfolio.auth.policy import SYSTEM
from portfolio.auth.roles import ROLES


def register_commands(app: Flask) -> None:
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
        from portfolio.immutability import RoleError, grant_app_role

        password = os.environ.get(password_env) if password_env else None
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

    def _password_from(option: str | None) -> str:
        if option:
            return option
        env = os.environ.get("PORTFOLIO_PASSWORD")
        if env:
            return env
        if not sys.stdin.isatty():
            raise click.ClickException("Indique la contraseña con --password o PORTFOLIO_PASSWORD.")
        first = getpass.getpass("Contraseña: ")
        if first != getpass.getpass("Repita la contraseña: "):
            raise click.ClickException("Las contraseñas no coinciden.")
        return first

    def _company_id(ruc: str | None) -> int | None:
        from portfolio.orgs.models import Company

        if not ruc:
            return None
        company_id = db.session.scalar(select(Company.id).where(Company.ruc == ruc))
        if company_id is None:
            raise click.ClickException(f"No existe una empresa con RUC {ruc}.")
        return company_id

    def _user(email: str):
        from portfolio.auth.models import User
        from portfolio.auth.services import normalize_email

        user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise click.ClickException(f"No existe el usuario {email}.")
        return user

    def _commit_or_fail(action):
        def fail(exc):
            raise click.ClickException(exc.message) from exc

        return db.commit_or_rollback(action, fail)

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

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", required=True, type=click.Choice([str(role) for role in ROLES]))
    @click.option("--company-ruc", help="RUC de la empresa (solo rol company).")
    @click.option("--password", help="Si se omite: PORTFOLIO_PASSWORD o se pregunta.")
    def create_user(email, name, role, company_ruc, password):
        """Crea un usuario."""
        from portfolio.auth import services

        user = _commit_or_fail(lambda: services.create_user(
            email=email, name=name, role=role, password=_password_from(password), company_id=_company_id(company_ruc),
            actor=SYSTEM))
        click.echo(f"Usuario {user.email} creado con rol {user.role}.")

    @app.cli.command("deactivate-user")
    @click.option("--email", required=True)
    def deactivate_user(email):
        """Desactiva un usuario y cierra sus sesiones."""
        from portfolio.auth import services

        _commit_or_fail(lambda: services.set_active(user=_user(email), active=False, actor=SYSTEM))
        click.echo(f"Usuario {email} desactivado; sus sesiones abiertas se cerraron.")

    @app.cli.command("activate-user")
    @click.option("--email", required=True)
    def activate_user(email):
        """Reactiva un usuario."""
        from portfolio.auth import services

        _commit_or_fail(lambda: services.set_active(user=_user(email), active=True, actor=SYSTEM))
        click.echo(f"Usuario {email} activado.")

    @app.cli.command("reset-password")
    @click.option("--email", required=True)
    @click.option("--password", help="Si se omite: PORTFOLIO_PASSWORD o se pregunta.")
    def reset_password(email, password):
        """Restablece la contraseña de un usuario y cierra sus sesiones."""
        from portfolio.auth import services

        _commit_or_fail(lambda: services.set_password(user=_user(email), new_password=_password_from(password),
                                                             actor=SYSTEM))
        click.echo(f"Contraseña de {email} restablecida.")
