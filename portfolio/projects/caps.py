"""The legal limits of Obras por Impuestos, each a named function that fills a ``Check``.

- ``check_variation_cap``: Σ monetary increases ≤ ``oxi.variation_cap_pct`` of the original convenio
  (rule in force on the approval date); a warning from ``oxi.variation_warn_pct`` of that limit.
- ``check_certificate_limits``: Σ live certificates ≤ current convenio amount; ≤ accepted valorizaciones;
  ≤ the milestone it rests on; and the entity's annual CIPRL cap.
- ``check_convenio_cap`` / ``check_ciprl_cap``: the annual CIPRL cap (tope) of a regional/local government
  or university.

CIPRL cap usage for entity E in year Y = Σ current convenio amounts of E's convenios signed in Y
+ Σ live certificates issued in Y for E's convenios signed in earlier years (a certificate for a convenio
of the same year is already inside that year's commitment, so it is not counted twice). A zero cap is a
real cap. When no cap is registered for the year, we do not guess: the action is treated like one over
the cap (refused when ``oxi.cap_check_refuses`` = 1, a warning when 0) with a message asking to register
the cap in Organizaciones. The figures come from ``queries.ciprl_cap_usage`` (with an ``as_of`` date for
history), the one function that the staff dashboard, the MEF workbook and the entity page read as well.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from portfolio import db
from portfolio.money import format_money, money_sum, round_money
from portfolio.rules import rule_value

ZERO = Decimal("0.00")


def lock_for_limits(project) -> None:
    """Serialise limit checks: lock the project's and its entity's rows (``SELECT … FOR UPDATE`` on
    PostgreSQL; SQLite serialises writers anyway). Two certificates or adendas checked at the same time
    cannot both pass a cap that only one of them fits under."""
    from portfolio.orgs.models import PublicEntity
    from portfolio.projects.models import Project

    db.session.execute(select(PublicEntity.id).where(PublicEntity.id == project.entity_id).with_for_update())
    db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    db.session.expire(project, ["variations_total"])  # re-read what others committed before we held the lock


# --- variations --------------------------------------------------------------------------------------

def variation_increases(project_id: int) -> Decimal:
    from portfolio.projects.models import Variation

    return db.session.scalar(
        select(money_sum(Variation.amount_delta))
        .where(Variation.project_id == project_id, Variation.amount_delta > 0)
    )


def variation_limit(project, on: dt.date) -> tuple[Decimal, Decimal]:
    """(cap percent in force on ``on``, the limit in soles over the original convenio)."""
    cap_pct = rule_value("oxi.variation_cap_pct", on=on)
    return cap_pct, round_money((project.original_convenio_amount or ZERO) * cap_pct / 100)


@dataclass(frozen=True)
class VariationRoom:
    cap_pct: Decimal
    limit: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.used, ZERO)


def variation_room(project, on: dt.date) -> VariationRoom:
    """The variation cap on ``on``: percent, limit in soles, increases already approved (what
    ``check_variation_cap`` compares against; the adenda form shows ``left``)."""
    cap_pct, limit = variation_limit(project, on)
    return VariationRoom(cap_pct=cap_pct, limit=limit, used=variation_increases(project.id))


def check_variation_cap(project, amount_delta: Decimal, approved_on: dt.date, check) -> None:
    """Rule «tope de variaciones»: monetary increases may not exceed the configured share of the original
    convenio; warn from ``oxi.variation_warn_pct`` % of that limit."""
    if amount_delta <= 0:
        if project.current_convenio_amount + amount_delta < 0:
            check.reasons.append("El deductivo dejaría el convenio con un monto negativo.")
        return
    room = variation_room(project, approved_on)
    cap_pct, limit, used = room.cap_pct, room.limit, room.used
    after = used + amount_delta
    if after > limit:
        check.reasons.append(
            f"Excede el tope de variaciones: las variaciones monetarias sumarían {format_money(after)}, más que el "
            f"{cap_pct} % del convenio original ({format_money(limit)}). Disponible: {format_money(max(limit - used, ZERO))}."
        )
        return
    warn_pct = rule_value("oxi.variation_warn_pct", on=approved_on)
    if limit > 0 and after * 100 >= limit * warn_pct:
        share = (after * 100 / limit).quantize(Decimal("0.1"))
        check.warnings.append(
            f"Atención: las variaciones monetarias llegan al {share} % del tope ({format_money(after)} de "
            f"{format_money(limit)})."
        )


# --- CIPRL cap ---------------------------------------------------------------------------------------

def ciprl_usage(entity_id: int, year: int, *, as_of: dt.date | None = None) -> Decimal:
    """What entity ``entity_id`` has used of its CIPRL cap for ``year`` (see the module docstring); the
    figures come from ``queries.ciprl_cap_usage``, which pages, dashboards and the MEF workbook read too."""
    from portfolio.projects.queries import entity_ciprl_usage

    usage = entity_ciprl_usage(entity_id, year, as_of=as_of)
    return usage.used if usage is not None else ZERO


def check_ciprl_cap(entity, year: int, extra: Decimal, on: dt.date, check, what: str) -> None:
    """Rule «tope CIPRL»: usage of the year + ``extra`` ≤ the entity's cap; refuse or warn by configuration."""
    from portfolio.projects.queries import entity_ciprl_usage

    if entity.certificate_type != "CIPRL" or extra <= 0:
        return
    refuses = rule_value("oxi.cap_check_refuses", on=on) >= 1
    target = check.reasons if refuses else check.warnings
    usage = entity_ciprl_usage(entity.id, year)
    if usage is None or usage.cap is None:
        target.append(
            f"No hay tope CIPRL registrado para {entity.name} en {year}. Regístrelo en Organizaciones › Entidades "
            f"antes de {what}" + ("." if refuses else " (solo advertencia según la configuración vigente).")
        )
        return
    if extra > usage.available:
        target.append(
            f"Excede el tope CIPRL {year} de {entity.name}: tope {format_money(usage.cap)}, ya comprometido "
            f"{format_money(usage.used)}, {what} suma {format_money(extra)} (disponible "
            f"{format_money(usage.available)})." + ("" if refuses else " Se registra solo con advertencia.")
        )


def check_convenio_cap(project, check) -> None:
    check_ciprl_cap(project.entity, project.convenio_on.year, project.current_convenio_amount, project.convenio_on,
                    check, "suscribir este convenio")


# --- certificates ------------------------------------------------------------------------------------

def live_certificates_total(project_id: int, milestone_id: int | None = None) -> Decimal:
    from portfolio.projects.models import LIVE_CERTIFICATE_STATUSES, Certificate

    query = select(money_sum(Certificate.amount)).where(
        Certificate.project_id == project_id, Certificate.status.in_(LIVE_CERTIFICATE_STATUSES))
    if milestone_id is not None:
        query = query.where(Certificate.milestone_id == milestone_id)
    return db.session.scalar(query)


def accepted_valuations_total(project_id: int) -> Decimal:
    from portfolio.projects.models import ACCEPTED_MILESTONE_STATUSES, Milestone

    return db.session.scalar(
        select(money_sum(Milestone.amount)).where(
            Milestone.project_id == project_id, Milestone.conformity_date.is_not(None),
            Milestone.status.in_(ACCEPTED_MILESTONE_STATUSES))
    )


@dataclass(frozen=True)
class CertificateRoom:
    convenio: Decimal
    certified: Decimal
    valuations: Decimal

    @property
    def left(self) -> Decimal:
        """What may still be certified: within the current convenio and the accepted valorizaciones."""
        return max(min(self.convenio, self.valuations) - self.certified, ZERO)


def certificate_room(project) -> CertificateRoom:
    """Current convenio, live certificates and accepted valorizaciones: the figures
    ``check_certificate_limits`` refuses on (the certificate form shows ``left``)."""
    return CertificateRoom(convenio=project.current_convenio_amount, certified=live_certificates_total(project.id),
                           valuations=accepted_valuations_total(project.id))


def check_certificate_limits(project, amount: Decimal, issue_date: dt.date, milestone, check) -> None:
    room = certificate_room(project)
    live, convenio = room.certified, room.convenio
    if live + amount > convenio:
        check.reasons.append(
            f"Excede el monto vigente del convenio: los certificados sumarían {format_money(live + amount)} y el "
            f"convenio vigente es {format_money(convenio)} (disponible {format_money(max(convenio - live, ZERO))})."
        )
    accepted = room.valuations
    if live + amount > accepted:
        check.reasons.append(
            f"Excede las valorizaciones con conformidad: los certificados sumarían {format_money(live + amount)} y "
            f"las valorizaciones aceptadas suman {format_money(accepted)}."
        )
    if milestone is not None:
        on_milestone = live_certificates_total(project.id, milestone.id)
        if on_milestone + amount > (milestone.amount or ZERO):
            check.reasons.append(
                f"Excede el monto del hito «{milestone.label}»: {format_money(milestone.amount or ZERO)}, ya "
                f"certificado {format_money(on_milestone)}."
            )
    if check.reasons:
        return
    # A certificate for a convenio signed in an earlier year draws on the issue year's CIPRL cap.
    if project.convenio_on and project.convenio_on.year < issue_date.year:
        check_ciprl_cap(project.entity, issue_date.year, amount, issue_date, check, "este certificado")
