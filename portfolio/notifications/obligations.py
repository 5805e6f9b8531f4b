"""Every open obligation — who must act, by when, and how late it is — computed from the rules in force.

:func:`open_obligations` is the one function behind the home pages' «Próximos vencimientos (30 días)» and
«Vencidos», the reminders of ``notify run`` and each user's calendar feed. Each kind is one set-based
query (plus the rule values it reads), so the statement count does not grow with companies or months:

- ``aporte``: a declared month not fully paid, less what the company registered and awaits confirmation
  (a company that paid is never reminded); due on the contribution's due date (``trust.due_day``);
- ``declaracion``: a month not yet declared by a company that declares (it declared an earlier month); due on
  ``trust.due_day`` of the following month, the rule in force for that month;
- ``confirmacion``: a payment registered and waiting for the trustee (``notify.confirm_days``);
- ``voto``: a request in vote, once per active board member who has not voted, did not file it and is not
  recused (``notify.vote_days`` from the filing date);
- ``ejecucion``: an approved disbursement with money still to pay (``notify.execute_days`` from approval);
- ``cierre``: the next month to close once it has ended (``notify.close_days`` after its end);
- ``hito``: a milestone of a project in execution without its actual date (its planned date);
- ``certificado``: a certificate requested and not yet issued (``notify.certificate_days``);
- ``indicador``: the quarter just ended without a measurement (``notify.indicator_days`` after its end).

A legal obligation (aporte, declaración) overdue by ``notify.escalation_days`` is *escalado*: the trustee is
told and it shows on the board's home page.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, exists, select, type_coerce

from portfolio import clock, db
from portfolio.auth.models import User
from portfolio.auth.roles import BOARD, COMPANY, STAFF, TRUSTEE
from portfolio.db_types import Money
from portfolio.formatting import month_label as format_month
from portfolio.indicators.models import Indicator, Measurement
from portfolio.indicators.status import quarter_end
from portfolio.money import money_sum
from portfolio.notifications.vocab import LEGAL_KINDS, ObligationKind, ObligationState
from portfolio.orgs.models import Company
from portfolio.projects.models import Certificate, Milestone, Project
from portfolio.projects.vocab import CLOSED_MILESTONE_STATUSES, CertificateStatus, Stage
from portfolio.read_cache import kept_by_data_version
from portfolio.rule_book import RuleBook
from portfolio.trust import ledger
from portfolio.trust.models import ConflictOfInterest, Contribution, Disbursement, Organization, Payment, Vote
from portfolio.trust.services.common import add_month, day_in_month
from portfolio.trust.vocab import RESERVED_DISBURSEMENTS, DisbursementStatus, PaymentStatus

K = ObligationKind
DECLARATION_MONTHS_BACK = 6  # months not declared are looked for this far back
MILESTONE_LEAD_DAYS = 30     # a milestone becomes an obligation this many days before its planned date
# Who owns each kind: the role that must act (a company's users, one board member, the trustee, staff).
OWNER_ROLE = {K.APORTE: COMPANY, K.DECLARACION: COMPANY, K.CONFIRMACION: TRUSTEE, K.VOTO: BOARD,
              K.EJECUCION: TRUSTEE, K.CIERRE: TRUSTEE, K.HITO: STAFF, K.CERTIFICADO: STAFF, K.INDICADOR: STAFF}


@dataclass(frozen=True)
class Obligation:
    key: str                      # stable across runs and due-date moves: the notices' and the calendar's id
    kind: ObligationKind
    title: str
    starts_on: dt.date            # the day it arose
    due_on: dt.date
    state: ObligationState
    owner_role: str
    endpoint: str                 # the page where it is dealt with
    params: tuple[tuple[str, int], ...] = ()
    company_id: int | None = None
    company_name: str | None = None
    user_id: int | None = None    # one board member (a vote)
    amount: Decimal | None = None
    owner_label: str = field(default="", compare=False)

    @property
    def legal(self) -> bool:
        return self.kind in LEGAL_KINDS

    def days_late(self, today: dt.date) -> int:
        return (today - self.due_on).days


@dataclass
class _Context:
    today: dt.date
    rules: RuleBook
    escalation_days: int
    company_id: int | None = None


def _state(kind: ObligationKind, due_on: dt.date, ctx: _Context) -> ObligationState:
    if due_on >= ctx.today:
        return ObligationState.POR_VENCER
    if kind in LEGAL_KINDS and (ctx.today - due_on).days >= ctx.escalation_days:
        return ObligationState.ESCALADO
    return ObligationState.VENCIDO


def _days(key: str, ctx: _Context) -> dt.timedelta:
    return dt.timedelta(days=int(ctx.rules.value(key, ctx.today)))


def _contributions(ctx: _Context) -> list[Obligation]:
    registered = (select(money_sum(Payment.amount))
                  .where(Payment.contribution_id == Contribution.id, Payment.status == PaymentStatus.REGISTRADO)
                  .correlate(Contribution).scalar_subquery())
    query = (select(Contribution.id, Contribution.company_id, Company.legal_name, Contribution.month,
                    Contribution.due_date, type_coerce(Contribution.amount_due - Contribution.amount_paid, Money),
                    registered)
             .join(Company, Company.id == Contribution.company_id)
             .where(Contribution.amount_paid < Contribution.amount_due, Company.active.is_(True)))
    if ctx.company_id is not None:
        query = query.where(Contribution.company_id == ctx.company_id)
    out = []
    for cid, company_id, name, month, due, owed, registered_amount in db.session.execute(query):
        left = owed - registered_amount
        if left <= 0:
            continue  # the company paid (the trustee's confirmation is the trustee's obligation)
        out.append(Obligation(
            key=f"aporte:{cid}", kind=K.APORTE, title=f"Aporte de {format_month(month)} — {name}",
            starts_on=min(due, add_month(month)), due_on=due, state=_state(K.APORTE, due, ctx), owner_role=COMPANY,
            endpoint="trust.contribution_detail", params=(("contribution_id", cid),), company_id=company_id,
            company_name=name, amount=left))
    return out


def _declarations(ctx: _Context) -> list[Obligation]:
    """Months not declared, from the last ``DECLARATION_MONTHS_BACK`` months up to the current one: one query
    per month (a constant), by the companies that declared an earlier month."""
    out = []
    current = ctx.today.replace(day=1)
    for back in range(DECLARATION_MONTHS_BACK, -1, -1):
        month = add_month(current, -back)
        due = day_in_month(add_month(month), int(ctx.rules.value("trust.due_day", month)))
        declared_before = exists().where(Contribution.company_id == Company.id, Contribution.month < month)
        declared = exists().where(Contribution.company_id == Company.id, Contribution.month == month)
        query = select(Company.id, Company.legal_name).where(Company.active.is_(True), declared_before, ~declared)
        if ctx.company_id is not None:
            query = query.where(Company.id == ctx.company_id)
        for company_id, name in db.session.execute(query):
            out.append(Obligation(
                key=f"declaracion:{company_id}:{month:%Y-%m}", kind=K.DECLARACION,
                title=f"Declaración de planilla de {format_month(month)} — {name}", starts_on=add_month(month),
                due_on=due, state=_state(K.DECLARACION, due, ctx), owner_role=COMPANY, endpoint="trust.declare",
                company_id=company_id, company_name=name))
    return out


def _payments(ctx: _Context) -> list[Obligation]:
    days = _days("notify.confirm_days", ctx)
    rows = db.session.execute(
        select(Payment.id, Payment.amount, Payment.registered_at, Company.legal_name, Payment.company_id)
        .join(Company, Company.id == Payment.company_id).where(Payment.status == PaymentStatus.REGISTRADO))
    out = []
    for pid, amount, at, name, company_id in rows:
        start = clock.local_date(at)
        out.append(Obligation(
            key=f"confirmacion:{pid}", kind=K.CONFIRMACION, title=f"Confirmar el pago de {name}", starts_on=start,
            due_on=start + days, state=_state(K.CONFIRMACION, start + days, ctx), owner_role=TRUSTEE,
            endpoint="trust.trustee_home", company_id=company_id, company_name=name, amount=amount))
    return out


def _votes(ctx: _Context) -> list[Obligation]:
    days = _days("notify.vote_days", ctx)
    rows = db.session.execute(
        select(Disbursement.id, Disbursement.amount, Disbursement.requested_on, Organization.name, User.id, User.name)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .join(User, and_(User.role == BOARD, User.active.is_(True), User.id != Disbursement.requested_by_id))
        .where(Disbursement.status == DisbursementStatus.SOLICITADO,
               ~exists().where(Vote.disbursement_id == Disbursement.id, Vote.user_id == User.id),
               ~exists().where(ConflictOfInterest.user_id == User.id,
                               ConflictOfInterest.organization_id == Disbursement.organization_id)))
    return [Obligation(
        key=f"voto:{did}:{uid}", kind=K.VOTO, title=f"Votar la solicitud N.° {did} ({org})", starts_on=on,
        due_on=on + days, state=_state(K.VOTO, on + days, ctx), owner_role=BOARD, endpoint="trust.disbursement_detail",
        params=(("disbursement_id", did),), user_id=uid, amount=amount, owner_label=user_name)
        for did, amount, on, org, uid, user_name in rows]


def _executions(ctx: _Context) -> list[Obligation]:
    days = _days("notify.execute_days", ctx)
    rows = db.session.execute(
        select(Disbursement.id, type_coerce(Disbursement.amount - Disbursement.paid_amount, Money), Disbursement.decided_at,
               Disbursement.requested_on, Organization.name)
        .join(Organization, Organization.id == Disbursement.organization_id)
        .where(Disbursement.status.in_(RESERVED_DISBURSEMENTS), Disbursement.paid_amount < Disbursement.amount))
    out = []
    for did, left, decided_at, requested_on, org in rows:
        start = clock.local_date(decided_at) if decided_at else requested_on
        out.append(Obligation(
            key=f"ejecucion:{did}", kind=K.EJECUCION, title=f"Ejecutar el desembolso N.° {did} ({org})",
            starts_on=start, due_on=start + days, state=_state(K.EJECUCION, start + days, ctx), owner_role=TRUSTEE,
            endpoint="trust.disbursement_detail", params=(("disbursement_id", did),), amount=left))
    return out


def _period(ctx: _Context) -> list[Obligation]:
    month = ledger.next_period_to_close(db.session)
    if month is None or add_month(month) > ctx.today:
        return []
    start = add_month(month)
    due = start + _days("notify.close_days", ctx) - dt.timedelta(days=1)
    return [Obligation(key=f"cierre:{month:%Y-%m}", kind=K.CIERRE, title=f"Cerrar el periodo de {format_month(month)}",
                       starts_on=start, due_on=due, state=_state(K.CIERRE, due, ctx), owner_role=TRUSTEE,
                       endpoint="trust.trustee_home")]


def _milestones(ctx: _Context) -> list[Obligation]:
    rows = db.session.execute(
        select(Milestone.id, Milestone.planned_date, Milestone.kind, Milestone.description, Project.id, Project.name)
        .join(Project, Project.id == Milestone.project_id)
        .where(Milestone.actual_date.is_(None), Milestone.status.not_in(CLOSED_MILESTONE_STATUSES),
               Project.stage == Stage.EN_EJECUCION,
               Milestone.planned_date <= ctx.today + dt.timedelta(days=MILESTONE_LEAD_DAYS)))
    return [Obligation(
        key=f"hito:{mid}", kind=K.HITO, title=f"Hito «{description or kind}» — {project}",
        starts_on=planned - dt.timedelta(days=MILESTONE_LEAD_DAYS), due_on=planned,
        state=_state(K.HITO, planned, ctx), owner_role=STAFF, endpoint="projects.detail",
        params=(("project_id", pid),)) for mid, planned, kind, description, pid, project in rows]


def _certificates(ctx: _Context) -> list[Obligation]:
    days = _days("notify.certificate_days", ctx)
    rows = db.session.execute(
        select(Certificate.id, Certificate.cert_type, Certificate.number, Certificate.amount, Certificate.created_at,
               Project.id, Project.name)
        .join(Project, Project.id == Certificate.project_id).where(Certificate.status == CertificateStatus.SOLICITADO))
    out = []
    for cid, cert_type, number, amount, at, pid, project in rows:
        start = clock.local_date(at)
        out.append(Obligation(
            key=f"certificado:{cid}", kind=K.CERTIFICADO, title=f"Tramitar el {cert_type} {number} — {project}",
            starts_on=start, due_on=start + days, state=_state(K.CERTIFICADO, start + days, ctx),
            owner_role=STAFF, endpoint="projects.detail", params=(("project_id", pid),), amount=amount))
    return out


def _indicators(ctx: _Context) -> list[Obligation]:
    current = (ctx.today.month - 1) // 3 + 1
    year, quarter = (ctx.today.year, current - 1) if current > 1 else (ctx.today.year - 1, 4)
    end = quarter_end(year, quarter)
    due = end + _days("notify.indicator_days", ctx)
    measured = exists().where(Measurement.indicator_id == Indicator.id, Measurement.year == year,
                              Measurement.quarter == quarter)
    rows = db.session.execute(select(Indicator.id, Indicator.code, Indicator.name).where(~measured))
    return [Obligation(
        key=f"indicador:{iid}:{year}-T{quarter}", kind=K.INDICADOR, title=f"Medición T{quarter} {year}: {code} {name}",
        starts_on=end + dt.timedelta(days=1), due_on=due, state=_state(K.INDICADOR, due, ctx), owner_role=STAFF,
        endpoint="indicators.detail", params=(("indicator_id", iid),)) for iid, code, name in rows]


COLLECTORS = {K.APORTE: _contributions, K.DECLARACION: _declarations, K.CONFIRMACION: _payments, K.VOTO: _votes,
              K.EJECUCION: _executions, K.CIERRE: _period, K.HITO: _milestones, K.CERTIFICADO: _certificates,
              K.INDICADOR: _indicators}


def open_obligations(today: dt.date | None = None, *, kinds: Iterable[ObligationKind] | None = None,
                     company_id: int | None = None, rules: RuleBook | None = None) -> list[Obligation]:
    """Every open obligation on ``today`` (of ``kinds``; of one company's when ``company_id`` is given),
    soonest due first."""
    today = today or clock.today()
    if rules is None:  # the pages: kept by data version (``rules`` is given by the reminder job, no request)
        return _open_obligations(today, tuple(kinds) if kinds is not None else None, company_id)
    return _collect(today, kinds, company_id, rules)


@kept_by_data_version
def _open_obligations(today: dt.date, kinds: tuple[ObligationKind, ...] | None,
                      company_id: int | None) -> list[Obligation]:
    return _collect(today, kinds, company_id, RuleBook())


def _collect(today: dt.date, kinds: Iterable[ObligationKind] | None, company_id: int | None,
             rules: RuleBook) -> list[Obligation]:
    ctx = _Context(today, rules, int(rules.value("notify.escalation_days", today)), company_id)
    wanted = list(kinds) if kinds is not None else list(K)
    if company_id is not None:
        wanted = [k for k in wanted if k in LEGAL_KINDS]
    found = [ob for kind in wanted for ob in COLLECTORS[kind](ctx)]
    return sorted(found, key=lambda ob: (ob.due_on, ob.kind, ob.key))


def obligations_for(user, today: dt.date | None = None) -> list[Obligation]:
    """The obligations ``user`` must act on (a company's, one board member's votes, the trustee's, staff's),
    plus, for the trustee and the board, the companies' escalated arrears; the auditor sees them all."""
    from portfolio.auth.policy import allows

    role = getattr(user, "role", None)
    if role == COMPANY:
        return open_obligations(today, company_id=user.company_id)
    if role == BOARD:
        return [ob for ob in open_obligations(today, kinds=(K.VOTO, K.APORTE, K.DECLARACION))
                if (ob.kind == K.VOTO and ob.user_id == user.id) or ob.state == ObligationState.ESCALADO]
    if role == TRUSTEE:
        return [ob for ob in open_obligations(today, kinds=(K.CONFIRMACION, K.EJECUCION, K.CIERRE, K.APORTE,
                                                           K.DECLARACION))
                if ob.owner_role == TRUSTEE or ob.state == ObligationState.ESCALADO]
    if role == STAFF:
        return open_obligations(today, kinds=(K.HITO, K.CERTIFICADO, K.INDICADOR))
    if allows(user, "audit.view") and not allows(user, "users.manage"):
        return open_obligations(today)  # oversight reads everything; admin owns no deadline
    return []


def split_upcoming(obligations: list[Obligation], today: dt.date, days: int = 30) -> tuple[list, list]:
    """(due within ``days`` days, today included; overdue), each soonest first / oldest first."""
    horizon = today + dt.timedelta(days=days)
    upcoming = [ob for ob in obligations if today <= ob.due_on <= horizon]
    overdue = [ob for ob in obligations if ob.due_on < today]
    return upcoming, overdue


def notified_kinds(user) -> list[ObligationKind]:
    """The kinds ``user`` can be notified of (and chooses a channel for): those its role owns, and for the
    trustee the companies' escalated arrears."""
    kinds = [kind for kind, role in OWNER_ROLE.items() if role == getattr(user, "role", None)]
    if getattr(user, "role", None) == TRUSTEE:
        kinds += sorted(LEGAL_KINDS)
    return kinds
