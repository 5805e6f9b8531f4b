"""``flask --app portfolio users create|deactivate|activate|reset-password``: user administration from the
command line, through the same services as the admin pages."""
from __future__ import annotations

import getpass
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portfolio import db
from portfolio.auth.policy import SYSTEM
from portfolio.auth.roles import ROLES
from portfolio.cli import add_alias, commit_or_fail

users_cli = AppGroup("users", help="Usuarios y accesos.")


def _password_from(option: str | None) -> str:
    from portfolio.config import cli_password

    if option:
        return option
    env = cli_password()
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



@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([str(role) for role in ROLES]))
@click.option("--company-ruc", help="RUC de la empresa (solo rol company).")
@click.option("--password", help="Si se omite: PORTFOLIO_PASSWORD o se pregunta.")
def create_user(email, name, role, company_ruc, password):
    """Crea un usuario."""
    from portfolio.auth import services

    user = commit_or_fail(lambda: services.create_user(
        email=email, name=name, role=role, password=_password_from(password), company_id=_company_id(company_ruc),
        actor=SYSTEM))
    click.echo(f"Usuario {user.email} creado con rol {user.role}.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_user(email):
    """Desactiva un usuario y cierra sus sesiones."""
    from portfolio.auth import services

    commit_or_fail(lambda: services.set_active(user=_user(email), active=False, actor=SYSTEM))
    click.echo(f"Usuario {email} desactivado; sus sesiones abiertas se cerraron.")


@users_cli.command("activate")
@click.option("--email", required=True)
def activate_user(email):
    """Reactiva un usuario."""
    from portfolio.auth import services

    commit_or_fail(lambda: services.set_active(user=_user(email), active=True, actor=SYSTEM))
    click.echo(f"Usuario {email} activado.")


@users_cli.command("reset-password")
@click.option("--email", required=True)
@click.option("--password", help="Si se omite: PORTFOLIO_PASSWORD o se pregunta.")
def reset_password(email, password):
    """Restablece la contraseña de un usuario y cierra sus sesiones."""
    from portfolio.auth import services

    commit_or_fail(lambda: services.set_password(user=_user(email), new_password=_password_from(password),
                                                 actor=SYSTEM))
    click.echo(f"Contraseña de {email} restablecida.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    # The names used before the command groups, kept working (hidden from --help).
    for command, old_name in ((create_user, "create-user"), (deactivate_user, "deactivate-user"),
                              (activate_user, "activate-user"), (reset_password, "reset-password")):
        add_alias(app, command, old_name)
