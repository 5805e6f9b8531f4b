"""The projects sheets of the MEF workbook: *Proyectos*, *Presupuesto*, *Variaciones*, *Hitos*, *Certificados*.

Each sheet streams its rows (``req.stream``, batches of a server-side cursor) over the projects chosen by
:func:`portfolio.projects.exports.mef.in_scope`, as they stood on the effective date E (see that module).
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from portfolio.exports.mef import MefContext
from portfolio.exports.xlsx import Column, Sheet, Table
from portfolio.orgs import ubigeo
from portfolio.orgs.models import Company, PublicEntity
from portfolio.projects import stages
from portfolio.projects.exports import members_text, places
from portfolio.projects.exports.mef import (
    ZERO,
    effective_date,
    end_of_day_utc,
    project_ids,
    project_states,
)
from portfolio.projects.models import (
    LIVE_CERTIFICATE_STATUSES,
    MECHANISMS,
    MILESTONE_KINDS,
    MILESTONE_STATUSES,
    SECTORS,
    BudgetLine,
    BudgetRevision,
    Certificate,
    CertificateHolding,
    Milestone,
    Project,
    Variation,
)
from portfolio.projects.vocab import MilestoneStatus

DATE_FIELDS = [("prioritized_on", "Fecha de priorización"), ("call_on", "Fecha de convocatoria"),
               ("awarded_on", "Fecha de buena pro"), ("convenio_on", "Fecha de convenio"),
               ("start_on", "Fecha de inicio"), ("completion_on", "Fecha de culminación"),
               ("reception_on", "Fecha de recepción"), ("settlement_on", "Fecha de liquidación")]


def _project_columns(with_period: bool) -> list[Column]:
    columns = [
        Column("cui", "CUI", width=10), Column("name", "Proyecto", width=60), Column("entity", "Entidad", width=36),
        Column("level", "Nivel de gobierno", width=20), Column("type", "Certificado", width=11),
        Column("sector", "Función", width=28), Column("mechanism", "Mecanismo", width=20),
        Column("location", "Ubicación", width=40), Column("region", "Región", width=18),
        Column("stage", "Etapa a la fecha", width=22),
        Column("reference", "Monto referencial", "money", total=True),
        Column("awarded", "Monto adjudicado (convenio original)", "money", total=True),
        Column("variations", "Variaciones aprobadas", "money", total=True),
        Column("current", "Convenio vigente", "money", total=True, formula="{awarded}+{variations}"),
        Column("members", "Empresas financistas (participación)", width=48),
        Column("executing", "Empresa ejecutora", width=30), Column("supervisor", "Entidad privada supervisora", width=30),
        Column("assisted", "Asistencia ProInversión", width=12),
        Column("contraloria", "Informe previo de Contraloría", width=26),
        Column("contraloria_date", "Fecha del informe previo", "date"),
        *[Column(key, label, "date") for key, label in DATE_FIELDS],
        Column("term", "Plazo (días, con ampliaciones)", "int"),
        Column("physical_planned", "Avance físico programado", "percent"),
        Column("physical_actual", "Avance físico real", "percent"),
        Column("financial_planned", "Avance financiero programado", "percent"),
        Column("financial_actual", "Avance financiero real", "percent"),
        Column("certified", "Certificados a la fecha", "money", total=True),
    ]
    if with_period:
        columns.append(Column("certified_period", "Certificados del periodo", "money", total=True))
    columns.append(Column("to_certify", "Saldo por certificar", "money", total=True, formula="{current}-{certified}"))
    return columns


def _dated(value, end):
    return value if value is not None and value <= end else None


def _region(project) -> str:
    if project.multidepartmental:
        return "Multidepartamental"
    names = sorted({ubigeo.department_name(code) or code[:2] for code in project.location_codes})
    return ", ".join(names)


def _project_rows(ctx: MefContext, with_period: bool) -> Iterator[tuple]:
    end = effective_date(ctx)
    for s in project_states(ctx):
        p = s.project
        term = max(0, p.term_days - s.later_days) if p.term_days is not None else None
        row = [p.cui, p.name, p.entity.name, p.entity.level_label, p.certificate_type, SECTORS.get(p.sector, p.sector),
               MECHANISMS.get(p.mechanism, p.mechanism), places(p), _region(p), stages.label(s.stage),
               p.reference_amount, s.awarded, s.variations if s.awarded is not None else None, s.current,
               members_text(p), p.executing_company, p.supervisor, "Sí" if p.proinversion_assisted else "No",
               p.contraloria_ref, _dated(p.contraloria_date, end),
               *[_dated(getattr(p, key), end) for key, _ in DATE_FIELDS],
               term, s.physical_planned, s.physical_actual, s.financial_planned, s.financial_actual, s.certified]
        if with_period:
            row.append(s.certified_period)
        row.append((s.current or ZERO) - s.certified)
        yield tuple(row)


BUDGET_COLUMNS = [
    Column("cui", "CUI", width=10), Column("project", "Proyecto", width=50), Column("entity", "Entidad", width=30),
    Column("category", "Partida", width=24), Column("description", "Descripción", width=36),
    Column("original", "Presupuesto original", "money", total=True),
    Column("revised", "Presupuesto revisado", "money", total=True),
    Column("change", "Modificación (revisado − original)", "money", total=True, formula="{revised}-{original}"),
    Column("accrued", "Devengado", "money", total=True),
    Column("paid", "Girado", "money", total=True),
    Column("to_accrue", "Saldo por devengar (revisado − devengado)", "money", total=True,
           formula="{revised}-{accrued}"),
    Column("to_pay", "Devengado por girar (devengado − girado)", "money", total=True, formula="{accrued}-{paid}"),
    Column("revisions", "Revisiones", "int"),
]


def _budget_rows(ctx: MefContext) -> Iterator[tuple]:
    end_utc = end_of_day_utc(effective_date(ctx))
    query = (select(BudgetLine, Project.cui, Project.name, PublicEntity.name)
             .join(Project, Project.id == BudgetLine.project_id).join(PublicEntity, PublicEntity.id == Project.entity_id)
             .where(BudgetLine.project_id.in_(project_ids(ctx)),
                    exists().where(BudgetRevision.line_id == BudgetLine.id, BudgetRevision.created_at < end_utc))
             .options(selectinload(BudgetLine.revisions))
             .order_by(Project.name, Project.id, BudgetLine.id))
    for line, cui, name, entity in ctx.request.stream(query, scalars=False):
        revisions = [r for r in line.revisions if r.created_at < end_utc]
        original, revised = revisions[0].amount, revisions[-1].amount
        yield (cui, name, entity, line.category_label, line.description, original, revised, revised - original,
               line.accrued, line.paid, revised - line.accrued, line.accrued - line.paid, len(revisions))


VARIATION_COLUMNS = [
    Column("cui", "CUI", width=10), Column("project", "Proyecto", width=50), Column("entity", "Entidad", width=30),
    Column("kind", "Tipo", width=30), Column("approved_on", "Fecha de aprobación", "date"),
    Column("amount", "Monto (S/)", "money", total=True), Column("days", "Días de ampliación", "int", total=True),
    Column("legal", "Sustento (adenda / resolución)", width=36), Column("description", "Descripción", width=50),
]


def _period(ctx: MefContext, column):
    start, end = ctx.filters.period_start, effective_date(ctx)
    return column <= end if start is None else and_(column >= start, column <= end)


def _variation_rows(ctx: MefContext) -> Iterator[tuple]:
    query = (select(Variation, Project.cui, Project.name, PublicEntity.name)
             .join(Project, Project.id == Variation.project_id).join(PublicEntity, PublicEntity.id == Project.entity_id)
             .where(Variation.project_id.in_(project_ids(ctx)), _period(ctx, Variation.approved_on))
             .order_by(Variation.approved_on, Variation.id))
    for v, cui, name, entity in ctx.request.stream(query, scalars=False):
        yield (cui, name, entity, v.kind_label, v.approved_on, v.amount_delta, v.days_delta, v.legal_reference,
               v.description)


MILESTONE_COLUMNS = [
    Column("cui", "CUI", width=10), Column("project", "Proyecto", width=50), Column("entity", "Entidad", width=30),
    Column("kind", "Tipo de hito", width=24), Column("description", "Descripción", width=36),
    Column("planned_date", "Fecha programada", "date"), Column("actual_date", "Fecha real", "date"),
    Column("planned_physical", "Avance físico programado", "percent"),
    Column("actual_physical", "Avance físico real", "percent"),
    Column("amount", "Monto valorizado", "money", total=True),
    Column("status", "Estado a la fecha", width=14), Column("conformity", "Conformidad de la supervisora", "date"),
]


def _milestone_rows(ctx: MefContext) -> Iterator[tuple]:
    end = effective_date(ctx)
    query = (select(Milestone, Project.cui, Project.name, PublicEntity.name)
             .join(Project, Project.id == Milestone.project_id).join(PublicEntity, PublicEntity.id == Project.entity_id)
             .where(Milestone.project_id.in_(project_ids(ctx)),
                    or_(_period(ctx, Milestone.planned_date), _period(ctx, Milestone.actual_date)))
             .order_by(Project.name, Project.id, Milestone.planned_date, Milestone.id))
    for m, cui, name, entity in ctx.request.stream(query, scalars=False):
        happened = m.actual_date is not None and m.actual_date <= end
        status = m.status if happened or m.status == MilestoneStatus.PROGRAMADO else MilestoneStatus.PROGRAMADO
        yield (cui, name, entity, MILESTONE_KINDS.get(m.kind, m.kind), m.description, m.planned_date,
               m.actual_date if happened else None, _pct(m.planned_physical),
               _pct(m.actual_physical) if happened else None, m.amount, MILESTONE_STATUSES.get(status, status),
               _dated(m.conformity_date, end))


def _pct(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else Decimal(hundredths) / 10000


CERTIFICATE_COLUMNS = [
    Column("type", "Tipo", width=8), Column("number", "Número", width=18), Column("issue_date", "Fecha de emisión", "date"),
    Column("status", "Estado actual", width=12), Column("negotiable", "Negociable", width=10),
    Column("cui", "CUI", width=10), Column("project", "Proyecto", width=50), Column("entity", "Entidad", width=30),
    Column("milestone", "Hito / valorización", width=30),
    Column("certificate_amount", "Monto del certificado", "money"),
    Column("holder", "Titular (empresa)", width=36), Column("ruc", "RUC del titular", width=14),
    Column("share", "Participación", "percent"),
    Column("amount", "Monto del titular (vigente)", "money", total=True),
    Column("void", "Monto del titular (anulado)", "money", total=True),
]


def _certificate_rows(ctx: MefContext) -> Iterator[tuple]:
    query = (select(Certificate, CertificateHolding, Company.legal_name, Company.ruc, Project.cui, Project.name,
                    PublicEntity.name, Milestone.kind, Milestone.description)
             .join(Project, Project.id == Certificate.project_id).join(PublicEntity, PublicEntity.id == Project.entity_id)
             .outerjoin(CertificateHolding, CertificateHolding.certificate_id == Certificate.id)
             .outerjoin(Company, Company.id == CertificateHolding.company_id)
             .outerjoin(Milestone, Milestone.id == Certificate.milestone_id)
             .where(Certificate.project_id.in_(project_ids(ctx)), _period(ctx, Certificate.issue_date))
             .order_by(Certificate.issue_date, Certificate.id, CertificateHolding.position, CertificateHolding.id))
    for c, holding, holder, ruc, cui, name, entity, kind, description in ctx.request.stream(query, scalars=False):
        amount = holding.amount if holding is not None else c.amount
        live = c.status in LIVE_CERTIFICATE_STATUSES
        milestone = None
        if kind is not None:
            milestone = MILESTONE_KINDS.get(kind, kind) + (f" — {description}" if description else "")
        yield (c.cert_type, c.number, c.issue_date, c.status_label, "Sí" if c.negotiable else "No", cui, name, entity,
               milestone, c.amount, holder, ruc, _pct(holding.share_hundredths) if holding is not None else None,
               amount if live else None, None if live else amount)


def projects_sheets(ctx: MefContext) -> list[Sheet]:
    with_period = ctx.filters.year is not None
    return [
        Table("Proyectos", _project_columns(with_period), _project_rows(ctx, with_period)),
        Table("Presupuesto", BUDGET_COLUMNS, _budget_rows(ctx)),
        Table("Variaciones", VARIATION_COLUMNS, _variation_rows(ctx)),
        Table("Hitos", MILESTONE_COLUMNS, _milestone_rows(ctx)),
        Table("Certificados", CERTIFICATE_COLUMNS, _certificate_rows(ctx)),
    ]
