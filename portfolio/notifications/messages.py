"""What each notice says, in Spanish: a subject and a plain-text body per kind and step (the HTML version of the
e-mail is built from the same text in :mod:`portfolio.notifications.mail`)."""
from __future__ import annotations

import datetime as dt

from portfolio.formatting import format_date
from portfolio.money import format_money
from portfolio.notifications.obligations import Obligation
from portfolio.notifications.vocab import KIND_LABELS, STEP_ESCALATION, STEP_LETTER, ObligationKind

K = ObligationKind
SIGNATURE = "Fideicomiso de Seguridad Ciudadana — La Libertad"


def _when(ob: Obligation, today: dt.date) -> str:
    late = ob.days_late(today)
    if late > 0:
        return f"venció el {format_date(ob.due_on)} (hace {late} día{'s' if late != 1 else ''})"
    if late == 0:
        return f"vence hoy, {format_date(ob.due_on)}"
    return f"vence el {format_date(ob.due_on)} (en {-late} día{'s' if late != -1 else ''})"


def _amount(ob: Obligation) -> str:
    return f" por {format_money(ob.amount)}" if ob.amount is not None else ""


def compose(ob: Obligation, step: str, today: dt.date) -> tuple[str, str]:
    """(subject, body) of the notice of ``ob`` at ``step`` sent on ``today``."""
    when = _when(ob, today)
    if step == STEP_ESCALATION:
        kind = "el aporte" if ob.kind == K.APORTE else "la declaración de planilla"
        return (f"Morosidad escalada: {ob.company_name} — {ob.days_late(today)} días de atraso",
                f"La empresa {ob.company_name} no ha cumplido {kind}: {ob.title}{_amount(ob)}, que {when}.\n\n"
                "Con este atraso la obligación se escala al fiduciario y figura en la página del Comité Técnico. "
                "Se envió a la empresa la carta de cobranza.")
    if step == STEP_LETTER:
        # The e-mail carries the carta de cobranza as a verifiable PDF (portfolio.notifications.letters).
        return (f"Carta de cobranza: {ob.title}{_amount(ob)}",
                f"Estimados señores de {ob.company_name}:\n\n"
                f"Según nuestros registros, {_obligation_phrase(ob)}{_amount(ob)} {when}. Le pedimos regularizarlo "
                "a la brevedad; el atraso ha sido informado al fiduciario y al Comité Técnico del fideicomiso.\n\n"
                "Si ya realizó el pago, regístrelo en la aplicación con el número de operación del banco para "
                "que el fiduciario lo confirme.\n\nPor correo se adjunta la carta de cobranza en PDF, con su código de "
                "verificación.")
    if ob.kind in (K.APORTE, K.DECLARACION):
        late = ob.days_late(today) > 0
        subject = (f"{'Vencido' if late else 'Recordatorio'}: {_obligation_phrase(ob)}"
                   f"{_amount(ob)} — {'venció' if late else 'vence'} el {format_date(ob.due_on)}")
        body = (f"Estimados señores de {ob.company_name}:\n\n"
                f"Le recordamos que {_obligation_phrase(ob)}{_amount(ob)} {when}.")
        if late:
            body += "\n\nSi ya realizó el pago, regístrelo en la aplicación para que el fiduciario lo confirme."
        return subject, body
    return (f"{KIND_LABELS[ob.kind]}: {ob.title} — {'venció' if ob.days_late(today) > 0 else 'vence'} el "
            f"{format_date(ob.due_on)}",
            f"Tiene pendiente: {ob.title}{_amount(ob)}. El plazo {when}.")


def _obligation_phrase(ob: Obligation) -> str:
    month = ob.title.split(" — ")[0]
    if ob.kind == K.APORTE:
        return "el " + month[0].lower() + month[1:] + " al fideicomiso"
    return "la " + month[0].lower() + month[1:]


def full_body(body: str, url: str) -> str:
    """The plain-text e-mail: the body, the link to the exact page and the signature."""
    return f"{body}\n\nVer en la aplicación: {url}\n\n— {SIGNATURE}\n"
