"""``flask --app portfolio ledger verify``: recompute every balance and invariant from the postings."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portfolio import db

ledger_cli = AppGroup("ledger", help="Libro mayor del fideicomiso.")


@ledger_cli.command("verify")
def verify_command():
    """Recalcula saldos e invariantes desde los movimientos; termina con error ante cualquier diferencia."""
    from portfolio.projects import tallies as project_tallies
    from portfolio.trust import ledger
    from portfolio.trust.services.verify import domain_problems

    problems = ledger.verify(db.session) + domain_problems() + project_tallies.problems()
    entries = db.session.scalar(select(func.count(ledger.Entry.id)))
    accounts = db.session.scalar(select(func.count(ledger.Account.id)))
    if problems:
        click.echo(f"Se encontraron {len(problems)} inconsistencias:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"Libro mayor conforme: {entries} asientos y {accounts} cuentas verificados; "
               "saldos en caché iguales a los recalculados, todos los asientos cuadran.")


def register_commands(app) -> None:
    app.cli.add_command(ledger_cli)
