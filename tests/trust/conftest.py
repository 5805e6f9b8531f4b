"""Fixtures for the trust: a small world (company, users, program, beneficiary) and command helpers."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.pe import ruc as ruc_number

from portfolio import db
from portfolio.orgs.models import Company
from portfolio.trust import ledger
from portfolio.trust.services import books, contributions, disbursements, programs
from tests.support import insert_user

TODAY = dt.date(2026, 6, 20)
D = Decimal


def new_ruc(prefix: str = "20") -> str:
    base = prefix + f"{uuid.uuid4().int % 10**8:08d}"
    return base + ruc_number.calc_check_digit(base)


def key() -> str:
    return uuid.uuid4().hex


def make_company(name: str | None = None) -> Company:
    company = Company(ruc=new_ruc(), legal_name=name or f"Empresa {uuid.uuid4().hex[:6]} S.A.C.", sector="mineria",
                      ubigeo="130101", active=True)
    db.session.add(company)
    db.session.flush()
    return company


def run(action):
    """The request contract: one service, commit on success, roll back on a DomainError."""
    from portfolio.errors import DomainError

    try:
        value = action()
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return value


class World:
    """Everything a trust scenario needs, created through the services where a rule applies."""

    def __init__(self, boards: int = 3, allocation: Decimal = Decimal("1000000.00"),  # noqa: B008
                 today: dt.date = TODAY):
        """``today``: the business date of every command (the allocation is for its year); pages and the
        public report use the real date, so a scenario they show lives on ``clock.today()``."""
        self.today = today
        self.company = make_company()
        self.company_user = insert_user("company", self.company.id)
        self.trustee = insert_user("trustee")
        self.staff = insert_user("staff")
        self.board = [insert_user("board", name=f"Miembro {i + 1}") for i in range(boards)]
        self.program = programs.create_program(code=f"P{uuid.uuid4().hex[:6]}", name=f"Programa {uuid.uuid4().hex[:6]}",
                                               description=None, actor=self.staff)
        programs.set_allocation(program_id=self.program.id, year=self.today.year, amount=allocation, goals="Metas",
                                actor=self.staff)
        self.org = programs.create_organization(ruc=new_ruc(), name="Asociación Vecinal", legal_status="constituida",
                                                registry_entry="11002233", constituted_on=dt.date(2020, 1, 1),
                                                actor=self.staff)

    # contributions
    def declare(self, month=dt.date(2026, 5, 1), payroll=Decimal("1000000.00"), headcount=10, **kw):  # noqa: B008
        return run(lambda: contributions.declare(company_id=self.company.id, month=month, payroll=payroll, headcount=headcount,
                                     actor=kw.pop("actor", self.company_user), key=kw.pop("key", key()),
                                     today=kw.pop("today", self.today), **kw))

    def pay(self, contribution, amount, operation=None, **kw):
        kw2 = dict(paid_on=kw.pop("paid_on", self.today), bank=kw.pop("bank", "BCP"), actor=kw.pop("actor", self.company_user), key=kw.pop("key", key()))
        return run(lambda: contributions.register_payment(
            contribution_id=contribution.id, amount=amount, operation_number=operation or uuid.uuid4().hex[:12].upper(),
            today=self.today, **kw2))

    def confirm(self, payment, **kw):
        actor, k, today = kw.pop("actor", self.trustee), kw.pop("key", key()), kw.pop("today", self.today)
        return run(lambda: contributions.confirm_payment(payment_id=payment.id, actor=actor, key=k, today=today))

    def fund(self, amount: Decimal, month=dt.date(2026, 5, 1)):
        """Declare a payroll that yields exactly ``amount`` (0.15 %), pay it and confirm it."""
        payroll = (amount * 100 / D("0.15")).quantize(D("0.01"))
        contribution = self.declare(month=month, payroll=payroll).value
        assert contribution.amount_due == amount
        payment = self.pay(contribution, amount).value
        self.confirm(payment)
        return contribution

    # disbursements
    def request(self, amount, invoices=None, **kw):
        invoices = invoices or [(new_ruc(), "F001", str(uuid.uuid4().int % 10**8))]
        args = dict(program_id=kw.pop("program_id", self.program.id),
                    organization_id=kw.pop("organization_id", self.org.id), actor=kw.pop("actor", self.staff),
                    key=kw.pop("key", key()))
        return run(lambda: disbursements.request(year=self.today.year, amount=amount, purpose="Equipamiento",
                                                 invoices=invoices, today=self.today, **args))

    def vote(self, disbursement, member, decision="aprobar", **kw):
        k = kw.pop("key", key())
        return run(lambda: disbursements.vote(disbursement_id=disbursement.id, decision=decision, comment="Conforme",
                                              actor=member, key=k, today=self.today))

    def approve(self, disbursement):
        self.vote(disbursement, self.board[0])
        return self.vote(disbursement, self.board[1])

    def execute(self, disbursement, amount, **kw):
        actor, k = kw.pop("actor", self.trustee), kw.pop("key", key())
        return run(lambda: disbursements.execute(disbursement_id=disbursement.id, amount=amount, reference="TRF-001",
                                                 actor=actor, key=k, today=self.today))

    def position(self):
        return books.fund_position()


def ledger_snapshot():
    """What a refused command must leave unchanged."""
    return (
        db.session.scalar(select(func.count(ledger.Entry.id))),
        db.session.scalar(select(func.count(ledger.Posting.id))),
        tuple(db.session.execute(select(ledger.Account.code, ledger.Account.balance).order_by(ledger.Account.code))),
        db.session.scalar(select(func.count(ledger.Command.id))),
    )


@pytest.fixture
def world(ctx):
    w = World()
    db.session.commit()
    return w
