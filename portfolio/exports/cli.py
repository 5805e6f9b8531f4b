"""``flask --app portfolio exports purge --days 7``: delete old export files (the job rows stay as history)."""
from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import AppGroup

from portfolio.cli import add_alias

exports_cli = AppGroup("exports", help="Exportaciones a Excel.")


@exports_cli.command("purge")
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=0),
              help="Borra los archivos de exportaciones terminadas hace más de estos días.")
def purge_command(days):
    """Borra archivos de exportaciones antiguas (los registros de los trabajos se conservan)."""
    from portfolio import db
    from portfolio.exports.jobs import purge_files

    removed = purge_files(dt.timedelta(days=days))
    db.session.commit()
    click.echo(f"Archivos borrados: {removed}.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(exports_cli)
    add_alias(app, purge_command, "exports-purge")  # the name used before the command groups
