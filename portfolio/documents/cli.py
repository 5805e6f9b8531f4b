"""``flask documents verify``: every stored document is exactly what was uploaded (its content is in the store
and hashes to the recorded SHA-256)."""
from __future__ import annotations

import hashlib

import click
from flask import current_app
from sqlalchemy import select

from portfolio import db


def verify_store(store) -> tuple[int, list[str]]:
    """(contents checked, problems) over every stored content."""
    from portfolio.documents.models import DocumentBlob

    problems, count = [], 0
    for blob in db.session.scalars(select(DocumentBlob).order_by(DocumentBlob.sha256)):
        count += 1
        if not store.exists(blob.sha256):
            problems.append(f"{blob.sha256}: falta en el almacén")
            continue
        digest, size = hashlib.sha256(), 0
        for chunk in store.open(blob.sha256):
            digest.update(chunk)
            size += len(chunk)
        if digest.hexdigest() != blob.sha256 or size != blob.size:
            problems.append(f"{blob.sha256}: el contenido almacenado no coincide con su huella")
    return count, problems


def register_commands(app) -> None:
    group = click.Group("documents", help="Documentos del expediente.")

    @group.command("verify")
    def verify():
        """Comprueba que cada documento almacenado conserva su huella SHA-256."""
        count, problems = verify_store(current_app.extensions["portfolio_documents"])
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{count} contenidos revisados, {len(problems)} con problemas.")
        if problems:
            raise SystemExit(1)

    app.cli.add_command(group)
