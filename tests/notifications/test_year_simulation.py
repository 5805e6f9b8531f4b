"""A year of business days, the clock moved day by day (``clock.frozen``), with three companies: one pays on
time, one pays 20 days late, one never pays; and a disbursement request that one board member votes at once
and two never do. ``notify run`` runs twice every morning. Every reminder arrives on its day (the first business
day on or after its step: a Saturday's reminder on Monday), none twice, none to a company that had paid, the
arrears letter and the trustee's escalation on day 30; a board member learns of the request the day it is filed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from portfolio import clock, db
from portfolio.auth.policy import SYSTEM
from portfolio.notifications import links, services
from portfolio.notifications.models import Notice
from portfolio.notifications.vocab import ObligationKind
from portfolio.orgs.models import Company
from portfolio.trust.models import Contribution
from portfolio.trust.services import contributions, disbursements, programs
from portfolio.trust.services.common import add_month
from tests.notifications.conftest import at
from tests.support import insert_user
from tests.trust.conftest import new_ruc, run

START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
SCHEDULE = (-5, 1, 15)   # notify.schedule.aporte by default
ESCALATION = 30
LATE_DAYS = 20
REQUEST_DAY = dt.date(2026, 3, 4)  # a Wednesday; vote due 3 days later (a Saturday) → reminded Monday 09/03


def business_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)
            if (start + dt.timedelta(days=i)).weekday() < 5]


DAYS = business_days(START, END)


def on_or_after(day: dt.date) -> dt.date | None:
    """The first simulated business day on or after ``day`` (None past the year)."""
    return next((d for d in DAYS if d >= day), None)


def key() -> str:
    return uuid.uuid4().hex


def test_a_year_of_reminders(ctx):
    companies = {}
    for behaviour in ("puntual", "tardia", "morosa"):
        company = Company(ruc=new_ruc(), legal_name=f"Empresa {behaviour}", sector="mineria", active=True)
        db.session.add(company)
        db.session.flush()
        companies[behaviour] = (company, insert_user("company", company.id))
    trustee, staff = insert_user("trustee"), insert_user("staff")
    board = [insert_user("board", name=f"Miembro {i}") for i in range(3)]
    db.session.commit()
    with clock.frozen(at(START)):
        program = run(lambda: programs.create_program(code="SIM", name="Simulación", description=None, actor=staff))
        run(lambda: programs.set_allocation(program_id=program.id, year=2026, amount=Decimal("90000.00"), goals="M",
                                            actor=staff))
        org = run(lambda: programs.create_organization(ruc=new_ruc(), name="Asociación Simulada", legal_status="constituida",
                                                       registry_entry="1", constituted_on=dt.date(2020, 1, 1), actor=staff))

    pay_on: dict[int, dt.date] = {}   # contribution id → the day its company pays
    sent: list[tuple[dt.date, str, str, str]] = []  # (day, obligation key, step, recipient)
    for day in DAYS:
        with clock.frozen(at(day, 7)):
            month_days = [d for d in DAYS if d.replace(day=1) == day.replace(day=1)]
            if day == month_days[1]:  # the month's second business day: everyone declares last month
                for behaviour, (company, user) in companies.items():
                    month = add_month(day.replace(day=1), -1)
                    c = run(lambda company=company, user=user, month=month: contributions.declare(
                        company_id=company.id, month=month, payroll=Decimal("2000000.00"), headcount=20, actor=user,
                        key=key())).value
                    if behaviour == "puntual":
                        pay_on[c.id] = day
                    elif behaviour == "tardia":
                        pay_on[c.id] = on_or_after(c.due_date + dt.timedelta(days=LATE_DAYS))
            for cid, when in list(pay_on.items()):
                if when == day:
                    c = db.session.get(Contribution, cid)
                    user = companies["puntual" if c.company.legal_name.endswith("puntual") else "tardia"][1]
                    payment = run(lambda c=c, user=user, day=day: contributions.register_payment(
                        contribution_id=c.id, amount=c.amount_due, paid_on=day, bank="BCP",
                        operation_number=f"OP{c.id:06d}", actor=user, key=key())).value
                    run(lambda p=payment: contributions.confirm_payment(payment_id=p.id, actor=trustee, key=key()))
            if day == REQUEST_DAY:
                request = run(lambda: disbursements.request(
                    program_id=program.id, organization_id=org.id, year=2026, amount=Decimal("1000.00"),
                    purpose="Cámaras", actor=staff, key=key(), invoices=[(new_ruc(), "F001", "1")])).value
            if day == REQUEST_DAY + dt.timedelta(days=1):
                run(lambda request=request: disbursements.vote(disbursement_id=request.id, decision="aprobar", comment="Conforme",
                                               actor=board[0], key=key()))
        for run_number in (1, 2):  # the morning run, then a rerun (another host, cron overlap): nothing twice
            with clock.frozen(at(day, 9) + dt.timedelta(minutes=run_number)):
                result = run(lambda: services.create_due_notices(actor=SYSTEM, link_for=links.path_for,
                                                                 smtp_configured=False))
                if run_number == 2:
                    assert result["created"] == 0, day
    rows = db.session.execute(select(Notice.created_at, Notice.obligation_key, Notice.step, Notice.recipient, Notice.kind)
                              .where(Notice.kind.in_((ObligationKind.APORTE, ObligationKind.DECLARACION,
                                                      ObligationKind.VOTO)))).all()
    sent = [(clock.local_date(created), k, step, recipient) for created, k, step, recipient, _ in rows]
    assert not [item for item, n in Counter((k, s, r) for _, k, s, r in sent).items() if n > 1]  # none twice

    # what should have been sent, computed from the calendar alone
    expected = set()
    for c in db.session.scalars(select(Contribution)):
        behaviour = c.company.legal_name.split()[-1]
        user = companies[behaviour][1]
        paid = pay_on.get(c.id)
        for step in SCHEDULE:
            when = on_or_after(c.due_date + dt.timedelta(days=step))
            if when and (paid is None or when < paid):
                expected.add((when, f"aporte:{c.id}", f"d{step:+d}", f"user:{user.id}"))
        letter_day = c.due_date + dt.timedelta(days=ESCALATION)
        if on_or_after(letter_day) and (paid is None or on_or_after(letter_day) < paid):
            when = on_or_after(letter_day)
            expected.add((when, f"aporte:{c.id}", "cobranza", f"user:{user.id}"))
            expected.add((when, f"aporte:{c.id}", "escalado", f"user:{trustee.id}"))
    for member in board:
        expected.add((REQUEST_DAY, f"voto:{request.id}:{member.id}", "alta", f"user:{member.id}"))
        if member is not board[0]:  # the one who voted the next day is not reminded on day 3
            expected.add((on_or_after(REQUEST_DAY + dt.timedelta(days=3)), f"voto:{request.id}:{member.id}", "d+0",
                          f"user:{member.id}"))
    assert sorted(set(sent) - expected) == [] and sorted(expected - set(sent)) == []

    by_company = Counter(next(b for b, (co, u) in companies.items() if r == f"user:{u.id}")
                         for _, k, _, r in sent if k.startswith("aporte:") and r != f"user:{trustee.id}")
    assert by_company["puntual"] == 0                     # paid before every reminder
    assert by_company["tardia"] == 3 * 12                 # d-5, d+1, d+15 of each month, Dec 2025 … Nov 2026
    assert by_company["morosa"] > by_company["tardia"]    # plus the letters
    escalations = sorted(d for d, k, s, r in sent if s == "escalado")
    assert escalations and all(r == f"user:{trustee.id}" for _, _, s, r in sent if s == "escalado")
    assert escalations[0] == on_or_after(dt.date(2026, 1, 15) + dt.timedelta(days=ESCALATION))  # Dec 2025's arrears
