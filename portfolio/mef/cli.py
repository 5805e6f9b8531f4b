"""``flask mef importar ARCHIVO.csv --usuario correo [--aplicar]``: MEF's execution CSV from the command line.

The same path as the staff page: one streamed pass, the preview printed, and with ``--aplicar`` the batch is
applied in one transaction (all or nothing) in the name of that staff user. Without ``--aplicar`` nothing is
kept. Exit status 1 when the file has errors or the apply is refused.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

mef_cli = AppGroup("mef", help="Datos abiertos de MEF (ejecución presupuestal).")


@mef_cli.command("importar")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--usuario", "email", required=True, help="Correo del usuario del personal que importa.")
@click.option("--aplicar", is_flag=True, help="Aplica la importación (sin esto, solo la vista previa).")
@click.option("--detalle", default=20, show_default=True, type=click.IntRange(min=0),
              help="Filas de la vista previa que se muestran por grupo.")
def import_command(path, email, aplicar, detalle):
    """Lee el CSV «Presupuesto y ejecución de gasto» de MEF y registra devengado y girado por CUI y año."""
    import os

    from sqlalchemy import func, select

    from portfolio import db
    from portfolio.auth.models import User
    from portfolio.domain_errors import DomainError
    from portfolio.imports import services
    from portfolio.imports.base import INFO

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"No hay un usuario activo con el correo {email}.")
    kind = services.get_kind("mef-ejecucion")
    try:
        with open(path, "rb") as stream:
            staged = services.stage_stream(kind=kind, stream=stream, filename=os.path.basename(path), actor=user)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    facts = staged.facts
    if staged.already is not None:
        db.session.rollback()
        click.echo(f"Este archivo ya fue importado (importación N.° {staged.already.id}); no se cambió nada.")
        return
    if facts:
        click.echo(f"Filas leídas: {facts['rows']:,} · actividades omitidas: {facts['activities']:,} · sin CUI: "
                   f"{facts['no_cui']:,} · CUI fuera de la cartera: {facts['unknown_total']:,}")
    counts = staged.plan.counts()
    click.echo(f"Años nuevos: {counts['crear']} · años que cambian: {counts['cambiar']} · sin cambios: "
               f"{counts['sin_cambios']} · errores: {len(staged.errors)}")
    for group, title in kind.groups.items():
        actions = [a for a in staged.plan.actions if a.group == group and (a.action != INFO or group != "cartera")]
        if actions:
            click.echo(f"\n{title}:")
            for action in actions[:detalle]:
                click.echo(f"  fila {action.row}: {kind.label_for(action)} · {action.description} · {action.detail}")
            if len(actions) > detalle:
                click.echo(f"  … y {len(actions) - detalle} más")
    if staged.errors:
        db.session.rollback()
        for issue in staged.errors[:50]:
            where = f"Fila {issue.row}, {issue.column}: " if issue.row else ""
            click.echo(f"{where}{issue.message}", err=True)
        raise click.ClickException("El archivo tiene errores: no se aplicó nada.")
    if staged.batch is None:
        db.session.rollback()
        click.echo("No hay cambios que aplicar.")
        return
    if not aplicar:
        db.session.rollback()
        click.echo("\nVista previa: no se aplicó nada (use --aplicar).")
        return
    db.session.commit()
    try:
        applied = services.apply(batch_id=staged.batch.id, actor=user)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Importación N.° {staged.batch.id} aplicada: " +
               ", ".join(f"{n} {what}" for what, n in applied.items()) + ".")
