"""Read operations for staff, auditors and MEF: projects (filters, cursor pagination), one project, an
entity's CIPRL cap, the trust's statement, disbursements and programs, the audit trail and the change feed.
Every one reads through the domain's queries (the same scoping as the pages)."""
from __future__ import annotations

from portfolio import clock
from portfolio.api import pagination
from portfolio.api import queries as api_queries
from portfolio.api.core import actor, bp, operation
from portfolio.api.models import Scope
from portfolio.api.schemas import ListQuery, PeriodQuery, money_text
from portfolio.api.schemas_reads import (
    AuditList,
    CapOut,
    CapQuery,
    ChangeList,
    ChangeQuery,
    DisbursementList,
    ProgramList,
    ProjectDetail,
    ProjectList,
    ProjectQuery,
    TrustStatementOut,
    YearQuery,
)
from portfolio.domain_errors import NotFound
from portfolio.projects import queries as project_queries
from portfolio.projects import stages
from portfolio.projects.models import Project
from portfolio.trust.models import Disbursement

PROJECTS = ("Obras por Impuestos",)
TRUST = ("Fideicomiso",)


def _pct(hundredths: int | None) -> str | None:
    """A percentage kept in hundredths as its two-decimal text (4550 → "45.50")."""
    return None if hundredths is None else f"{hundredths // 100}.{hundredths % 100:02d}"


def project_out(p: Project) -> dict:
    return {"id": p.id, "cui": p.cui, "name": p.name,
            "entity": {"id": p.entity.id, "name": p.entity.name, "level": p.entity.level,
                       "certificate_type": p.certificate_type},
            "stage": p.stage, "stage_label": stages.label(p.stage), "sector": p.sector,
            "multidepartmental": p.multidepartmental, "ubigeos": p.location_codes,
            "reference_amount": money_text(p.reference_amount), "awarded_amount": money_text(p.awarded_amount),
            "current_amount": money_text(p.current_amount),
            "members": [{"company_id": m.company_id, "legal_name": m.company.legal_name, "share_pct": f"{m.share:.2f}"}
                        for m in p.members],
            "convenio_on": p.convenio_on and p.convenio_on.isoformat(), "start_on": p.start_on and p.start_on.isoformat(),
            "reception_on": p.reception_on and p.reception_on.isoformat()}


def milestone_out(m) -> dict:
    return {"id": m.id, "kind": m.kind, "description": m.description, "planned_date": m.planned_date.isoformat(),
            "actual_date": m.actual_date and m.actual_date.isoformat(),
            "planned_physical_pct": _pct(m.planned_physical), "actual_physical_pct": _pct(m.actual_physical),
            "amount": money_text(m.amount), "status": m.status,
            "conformity_date": m.conformity_date and m.conformity_date.isoformat(), "version": m.version}


@bp.get("/projects")
@operation("projects.view", Scope.READ, ok=ProjectList, query=ProjectQuery, tags=PROJECTS)
def list_projects(query: ProjectQuery):
    """Proyectos

    La cartera de Obras por Impuestos que la clave puede ver (una empresa: los que financia), con filtros por
    etapa, entidad, nivel de gobierno, región y fecha de cambio, paginada por cursor (orden por id)."""
    filters = project_queries.Filters(stage=query.stage or "", entity=query.entity_id, level=query.level or "",
                                      region=query.region or "")
    select_ = project_queries.filtered(filters, actor())
    if query.updated_since is not None:
        select_ = project_queries.changed_since(select_, query.updated_since)
    rows, next_cursor = pagination.keyset(select_, (Project.id,), query)
    return {"items": [project_out(p) for p in rows], "next_cursor": next_cursor}


@bp.get("/projects/<int:project_id>")
@operation("projects.view", Scope.READ, ok=ProjectDetail, tags=PROJECTS, errors=(404,))
def get_project(project_id: int):
    """Un proyecto, con presupuesto, adendas, hitos y certificados"""
    page = project_queries.project_page(project_queries.get_project_or_404(project_id, actor()))
    out = project_out(page.project)
    out["budget"] = [{"id": b.id, "category": b.category, "description": b.description,
                      "original": money_text(b.original), "current": money_text(b.current),
                      "accrued": money_text(b.accrued), "paid": money_text(b.paid)} for b in page.budget]
    out["variations"] = [{"id": v.id, "kind": v.kind, "amount_delta": money_text(v.amount_delta),
                          "days_delta": v.days_delta, "approved_on": v.approved_on.isoformat(),
                          "legal_reference": v.legal_reference} for v in page.variations]
    out["milestones"] = [milestone_out(m) for m in page.milestones]
    out["certificates"] = [{"id": c.id, "type": c.cert_type, "number": c.number, "amount": money_text(c.amount),
                            "issue_date": c.issue_date.isoformat(), "status": c.status,
                            "milestone_id": c.milestone_id} for c in page.certificates]
    return out


@bp.get("/entities/<int:entity_id>/ciprl-cap")
@operation("orgs.view", Scope.READ, ok=CapOut, query=CapQuery, tags=PROJECTS, errors=(404,))
def entity_cap(entity_id: int, query: CapQuery):
    """Tope CIPRL de una entidad en un año: tope, usado y saldo"""
    usage = project_queries.entity_ciprl_usage(entity_id, query.year)
    if usage is None:
        raise NotFound("La entidad no existe o no emite CIPRL.")
    return {"entity_id": usage.entity_id, "name": usage.name, "year": usage.year, "cap": money_text(usage.cap),
            "used": money_text(usage.used), "committed": money_text(usage.committed),
            "issued": money_text(usage.issued), "remaining": money_text(usage.remaining)}


@bp.get("/trust/statement")
@operation("trust.books.view", Scope.READ, ok=TrustStatementOut, query=PeriodQuery, tags=TRUST)
def trust_statement(query: PeriodQuery):
    """Estado de cuenta del fideicomiso (saldo bancario inicial, movimientos, saldo final)"""
    from portfolio.trust.services import books

    today = clock.today()
    s = books.trust_statement(query.start or today.replace(month=1, day=1), query.end or today)
    return {"start": s["start"].isoformat(), "end": s["end"].isoformat(), "opening_balance": money_text(s["opening"]),
            "lines": [{"concept": label, "amount": money_text(value)} for label, value in s["lines"]],
            "closing_balance": money_text(s["closing"]), "ties": s["ties"]}


@bp.get("/trust/disbursements")
@operation("trust.view", Scope.READ, ok=DisbursementList, query=ListQuery, tags=TRUST)
def disbursements(query: ListQuery):
    """Desembolsos, con sus votos y tramos pagados"""
    from sqlalchemy.orm import selectinload

    from portfolio.trust import queries as trust_queries

    listing = trust_queries.disbursement_list({}, actor())
    select_ = listing.query.options(selectinload(Disbursement.votes), selectinload(Disbursement.tranches))
    rows, next_cursor = pagination.keyset(select_, (Disbursement.id,), query)
    return {"items": [{"id": d.id, "program_id": d.program_id, "organization_id": d.organization_id, "year": d.year,
                       "amount": money_text(d.amount), "purpose": d.purpose, "status": d.status,
                       "paid_amount": money_text(d.paid_amount),
                       "votes": [{"decision": v.decision, "cast_on": v.cast_on.isoformat()} for v in d.votes],
                       "tranches": [{"amount": money_text(t.amount), "reference": t.reference,
                                     "executed_on": t.executed_on.isoformat()} for t in d.tranches]}
                      for d in rows], "next_cursor": next_cursor}


@bp.get("/trust/programs")
@operation("trust.books.view", Scope.READ, ok=ProgramList, query=YearQuery, tags=TRUST)
def programs(query: YearQuery):
    """Programas del fideicomiso: asignación, reservado, pagado y libre del año"""
    from portfolio.trust.services import books

    year = query.year or clock.today().year
    return {"year": year, "items": [
        {"program_id": r["program"].id, "code": r["program"].code, "name": r["program"].name,
         "allocation": money_text(r["allocation"]), "reserved": money_text(r["reserved"]),
         "paid": money_text(r["paid"]), "free": money_text(r["free"])} for r in books.program_summary(year)]}


def audit_out(e, *, full: bool) -> dict:
    out = {"id": e.id, "at": e.at.isoformat(), "action": e.action, "action_label": e.action_label,
           "object_type": e.object_type, "object_id": e.object_id}
    if full:
        out |= {"actor": e.actor_email, "before": e.before_data, "after": e.after_data}
    return out


@bp.get("/audit")
@operation("audit.view", Scope.READ, ok=AuditList, query=ListQuery, tags=("Auditoría",))
def audit_trail(query: ListQuery):
    """La pista de auditoría (más reciente primero)"""
    from portfolio.admin.queries import audit_list
    from portfolio.audit import AuditEntry

    rows, next_cursor = pagination.keyset(audit_list({}).query, (AuditEntry.id,), query, descending=True)
    return {"items": [audit_out(e, full=True) for e in rows], "next_cursor": next_cursor}


@bp.get("/changes")
@operation(None, Scope.READ, ok=ChangeList, query=ChangeQuery, tags=("Cambios",))
def changes(query: ChangeQuery):
    """Cambios desde un cursor

    Lo que cambió (según la pista de auditoría) en lo que la clave puede ver, en orden; guarde `next_cursor`
    y páselo como `after` en la siguiente consulta para mantenerse sincronizado sin releer todo."""
    from portfolio.audit import AuditEntry

    after = pagination.decode(query.after, (AuditEntry.id,))[0] if query.after else 0
    rows = api_queries.changes_for(actor(), after=after, limit=query.limit)
    last = rows[-1].id if rows else after
    return {"items": [audit_out(e, full=False) for e in rows], "next_cursor": pagination.encode([last])}

