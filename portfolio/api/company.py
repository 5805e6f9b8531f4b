"""Company operations: declare a month, rectify it, list declarations, register a payment, the statement,
the company's certificates. Each calls the same trust/projects service or query the web pages call."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portfolio import clock
from portfolio.api import pagination
from portfolio.api.core import actor, bp, operation, service_key
from portfolio.api.models import Scope
from portfolio.api.schemas import (
    CertificateHoldingList,
    DeclarationList,
    DeclarationOut,
    DeclareIn,
    ListQuery,
    PaymentIn,
    PaymentOut,
    PeriodQuery,
    RectifyIn,
    StatementOut,
    TokenInfo,
    money_text,
)
from portfolio.trust import queries as trust_queries
from portfolio.trust.models import CONTRIBUTION_STATUS, Contribution, Payment
from portfolio.trust.services import books, contributions

TAGS = ("Empresas: aportes al fideicomiso",)


def declaration_out(c: Contribution, *, versions: bool = False, today: dt.date | None = None) -> dict:
    status = c.status(today or clock.today())
    out = {"id": c.id, "company_id": c.company_id, "month": f"{c.month:%Y-%m}", "due_date": c.due_date.isoformat(),
           "amount_due": money_text(c.amount_due), "amount_paid": money_text(c.amount_paid),
           "outstanding": money_text(c.outstanding), "status": str(status), "status_label": CONTRIBUTION_STATUS[status],
           "version": c.current_version}
    if versions:
        out["versions"] = [{"version": v.version, "payroll": money_text(v.payroll), "headcount": v.headcount,
                            "rate_pct": v.rate_pct, "amount_due": money_text(v.amount_due),
                            "difference": money_text(v.difference), "reason": v.reason,
                            "declared_on": v.declared_on.isoformat()} for v in c.versions]
    return out


def payment_out(p: Payment) -> dict:
    return {"id": p.id, "declaration_id": p.contribution_id, "amount": money_text(p.amount),
            "paid_on": p.paid_on.isoformat(), "bank": p.bank, "operation_number": p.operation_number,
            "status": str(p.status), "status_label": p.status_label}


def _month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


@bp.get("/declarations")
@operation("trust.company", Scope.READ, ok=DeclarationList, query=ListQuery, tags=TAGS)
def list_declarations(query: ListQuery):
    """Declaraciones de la empresa

    Las declaraciones mensuales de la empresa de la clave, del mes más reciente al más antiguo, con su
    estado y el monto por pagar. Paginación por cursor (`next_cursor`)."""
    listing = trust_queries.contribution_list({}, actor())
    rows, next_cursor = pagination.keyset(listing.query, (Contribution.month, Contribution.id), query,
                                          descending=True)
    today = clock.today()
    return {"items": [declaration_out(c, today=today) for c in rows], "next_cursor": next_cursor}


@bp.post("/declarations")
@operation(("trust.declare", "trust.declare_on_behalf"), Scope.DECLARE, ok=DeclarationOut, status=201, body=DeclareIn,
           tags=TAGS, errors=(404,))
def declare(body: DeclareIn):
    """Declarar un mes

    Declara la planilla bruta y el número de trabajadores de un mes; el aporte (tasa vigente × planilla) se
    calcula y contabiliza como por cobrar. Un mes se declara una vez; para corregirlo, rectifique. El
    fiduciario declara en nombre de una empresa indicando `company_id` (queda en la auditoría)."""
    company_id = actor().company_id if actor().company_id is not None else body.company_id
    if company_id is None:
        from portfolio.api.problems import ApiProblem

        raise ApiProblem(422, "Indique company_id: la empresa en cuyo nombre declara.",
                         errors=[{"field": "company_id", "detail": "Campo obligatorio para el fiduciario."}])
    if body.company_id is not None and body.company_id != company_id:
        from portfolio.domain_errors import NotFound

        raise NotFound("La empresa no existe.")  # a company declares for itself only: another's id is not found
    done = contributions.declare(company_id=company_id, month=_month(body.month), payroll=Decimal(body.payroll),
                                 headcount=body.headcount, actor=actor(), key=service_key())
    return declaration_out(done.value, versions=True), 201


@bp.get("/declarations/<int:declaration_id>")
@operation("trust.company", Scope.READ, ok=DeclarationOut, tags=TAGS, errors=(404,))
def get_declaration(declaration_id: int):
    """Una declaración, con sus versiones"""
    contribution = contributions.get_contribution(declaration_id, company_id=actor().company_id)
    return declaration_out(contribution, versions=True)


@bp.post("/declarations/<int:declaration_id>/rectifications")
@operation(("trust.declare", "trust.declare_on_behalf"), Scope.DECLARE, ok=DeclarationOut, status=201, body=RectifyIn,
           tags=TAGS, errors=(404,))
def rectify(declaration_id: int, body: RectifyIn):
    """Rectificar una declaración

    Crea una nueva versión con otra planilla o número de trabajadores y un motivo; se contabiliza solo la
    diferencia. No puede quedar por debajo de lo ya pagado o registrado."""
    done = contributions.rectify(contribution_id=declaration_id, payroll=Decimal(body.payroll),
                                 headcount=body.headcount, reason=body.reason, actor=actor(), key=service_key())
    return declaration_out(done.value, versions=True), 201


@bp.post("/declarations/<int:declaration_id>/payments")
@operation("trust.pay", Scope.PAY, ok=PaymentOut, status=201, body=PaymentIn, tags=TAGS, errors=(404,))
def pay(declaration_id: int, body: PaymentIn):
    """Registrar un pago

    Registra la transferencia bancaria (banco, número de operación, fecha, monto) de un aporte; queda
    «registrado» hasta que el fiduciario la confirme contra el extracto. No se aceptan pagos en exceso."""
    done = contributions.register_payment(
        contribution_id=declaration_id, amount=Decimal(body.amount), paid_on=body.paid_on, bank=body.bank,
        operation_number=body.operation_number, actor=actor(), key=service_key())
    return payment_out(done.value), 201


@bp.get("/statement")
@operation("trust.company", Scope.READ, ok=StatementOut, query=PeriodQuery, tags=TAGS)
def statement(query: PeriodQuery):
    """Estado de cuenta de la empresa

    Cargos (declaraciones y rectificaciones) y abonos (pagos confirmados) del periodo, con saldo inicial,
    saldo tras cada movimiento y saldo final, tomados del libro mayor del fideicomiso."""
    today = clock.today()
    start, end = query.start or today.replace(month=1, day=1), query.end or today
    company = actor().company
    s = books.company_statement(company, start, end)
    return {"company_id": company.id, "start": start.isoformat(), "end": end.isoformat(),
            "opening_balance": money_text(s["opening"]), "charges": money_text(s["charges"]),
            "credits": money_text(s["credits"]), "closing_balance": money_text(s["closing"]),
            "lines": [{"date": line["date"].isoformat(), "concept": line["concept"] or line["row"].memo,
                       "charge": money_text(line["row"].debit), "credit": money_text(line["row"].credit),
                       "balance": money_text(line["balance"])} for line in s.get("lines", [])]}


@bp.get("/certificates")
@operation("trust.company", Scope.READ, ok=CertificateHoldingList, tags=("Empresas: certificados",))
def certificates():
    """Certificados de la empresa

    Las participaciones de la empresa en certificados CIPRL/CIPGN (su parte de cada certificado del
    consorcio), con el proyecto y el estado del certificado."""
    from portfolio.projects.certificates import company_panel

    holdings, _share = company_panel(actor().company_id)
    return {"items": [{"certificate_id": h.certificate_id, "project_id": h.certificate.project_id,
                       "project_name": h.certificate.project.name, "type": h.certificate.cert_type,
                       "number": h.certificate.number, "issue_date": h.certificate.issue_date.isoformat(),
                       "status": str(h.certificate.status), "share_pct": f"{h.share:.2f}",
                       "amount": money_text(h.amount), "certificate_amount": money_text(h.certificate.amount)}
                      for h in holdings]}


@bp.get("/me")
@operation(None, None, ok=TokenInfo, tags=("Clave",))
def me():
    """La clave en uso: su usuario, rol, empresa, alcances y vencimiento"""
    from flask import g

    token = g.api_token
    return {"id": token.id, "name": token.name, "scopes": sorted(token.scope_set),
            "expires_at": token.expires_at.isoformat(), "user_email": token.user.email, "role": token.user.role,
            "company_id": token.user.company_id}
