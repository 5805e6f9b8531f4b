"""``flask --app portfolio api create-token --email … --name … [--scopes read,declare] [--days N]``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portfolio.api.models import SCOPES


def register_commands(app: Flask) -> None:
    group = AppGroup("api", help="La API JSON: claves de acceso.")

    @group.command("create-token")
    @click.option("--email", required=True, help="Correo del usuario dueño de la clave.")
    @click.option("--name", required=True, help="Nombre de la clave, p. ej. «Sistema de planillas».")
    @click.option("--scopes", default="read", show_default=True,
                  help="Alcances separados por comas: " + ", ".join(SCOPES) + ".")
    @click.option("--days", type=int, default=90, show_default=True, help="Vigencia en días (1 a 366).")
    def create_token(email: str, name: str, scopes: str, days: int) -> None:
        """Crea una clave de API y la muestra una sola vez."""
        from portfolio import db
        from portfolio.api import services
        from portfolio.auth.models import User
        from portfolio.auth.policy import SYSTEM
        from portfolio.domain_errors import DomainError

        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No existe un usuario con el correo {email}.")
        try:
            token, secret = services.create_token(user_id=user.id, name=name, scopes=scopes.split(","), days=days,
                                                  actor=SYSTEM)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        click.echo(f"Clave «{token.name}» para {user.email} ({', '.join(sorted(token.scope_set))}), "
                   f"vence el {token.expires_at:%d/%m/%Y}. Guárdela: no se volverá a mostrar.")
        click.echo(secret)

    @group.command("purge-idempotency")
    @click.option("--days", type=int, default=30, show_default=True, help="Olvidar respuestas de más de N días.")
    def purge_idempotency(days: int) -> None:
        """Borra las respuestas recordadas por Idempotency-Key de más de N días (ejecútelo a diario)."""
        from portfolio import db
        from portfolio.api import services
        from portfolio.auth.policy import SYSTEM
        from portfolio.domain_errors import DomainError

        try:
            removed = services.purge_idempotency(days=days, actor=SYSTEM)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        click.echo(f"Respuestas olvidadas: {removed}.")

    app.cli.add_command(group)
