"""Effective-dated rule values (caps, percentages, rates) that change by law.

Values are stored as exact decimal strings with the date they take effect and their legal basis; a new
value never overwrites an old one, so a calculation for any past date uses the rule then in force.

Each rule has an owner (``owner_permission``): the Obras por Impuestos and reference rules belong to the
administration (``rules.manage``); the trust's rules — contribution rate, due day, quorum — move money and
belong to the trustee (``trust.rules.manage``), who records each new value citing the Comité Técnico's
resolution (number and date) as its legal basis. Everyone with ``rules.view`` reads them all.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portfolio import audit, clock, db
from portfolio.auth.policy import allows, service
from portfolio.db_types import Base, UTCDateTime, utcnow
from portfolio.domain_errors import DomainError, Forbidden, NotFound
from portfolio.read_cache import kept_rows

# A reminder schedule: days from the due date (negative: before it) and «alta» (the day it arises).
SCHEDULE_UNIT = "días respecto del vencimiento"
SCHEDULE_START = "alta"

# key: (label shown to users, unit, default value, default effective date, default legal basis)
RULES: dict[str, tuple[str, str, list[tuple[str, dt.date, str]]]] = {
    "oxi.variation_cap_pct": (
        "Tope de variaciones monetarias sobre el convenio original",
        "%",
        [
            ("30", dt.date(2008, 5, 20), "Ley 29230 y su reglamento"),
            ("50", dt.date(2023, 5, 1), "Ley 31735 (mayo de 2023)"),
        ],
    ),
    "oxi.variation_warn_pct": (
        "Alerta de variaciones: porcentaje del tope a partir del cual se advierte",
        "%",
        [("80", dt.date(2008, 5, 20), "Criterio de gestión de ProInversión")],
    ),
    "oxi.tax_share_pct": (
        "Porcentaje del impuesto a la renta del año anterior aplicable con certificados",
        "%",
        [
            ("50", dt.date(2008, 5, 20), "Ley 29230"),
            ("80", dt.date(2023, 5, 1), "Ley 31735 (mayo de 2023)"),
        ],
    ),
    "oxi.cap_check_refuses": (
        "Tope CIPRL: rechazar certificados que lo excedan (Sí = 1) o solo advertir (No = 0)",
        "sí/no",
        [("1", dt.date(2008, 5, 20), "Ley 29230, art. 4 (tope anual del MEF)")],
    ),
    "trust.contribution_rate_pct": (
        "Aporte al fideicomiso sobre la planilla bruta mensual",
        "%",
        [("0.15", dt.date(2024, 1, 1), "Propuesta FICOSEC La Libertad (5 % de un impuesto de 3 % a la planilla)")],
    ),
    "trust.due_day": (
        "Día del mes siguiente en que vence el aporte declarado",
        "día del mes",
        [("15", dt.date(2024, 1, 1), "Reglamento del fideicomiso")],
    ),
    "dashboards.stalled_days": (
        "Días sin cambio de etapa a partir de los cuales un proyecto se muestra como detenido",
        "días",
        [("90", dt.date(2024, 1, 1), "Criterio de seguimiento de ProInversión")],
    ),
    "public.min_companies": (
        "Portal público: mínimo de empresas aportantes para publicar el total de aportes de un trimestre",
        "empresas",
        [("3", dt.date(2024, 1, 1), "Reserva tributaria y de datos personales: ninguna cifra individual deducible")],
    ),
    "indicators.on_track_gap_pct": (
        "Indicadores: brecha máxima frente a la meta para estar «En camino»",
        "%",
        [("5", dt.date(2024, 1, 1), "Criterio del sistema de indicadores de cumplimiento (§3.2 de la propuesta)")],
    ),
    "indicators.at_risk_gap_pct": (
        "Indicadores: brecha máxima frente a la meta para estar «En riesgo» (más allá: «Fuera de meta»)",
        "%",
        [("15", dt.date(2024, 1, 1), "Criterio del sistema de indicadores de cumplimiento (§3.2 de la propuesta)")],
    ),
    "trust.quorum_min_approvals": (
        "Comité Técnico: aprobaciones mínimas para aprobar un desembolso",
        "votos",
        [("2", dt.date(2024, 1, 1), "Reglamento del fideicomiso")],
    ),
    "trust.quorum_majority": (
        "Comité Técnico: exigir además la mayoría de los miembros activos (Sí = 1, No = 0)",
        "sí/no",
        [("1", dt.date(2024, 1, 1), "Reglamento del fideicomiso")],
    ),
    # Deadlines and reminders (portfolio/notifications): how long each process may wait, and the reminder
    # schedule of each kind of obligation — days from its due date (negative before it), «alta» = the day
    # the obligation arises. A new schedule is a new effective-dated value, like any other rule.
    "notify.vote_days": ("Plazo para que cada miembro del Comité Técnico vote una solicitud de desembolso",
                         "días", [("3", dt.date(2024, 1, 1), "Reglamento del fideicomiso")]),
    "notify.confirm_days": ("Plazo del fiduciario para confirmar un pago registrado por una empresa",
                            "días", [("3", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.execute_days": ("Plazo del fiduciario para ejecutar un desembolso aprobado",
                            "días", [("10", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.close_days": ("Días tras el fin de mes en que el fiduciario debe cerrar el periodo",
                          "días", [("10", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.certificate_days": ("Plazo para tramitar una solicitud de certificado CIPRL/CIPGN",
                                "días", [("30", dt.date(2024, 1, 1), "Reglamento de la Ley 29230 (trámite de emisión del CIPRL/CIPGN)")]),
    "notify.indicator_days": ("Días tras el fin de un trimestre para registrar la medición de cada indicador",
                              "días", [("15", dt.date(2024, 1, 1), "Criterio del sistema de indicadores de cumplimiento (§3.2 de la propuesta)")]),
    "notify.escalation_days": ("Días de atraso de un aporte a partir de los cuales se avisa al fiduciario y se informa al Comité",
                               "días", [("30", dt.date(2024, 1, 1), "Reglamento del fideicomiso")]),
    "notify.catch_up_days": ("Días que un aviso no enviado a tiempo (fin de semana, servicio detenido) se envía todavía",
                             "días", [("7", dt.date(2024, 1, 1), "Criterio de operación del sistema")]),
    "notify.schedule.aporte": ("Recordatorios del aporte mensual a la empresa",
                               SCHEDULE_UNIT, [("-5,1,15", dt.date(2024, 1, 1), "Reglamento del fideicomiso")]),
    "notify.schedule.declaracion": ("Recordatorios de la declaración mensual de planilla a la empresa",
                                    SCHEDULE_UNIT, [("-5,1,15", dt.date(2024, 1, 1), "Reglamento del fideicomiso")]),
    "notify.schedule.voto": ("Avisos al miembro del Comité Técnico con una solicitud por votar",
                             SCHEDULE_UNIT, [("alta,0", dt.date(2024, 1, 1), "Reglamento del fideicomiso")]),
    "notify.schedule.confirmacion": ("Avisos al fiduciario con un pago por confirmar",
                                     SCHEDULE_UNIT, [("alta,1", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.schedule.ejecucion": ("Avisos al fiduciario con un desembolso aprobado por ejecutar",
                                  SCHEDULE_UNIT, [("alta,0", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.schedule.cierre": ("Avisos al fiduciario con un mes por cerrar",
                               SCHEDULE_UNIT, [("-3,1", dt.date(2024, 1, 1), "Contrato de fideicomiso")]),
    "notify.schedule.hito": ("Avisos al personal de ProInversión por hitos de obra por vencer o vencidos",
                             SCHEDULE_UNIT, [("-7,1", dt.date(2024, 1, 1), "Criterio de seguimiento de ProInversión")]),
    "notify.schedule.certificado": ("Avisos al personal de ProInversión por solicitudes de certificado pendientes",
                                    SCHEDULE_UNIT, [("alta,0", dt.date(2024, 1, 1), "Criterio de seguimiento de ProInversión")]),
    "notify.schedule.indicador": ("Avisos a los responsables de indicadores por mediciones trimestrales pendientes",
                                  SCHEDULE_UNIT, [("-5,1", dt.date(2024, 1, 1), "Criterio del sistema de indicadores de cumplimiento (§3.2 de la propuesta)")]),
}


# The trust's rules: they decide how much money companies owe and how the board releases it.
TRUST_RULES = frozenset({"trust.contribution_rate_pct", "trust.due_day", "trust.quorum_min_approvals",
                         "trust.quorum_majority"})
REFERENCE_PERMISSION = "rules.manage"
TRUST_PERMISSION = "trust.rules.manage"


def owner_permission(key: str) -> str:
    """The permission (see ``portfolio.auth.policy``) that may add values to rule ``key``."""
    return TRUST_PERMISSION if key in TRUST_RULES else REFERENCE_PERMISSION


def rules_owned_by(permission: str) -> dict[str, tuple]:
    return {key: spec for key, spec in RULES.items() if owner_permission(key) == permission}


class RuleValue(Base):
    __tablename__ = "rule_values"
    __table_args__ = (
        UniqueConstraint("key", "effective_from", name="uq_rule_values_key_effective_from"),
        CheckConstraint("(resolution_number IS NULL) = (resolution_date IS NULL)", name="resolution_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(String(300))
    # The Comité Técnico's resolution behind a trust rule's value (number and date); None for the others.
    resolution_number: Mapped[str | None] = mapped_column(String(60))
    resolution_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def label(self) -> str:
        return RULES[self.key][0] if self.key in RULES else self.key

    @property
    def unit(self) -> str:
        return RULES[self.key][1] if self.key in RULES else ""

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value)

    @property
    def owner_label(self) -> str:
        return "Fiduciario (acuerdo del Comité Técnico)" if self.key in TRUST_RULES else "Administración"

    @property
    def display(self) -> str:
        """The value as people read it: «Sí»/«No» for yes/no rules, «día 15», «90 días», «0.15 %»."""
        return display_rule_value(self.key, self.value)


_SINGULAR = {"días": "día", "votos": "voto", "empresas": "empresa"}


def display_rule_value(key: str, value: str) -> str:
    unit = RULES[key][1] if key in RULES else ""
    if unit == "sí/no":
        return "Sí" if Decimal(value) >= 1 else "No"
    if unit == "día del mes":
        return f"día {value}"
    if unit == SCHEDULE_UNIT:
        return ", ".join(_schedule_step_label(step) for step in parse_schedule(value))
    if not unit:
        return value
    if Decimal(value) == 1:
        unit = _SINGULAR.get(unit, unit)
    return f"{value} {unit}"


def rule_value(key: str, on: dt.date | None = None) -> Decimal:
    """The value of rule ``key`` in force on ``on`` (today by default)."""
    return Decimal(_value_text(key, on))


def remember_rules(keys: tuple[str, ...], on: dt.date | None = None) -> None:
    """Read the values of several rules in force on ``on`` with one statement, for the ``rule_value`` calls
    that follow it in the same transaction (a money command needs two or three, until its first flush)."""
    on, memo = on or clock.today(), db.session.info.setdefault(_MEMO, {})
    wanted = [key for key in keys if (key, on) not in memo]
    if unknown := sorted(set(wanted) - RULES.keys()):
        raise KeyError(unknown[0])
    if not wanted:
        return
    query = (select(RuleValue.key, RuleValue.value).where(RuleValue.key.in_(wanted), RuleValue.effective_from <= on)
             .order_by(RuleValue.effective_from))
    latest = dict(kept_rows(query))  # in date order, so each rule keeps its latest value
    memo.update({(key, on): latest.get(key) for key in wanted})


def rule_columns(keys: tuple[str, ...], on) -> list:
    """The values of rules ``keys`` in force on ``on`` (a date, or a parameter bound when the statement runs),
    as columns for another statement to read (one scalar subquery each); ``remember_rule_columns`` keeps what
    it read, like ``remember_rules``."""
    if unknown := sorted(set(keys) - RULES.keys()):
        raise KeyError(unknown[0])
    return [select(RuleValue.value).where(RuleValue.key == key, RuleValue.effective_from <= on)
            .order_by(RuleValue.effective_from.desc()).limit(1).scalar_subquery() for key in keys]


def remember_rule_columns(keys: tuple[str, ...], values, on: dt.date | None = None) -> None:
    on = on or clock.today()
    db.session.info.setdefault(_MEMO, {}).update({(key, on): value for key, value in zip(keys, values, strict=True)})


def _value_text(key: str, on: dt.date | None) -> str:
    if key not in RULES:
        raise KeyError(key)
    on = on or clock.today()
    # Remembered for the session (one request, one command): a page asks for the same rules many times; a
    # page (GET) also finds it among the kept results while the data version holds.
    memo = db.session.info.setdefault(_MEMO, {})
    if (key, on) not in memo:
        rows = kept_rows(select(RuleValue.value).where(RuleValue.key == key, RuleValue.effective_from <= on)
                         .order_by(RuleValue.effective_from.desc()).limit(1))
        memo[(key, on)] = rows[0][0] if rows else None
    value = memo[(key, on)]
    if value is None:
        raise NotFound(f"No hay un valor vigente para la regla «{RULES[key][0]}» al {on:%d/%m/%Y}.")
    return value


def _schedule_step_label(step: int | str) -> str:
    if step == SCHEDULE_START:
        return "al surgir"
    if step == 0:
        return "el día del vencimiento"
    days = abs(int(step))
    return f"{days} día{'s' if days != 1 else ''} {'antes' if int(step) < 0 else 'después'}"


def parse_schedule(text: str) -> tuple[int | str, ...]:
    """A reminder schedule («-5,1,15», «alta,0»): its steps in order, no repeats; ``DomainError`` otherwise."""
    steps: list[int | str] = []
    for raw in (text or "").split(","):
        token = raw.strip().lower()
        if token == SCHEDULE_START:
            step: int | str = SCHEDULE_START
        elif token.lstrip("+-").isdigit() and len(token) <= 4 and abs(int(token)) <= 366:
            step = int(token)
        else:
            raise DomainError("Escriba los días separados por comas (negativos antes del vencimiento, «alta» el "
                              "día en que surge la obligación), p. ej. «-5,1,15».", field="value")
        if step in steps:
            raise DomainError("Cada día del calendario de avisos debe aparecer una sola vez.", field="value")
        steps.append(step)
    return tuple(steps)


def rule_schedule(key: str, on: dt.date | None = None) -> tuple[int | str, ...]:
    """The reminder schedule ``key`` in force on ``on`` (see :func:`parse_schedule`)."""
    return parse_schedule(_value_text(key, on))


_MEMO = "portfolio.rule_values"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_rule_values(session: Session, *_args) -> None:
    """A write (a new rule value) or the end of the transaction makes the remembered values stale."""
    session.info.pop(_MEMO, None)


def parse_rule_value(text: str) -> Decimal:
    """Validation: a rule value is a non-negative decimal with at most six decimals."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise DomainError("El valor debe ser un número decimal (use punto decimal).", field="value") from exc
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -6 or value > Decimal("1000000"):
        raise DomainError("El valor debe ser un número no negativo con hasta seis decimales.", field="value")
    return value


@service(REFERENCE_PERMISSION, TRUST_PERMISSION)
def add_rule_value(*, key: str, value: str, effective_from: dt.date, legal_basis: str | None = None, actor,
                   resolution_number: str | None = None, resolution_date: dt.date | None = None,
                   today: dt.date | None = None) -> RuleValue:
    """Add a value to rule ``key`` from ``effective_from``. Only the rule's owner may: the administration for
    the reference rules, the trustee for the trust's, which cite the Comité Técnico's resolution."""
    today = today or clock.today()
    if key not in RULES:
        raise DomainError("Regla desconocida.", field="key")
    if not allows(actor, owner_permission(key)):
        raise Forbidden("Esta regla la modifica el fiduciario con un acuerdo del Comité Técnico." if key in TRUST_RULES
                        else "Su rol no permite modificar esta regla.")
    if RULES[key][1] == SCHEDULE_UNIT:
        stored = ",".join(str(step) for step in parse_schedule(value))
    else:
        stored = format(parse_rule_value(value), "f")
    if effective_from is None:
        raise DomainError("Ingrese la fecha de vigencia.", field="effective_from")
    basis = (legal_basis or "").strip()
    number = None
    if key in TRUST_RULES:
        number = (resolution_number or "").strip()
        if not number:
            raise DomainError("Indique el número del acuerdo del Comité Técnico.", field="resolution_number")
        if len(number) > 60:
            raise DomainError("El número del acuerdo admite hasta 60 caracteres.", field="resolution_number")
        if resolution_date is None:
            raise DomainError("Indique la fecha del acuerdo del Comité Técnico.", field="resolution_date")
        if resolution_date > today:
            raise DomainError("La fecha del acuerdo no puede ser futura.", field="resolution_date")
        if effective_from < resolution_date:
            raise DomainError("El nuevo valor no puede regir antes de la fecha del acuerdo que lo aprueba.",
                              field="effective_from")
        basis = f"Acuerdo del Comité Técnico N.° {number} del {resolution_date:%d/%m/%Y}" + (f" – {basis}" if basis
                                                                                           else "")
        basis = basis[:300]
    else:
        resolution_date = None
        if not basis:
            raise DomainError("Indique la base legal del nuevo valor.", field="legal_basis")
    exists = db.session.scalar(
        select(RuleValue.id).where(RuleValue.key == key, RuleValue.effective_from == effective_from)
    )
    if exists:
        raise DomainError("Ya existe un valor de esta regla con esa fecha de vigencia.", field="effective_from")
    row = RuleValue(
        key=key,
        value=stored,
        effective_from=effective_from,
        legal_basis=basis,
        resolution_number=number,
        resolution_date=resolution_date,
        created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("rule.add", row, actor=actor, after={
        "key": key, "value": row.value, "effective_from": effective_from, "legal_basis": row.legal_basis,
        **({"acuerdo": number, "fecha_acuerdo": resolution_date} if number else {})})
    return row


@service(REFERENCE_PERMISSION)
def seed_defaults(*, actor) -> int:
    """Load the default rule values that are missing (idempotent): reference data, loaded by the command line."""
    added = 0
    for key, (_label, _unit, values) in RULES.items():
        for value, effective_from, basis in values:
            exists = db.session.scalar(
                select(RuleValue.id).where(RuleValue.key == key, RuleValue.effective_from == effective_from)
            )
            if not exists:
                db.session.add(RuleValue(key=key, value=value, effective_from=effective_from, legal_basis=basis))
                added += 1
    db.session.flush()
    return added
