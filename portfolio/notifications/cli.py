"""``flask --app portfolio notify run``: send what is due now. Safe from cron every few minutes and on several
hosts at once (each notice is recorded once; a claimed e-mail is leased to one host).

A run has three short transactions, so that no e-mail is sent while a transaction holds locks: record the
notices due (commit), lease the e-mails to send (commit), send them outside any transaction, record each outcome
(commit). A crash between sending and recording can at worst send that one e-mail again after the lease ends.
"""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from portfolio import clock, db
from portfolio.auth.policy import SYSTEM
from portfolio.urls import public_base_url

notify_cli = AppGroup("notify", help="Avisos de vencimientos: recordatorios en la aplicación y por correo.")


def run_notifications(*, today: dt.date | None = None, batch: int = 200, max_batches: int = 50) -> dict[str, int]:
    """One run (what the command does): create the notices due, then send the e-mails waiting."""
    from portfolio.notifications import links, mail, services
    from portfolio.notifications.letters import LetterCache

    smtp_url = current_app.config.get("SMTP_URL")
    today = today or clock.today()
    summary = services.create_due_notices(actor=SYSTEM, link_for=links.path_for, smtp_configured=bool(smtp_url),
                                          today=today)
    db.session.commit()
    totals = {"enviados": 0, "reintentos": 0, "fallidos": 0}
    if smtp_url:
        base, sender = public_base_url(), current_app.config["MAIL_FROM"]
        letters = LetterCache(verify_base=f"{base}/verificar", actor=SYSTEM, today=today)
        for _ in range(max_batches):
            claimed = services.claim_emails(actor=SYSTEM, limit=batch)
            items = [mail.Outgoing(n.id, n.email_to, n.subject, n.body, links.absolute(n.link, base),
                                   letters.attachments_for(n)) for n in claimed]
            db.session.commit()
            if not items:
                break
            outcomes = mail.send_batch(items, smtp_url=smtp_url, sender=sender)
            for key, value in services.record_deliveries(actor=SYSTEM, outcomes=outcomes).items():
                totals[key] += value
            db.session.commit()
            if len(items) < batch:
                break
    return {**summary, **totals}


@notify_cli.command("run")
def run_command():
    """Crea los avisos que vencen hoy (una sola vez cada uno) y envía los correos pendientes."""
    result = run_notifications()
    smtp = "" if current_app.config.get("SMTP_URL") else " (SMTP_URL no configurado: no se envían correos)"
    click.echo(f"Obligaciones abiertas: {result['obligations']}; avisos nuevos: {result['created']} "
               f"de {result['due']} que corresponden hoy; correos enviados: {result['enviados']}, por reintentar: "
               f"{result['reintentos']}, fallidos: {result['fallidos']}{smtp}.")


def register_commands(app) -> None:
    app.cli.add_command(notify_cli)
