"""What each PDF says: its template context and the figures it certifies, read with the same query
functions the pages use (``contribution_list``/``contribution_totals`` of the company's home page,
``books.company_statement`` and ``books.trust_statement`` of the statement pages, ``disbursements.tally``
and ``queries.conflicts`` of the voting page, ``project_page`` of the project page; the «Vencido» declarations list for the carta de cobranza). Nothing is recomputed
here: a PDF and its page can never disagree.

``build(kind, params)`` is called at issue and again by the verification page, which compares the figures
stored at issue with what the same functions answer now. Each builder takes JSON-able ``params`` (ids and
ISO dates) and reads its objects by id; the issuing service checks who may see them before calling it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from portfolio import db
from portfolio.auth.roles import COMPANY
from portfolio.domain_errors import DomainError, NotFound
from portfolio.money import CENT
from portfolio.pdfs.vocab import KIND_LABELS, DocumentKind
from portfolio.projects import stages


@dataclass
class Content:
    kind: str
    subject: str
    params: dict[str, Any]
    context: dict[str, Any]
    figures: list[dict[str, str]] = field(default_factory=list)
    company_id: int | None = None

    @property
    def title(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def template(self) -> str:
        return f"{self.kind}.html"

    def figures_json(self) -> str:
        return json.dumps(self.figures, ensure_ascii=False, sort_keys=True)

    def figures_sha256(self) -> str:
        return hashlib.sha256(self.figures_json().encode()).hexdigest()


class Figures(list):
    """The certified figures, in reading order: money to the cent as ``1234.56``, dates ISO, text as is."""

    def money(self, label: str, value: Decimal | None) -> None:
        self.append({"label": label, "type": "money",
                     "value": "" if value is None else str(Decimal(value).quantize(CENT))})

    def text(self, label: str, value: Any) -> None:
        self.append({"label": label, "type": "text", "value": "" if value is None else str(value)})

    def date(self, label: str, value: dt.date | None) -> None:
        self.append({"label": label, "type": "date", "value": value.isoformat() if value else ""})

    def digest(self, label: str, lines: list) -> None:
        """A long detail (a statement's lines) as one SHA-256 over its canonical text: any change shows."""
        text = "\n".join(json.dumps(line, default=str, sort_keys=True) for line in lines)
        self.append({"label": label, "type": "digest", "value": hashlib.sha256(text.encode()).hexdigest()})


def _date(params: dict, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(params[name]))
    except (KeyError, ValueError) as exc:
        raise DomainError("Fecha del documento inválida.", field=name) from exc


def _int(params: dict, name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("Parámetro del documento inválido.", field=name) from exc


def _company(company_id: int):
    from portfolio.orgs.services import get_company

    return get_company(company_id)


def constancia(params: dict) -> Content:
    """Constancia de aportes: every month of the year the company declared, what it paid and what is pending."""
    from portfolio.trust import queries
    from portfolio.trust.models import CONTRIBUTION_STATUS, Contribution

    company, year = _company(_int(params, "company_id")), _int(params, "year")
    if not 2000 <= year <= 2199:
        raise DomainError("Año inválido.", field="year")
    today = _date(params, "as_of")
    viewer = SimpleNamespace(role=COMPANY, company_id=company.id)  # the company's own scope, as its home page
    listing = queries.contribution_list({"desde": f"01/{year}", "hasta": f"12/{year}"}, viewer, today)
    rows = list(db.session.scalars(listing.query.order_by(None).order_by(Contribution.month)).unique())
    totals = queries.contribution_totals(listing)
    figures = Figures()
    figures.text("Empresa", f"{company.legal_name} (RUC {company.ruc})")
    figures.text("Año", year)
    lines = []
    for c in rows:
        label = f"{c.month:%m/%Y}"
        figures.money(f"Declarado {label}", c.amount_due)
        figures.money(f"Pagado {label}", c.amount_paid)
        figures.money(f"Pendiente {label}", c.outstanding)
        lines.append({"c": c, "status": CONTRIBUTION_STATUS[c.status(today)], "rectified": c.current_version > 1})
    figures.money("Total declarado", totals["due"])
    figures.money("Total pagado", totals["paid"])
    figures.money("Total pendiente", totals["owed"])
    return Content(DocumentKind.CONSTANCIA, f"{company.legal_name} — aportes {year}",
                   {"company_id": company.id, "year": year, "as_of": today.isoformat()},
                   {"company": company, "year": year, "lines": lines, "totals": totals, "today": today},
                   figures, company.id)


def company_statement(params: dict) -> Content:
    from portfolio.trust.services import books

    company, start, end = _company(_int(params, "company_id")), _date(params, "start"), _date(params, "end")
    s = books.company_statement(company, start, end)
    figures = Figures()
    figures.text("Empresa", f"{company.legal_name} (RUC {company.ruc})")
    figures.date("Desde", start)
    figures.date("Hasta", end)
    figures.money("Saldo inicial", s["opening"])
    figures.money("Total cargos", s["charges"])
    figures.money("Total abonos", s["credits"])
    figures.money("Saldo final", s["closing"])
    lines = s.get("lines", [])
    figures.text("Movimientos", len(lines))
    figures.digest("Detalle de movimientos", [[line["date"], line["row"].debit, line["row"].credit, line["row"].memo]
                                              for line in lines])
    return Content(DocumentKind.ESTADO_EMPRESA, f"{company.legal_name} — {start:%d/%m/%Y} al {end:%d/%m/%Y}",
                   {"company_id": company.id, "start": start.isoformat(), "end": end.isoformat()},
                   {"company": company, "s": s, "lines": lines}, figures, company.id)


def trust_statement(params: dict) -> Content:
    from portfolio.trust import queries
    from portfolio.trust.services import books

    start, end = _date(params, "start"), _date(params, "end")
    s = books.trust_statement(start, end)
    movements = queries.bank_movements(start, end)
    figures = Figures()
    figures.date("Desde", start)
    figures.date("Hasta", end)
    figures.money("Saldo inicial en banco", s["opening"])
    for label, value in s["lines"]:
        figures.money(label, value)
    figures.money("Saldo final en banco", s["closing"])
    figures.text("Movimientos", len(movements))
    figures.digest("Detalle de movimientos", [[m["entry_id"], m["date"], m["amount"]] for m in movements])
    return Content(DocumentKind.ESTADO_FIDEICOMISO, f"Fideicomiso — {start:%d/%m/%Y} al {end:%d/%m/%Y}",
                   {"start": start.isoformat(), "end": end.isoformat()},
                   {"s": s, "movements": movements}, figures)


def documents_of_disbursement(disbursement_id: int) -> list:
    """The request's dossier (proposal, budget, each invoice, proofs of transfer, the board's decision) with the
    SHA-256 of each file, as the document register holds it."""
    from portfolio.documents.queries import dossier_infos

    return dossier_infos(disbursement_id)


def acta(params: dict) -> Content:
    from portfolio.trust import ledger, queries
    from portfolio.trust.services import disbursements

    d = disbursements.get_disbursement(_int(params, "disbursement_id"))
    tally = disbursements.tally(d)
    conflicts = queries.conflicts(d.organization_id)
    transfer = db.session.get(ledger.Transfer, d.transfer_id) if d.transfer_id else None
    documents = documents_of_disbursement(d.id)
    requester = d.requested_by
    figures = Figures()
    figures.text("Solicitud", f"N.º {d.id}")
    figures.text("Beneficiario", f"{d.organization.name} (RUC {d.organization.ruc})")
    figures.money("Monto solicitado", d.amount)
    figures.text("Estado", d.status_label)
    for invoice in d.invoices:
        figures.text("Comprobante", invoice.label)
    for v in d.votes:
        figures.text(f"Voto de {v.user.name}", f"{v.decision} {v.cast_at.isoformat(timespec='seconds')}")
    figures.text("Votos a favor", tally["approvals"])
    figures.text("Votos en contra", tally["rejections"])
    figures.text("Votos a favor requeridos", tally["needed"])
    figures.money("Monto reservado", transfer.amount if transfer else None)
    for t in d.tranches:
        figures.money(f"Pago {t.executed_on:%d/%m/%Y} {t.reference}", t.amount)
    figures.money("Total pagado", d.paid_amount)
    if documents is not None:
        figures.digest("Documentos del expediente", [getattr(doc, "sha256", str(doc)) for doc in documents])
    return Content(DocumentKind.ACTA, f"Desembolso N.º {d.id} — {d.organization.name}",
                   {"disbursement_id": d.id},
                   {"d": d, "tally": tally, "conflicts": conflicts, "requester": requester, "transfer": transfer, "documents": documents,
                    "quorum_reached": tally["approvals"] >= tally["needed"]}, figures)


def ficha(params: dict) -> Content:
    from portfolio.projects.models import Project
    from portfolio.projects.queries import project_page

    project = db.session.get(Project, _int(params, "project_id"))
    if project is None:
        raise NotFound("El proyecto no existe.")
    page = project_page(project)
    totals = page.budget_totals()
    from portfolio.projects import chart

    progress = chart.progress(project, page.milestones)  # what the project list shows
    figures = Figures()
    figures.text("Proyecto", project.name)
    figures.text("CUI", project.cui or "")
    figures.text("Etapa", stages.label(project.stage))
    figures.money("Monto referencial", project.reference_amount)
    figures.money("Monto adjudicado", project.awarded_amount)
    figures.money("Monto vigente del convenio", project.current_amount)
    figures.money("Presupuesto vigente", totals["current"])
    figures.money("Devengado", totals["accrued"])
    figures.money("Valorizaciones aceptadas", page.accepted_valuations)
    figures.money("Certificados vigentes", page.certified)
    for m in page.milestones:
        figures.money(f"Hito {m.planned_date:%d/%m/%Y} {m.kind_label}", m.amount)
    for c in page.certificates:
        figures.money(f"Certificado {c.cert_type} {c.number} ({c.status_label})", c.amount)
    return Content(DocumentKind.FICHA, f"{project.name}" + (f" (CUI {project.cui})" if project.cui else ""),
                   {"project_id": project.id}, {"p": project, "page": page, "totals": totals, "progress": progress,
                    "stage": stages.label(project.stage)}, figures)


def carta_cobranza(params: dict) -> Content:
    """Carta de cobranza: every declaration of the company past its due date and not fully paid on ``as_of``
    (the «Vencido» filter of the declarations list, in the company's own scope), with what each still owes."""
    from portfolio.trust import queries
    from portfolio.trust.models import Contribution, ContributionStatus

    company, today = _company(_int(params, "company_id")), _date(params, "as_of")
    viewer = SimpleNamespace(role=COMPANY, company_id=company.id)
    listing = queries.contribution_list({"estado": ContributionStatus.VENCIDO}, viewer, today)
    rows = list(db.session.scalars(listing.query.order_by(None).order_by(Contribution.month)).unique())
    totals = queries.contribution_totals(listing)
    figures = Figures()
    figures.text("Empresa", f"{company.legal_name} (RUC {company.ruc})")
    figures.date("Al", today)
    lines = []
    for c in rows:
        label = f"{c.month:%m/%Y}"
        figures.date(f"Vencimiento {label}", c.due_date)
        figures.money(f"Declarado {label}", c.amount_due)
        figures.money(f"Pagado {label}", c.amount_paid)
        figures.money(f"Pendiente {label}", c.outstanding)
        lines.append({"c": c, "days_late": (today - c.due_date).days})
    figures.text("Meses vencidos", len(rows))
    figures.money("Total adeudado", totals["owed"])
    return Content(DocumentKind.CARTA_COBRANZA, f"{company.legal_name} — aportes vencidos al {today:%d/%m/%Y}",
                   {"company_id": company.id, "as_of": today.isoformat()},
                   {"company": company, "lines": lines, "totals": totals, "today": today}, figures, company.id)


BUILDERS = {
    DocumentKind.CONSTANCIA: constancia,
    DocumentKind.ESTADO_EMPRESA: company_statement,
    DocumentKind.ESTADO_FIDEICOMISO: trust_statement,
    DocumentKind.ACTA: acta,
    DocumentKind.FICHA: ficha,
    DocumentKind.CARTA_COBRANZA: carta_cobranza,
}


def build(kind: str, params: dict) -> Content:
    if kind not in BUILDERS:
        raise DomainError("Tipo de documento desconocido.", field="kind")
    return BUILDERS[DocumentKind(kind)](params)
