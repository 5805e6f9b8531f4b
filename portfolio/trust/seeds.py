"""Trust seed data. Reference: the chart of accounts. Demo: programs with plans, beneficiaries, a conflict of
interest, a year of declarations and payments (on time, late, partial, unpaid) and disbursements in every
state — all written through the services, each command with a fixed idempotency key, so loading twice
changes nothing and the demo ledger passes ``ledger verify``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from stdnum.pe import ruc as ruc_number

from portfolio import clock, db
from portfolio.auth.models import User
from portfolio.auth.roles import COMPANY
from portfolio.money import parse_money
from portfolio.seeding import company_by_ruc, read_csv
from portfolio.trust import ledger
from portfolio.trust.models import BankBalance, ConflictOfInterest, Organization, Program, ProgramAllocation
from portfolio.trust.services import books, contributions, disbursements, programs
from portfolio.trust.services.common import add_month, chart_of_accounts
from portfolio.trust.vocab import VoteDecision

# company RUC → (monthly payroll, behaviour)
PAYROLLS = {
    "20601452783": (Decimal("25000000.00"), "puntual"),
    "20558934124": (Decimal("12000000.00"), "parcial"),
    "20481376514": (Decimal("8000000.00"), "tardio"),
    "20132467898": (Decimal("30000000.00"), "rectifica"),
    "20711223348": (Decimal("6000000.00"), "moroso"),
}
BANKS = ["BCP", "BBVA", "INTERBANK", "SCOTIABANK", "NACION"]


def load_reference() -> dict[str, int]:
    return {"cuentas contables del fideicomiso": chart_of_accounts()}


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"seed user not found: {email}")
    return user


def _company_user(company_id: int) -> User:
    return db.session.scalar(select(User).where(User.company_id == company_id, User.role == COMPANY).order_by(User.id))


def _programs(staff: User, year: int) -> dict[str, Program]:
    out: dict[str, Program] = {}
    for row in read_csv("trust_programs.csv"):
        program = db.session.scalar(select(Program).where(Program.code == row["code"]))
        if program is None:
            program = programs.create_program(code=row["code"], name=row["name"], description=row["description"],
                                              actor=staff)
        for plan_year in (year - 1, year):
            exists = db.session.scalar(select(ProgramAllocation.id).where(
                ProgramAllocation.program_id == program.id, ProgramAllocation.year == plan_year))
            if not exists:
                programs.set_allocation(program_id=program.id, year=plan_year, amount=parse_money(row["allocation"]),
                                        goals=row["goals"], actor=staff)
        out[row["code"]] = program
    return out


def _organizations(staff: User) -> list[Organization]:
    out = []
    for row in read_csv("trust_organizations.csv"):
        ruc = row["ruc_base"] + ruc_number.calc_check_digit(row["ruc_base"])
        org = db.session.scalar(select(Organization).where(Organization.ruc == ruc))
        if org is None:
            org = programs.create_organization(
                ruc=ruc, name=row["name"], legal_status=row["legal_status"], registry_entry=row["registry_entry"],
                constituted_on=dt.date.fromisoformat(row["constituted_on"]) if row["constituted_on"] else None,
                actor=staff)
        out.append(org)
    return out


def _contributions(today: dt.date, trustee: User) -> int:
    """Twelve months for each demo company, with each company's payment behaviour."""
    first = add_month(today.replace(day=1), -12)
    done = 0
    for c_index, (ruc, (payroll, behaviour)) in enumerate(PAYROLLS.items()):
        company = company_by_ruc(ruc)
        user = _company_user(company.id)
        if user is None:
            continue
        for i in range(12):
            month = add_month(first, i)
            declared_on = min(add_month(month).replace(day=8), today)
            wiggle = Decimal(100 + (i * 7 + c_index * 3) % 11) / 100  # 1.00 … 1.10
            result = contributions.declare(company_id=company.id, month=month, payroll=(payroll * wiggle).quantize(
                Decimal("0.01")), headcount=200 + 13 * c_index + i, actor=user, key=f"seed:decl:{ruc}:{month:%Y%m}",
                today=declared_on)
            contribution = result.value
            done += 0 if result.replayed else 1
            if behaviour == "rectifica" and i == 2:
                contributions.rectify(contribution_id=contribution.id, payroll=(payroll * Decimal("1.12")).quantize(
                    Decimal("0.01")), headcount=230, reason="Se omitieron gratificaciones", actor=user,
                    key=f"seed:rect:{ruc}:{month:%Y%m}", today=min(declared_on + dt.timedelta(days=3), today))
            plan = _payment_plan(behaviour, i, contribution)
            for n, (share, delay, confirm) in enumerate(plan):
                paid_on = contribution.due_date + dt.timedelta(days=delay)
                if paid_on > today:
                    continue
                amount = (contribution.amount_due * share).quantize(Decimal("0.01"))
                payment = contributions.register_payment(
                    contribution_id=contribution.id, amount=amount, paid_on=paid_on, bank=BANKS[(c_index + i) % 5],
                    operation_number=f"SEED{ruc[-4:]}{month:%Y%m}{n}", actor=user,
                    key=f"seed:pay:{ruc}:{month:%Y%m}:{n}", today=today).value
                if confirm and paid_on + dt.timedelta(days=1) <= today:
                    contributions.confirm_payment(payment_id=payment.id, actor=trustee,
                                                  key=f"seed:conf:{ruc}:{month:%Y%m}:{n}",
                                                  today=paid_on + dt.timedelta(days=1))
    return done


def _payment_plan(behaviour: str, i: int, contribution) -> list[tuple[Decimal, int, bool]]:
    """(share of the amount due, days after the due date, confirmed by the trustee?)"""
    full, last = Decimal("1"), i == 11
    if behaviour == "puntual":
        return [(full, -3, not last)]
    if behaviour == "parcial":
        return [(Decimal("0.6"), -2, True)] if i in (3, 7, 10) else [(full, -1, True)]
    if behaviour == "tardio":
        return [] if i >= 9 else [(full, 40, True)]
    if behaviour == "rectifica":
        return [(full, -5, not last)]
    if behaviour == "moroso":
        if i >= 7:
            return []
        return [(Decimal("0.5"), 10, True)] if i == 5 else [(full, 0, True)]
    return []


def _disbursements(today: dt.date, staff: User, trustee: User, board: list[User], progs: dict[str, Program],
                   orgs: list[Organization]) -> int:
    year = today.year
    recent = max(today - dt.timedelta(days=20), today.replace(month=1, day=1))
    obs, tech, barrio = orgs[0], orgs[1], orgs[2]
    plans = [
        # key, program, org, amount, purpose, invoices, votes, executions, cancel
        ("A", "OBS", obs, "120000.00", "Encuesta de victimización 2026 y reporte trimestral de extorsión",
         [("20131312955", "F001", "4521"), ("20131312955", "F001", "4522")], [VoteDecision.APROBAR, VoteDecision.APROBAR],
         ["70000.00", "50000.00"], False),
        ("B", "C4", tech, "250000.00", "Integración de 60 cámaras de videovigilancia al C4 Trujillo",
         [("20512333797", "E001", "1187")], [VoteDecision.APROBAR, VoteDecision.APROBAR], ["100000.00"], False),
        ("C", "C4", tech, "80000.00", "Consolas de despacho y licencias del sistema de gestión de incidentes",
         [("20512333797", "E001", "1203")], [VoteDecision.APROBAR, VoteDecision.APROBAR], [], False),
        ("D", "BSEP", barrio, "60000.00", "Recuperación de 5 puntos críticos con alumbrado LED en El Porvenir",
         [("10054148289", "B002", "88")], [VoteDecision.APROBAR], [], False),
        ("E", "OBS", obs, "40000.00", "Campaña publicitaria en medios (sin indicadores de resultado)",
         [("20131312955", "F001", "4600")], [VoteDecision.RECHAZAR, VoteDecision.RECHAZAR], [], False),
        ("F", "BSEP", barrio, "30000.00", "Talleres de prevención para jóvenes (proveedor desistió)",
         [("10054148289", "B002", "91")], [VoteDecision.APROBAR, VoteDecision.APROBAR], [], True),
        ("G", "OBS", obs, "25000.00", "Plataforma web de datos abiertos del Observatorio",
         [("20131312955", "F001", "4711")], [], [], False),
    ]
    # Chronology: requested on ``recent``, voted on the following days (the vote that reaches the quorum
    # reserves the funds), tranches paid after that, cancellations today; never after the seed day.
    def day(offset: int) -> dt.date:
        return min(recent + dt.timedelta(days=offset), today)

    done = 0
    for label, code, org, amount, purpose, invoices, votes, executions, cancel in plans:
        d = disbursements.request(program_id=progs[code].id, organization_id=org.id, year=year,
                                  amount=Decimal(amount), purpose=purpose, invoices=invoices, actor=staff,
                                  key=f"seed:req:{year}:{label}", today=recent)
        done += 0 if d.replayed else 1
        d = d.value
        from portfolio.documents.seeds import attach_request

        attach_request(d, invoices, staff)  # the dossier the board votes on (its hashes go with each vote)
        recused = disbursements.board_and_recused(org.id)[1]
        voters = [m for m in board if m.id not in recused]
        for n, decision in enumerate(votes):
            disbursements.vote(disbursement_id=d.id, decision=decision, comment="Conforme con el plan anual"
                               if decision == VoteDecision.APROBAR else "No se ajusta a las metas del programa",
                               actor=voters[n], key=f"seed:vote:{year}:{label}:{n}", today=day(1 + n))
        for n, part in enumerate(executions):
            disbursements.execute(disbursement_id=d.id, amount=Decimal(part), reference=f"TRF-{year}-{label}{n + 1}",
                                  actor=trustee, key=f"seed:exec:{year}:{label}:{n}",
                                  today=day(5 + n * 5))
        if cancel:
            disbursements.cancel(disbursement_id=d.id, reason="El proveedor desistió del servicio", actor=staff,
                                 key=f"seed:cancel:{year}:{label}", today=today)
    return done


def load_demo() -> dict[str, int]:
    today = clock.today()
    entries_before = db.session.scalar(select(func.count(ledger.Entry.id)))
    programs_before = db.session.scalar(select(func.count(Program.id)))
    orgs_before = db.session.scalar(select(func.count(Organization.id)))
    staff, trustee = _user("staff@demo.pe"), _user("fiduciario@demo.pe")
    board = [_user(f"comite{i}@demo.pe") for i in (1, 2, 3)]
    chart_of_accounts()
    progs = _programs(staff, today.year)
    orgs = _organizations(staff)
    conflicts = 0
    if db.session.scalar(select(ConflictOfInterest.id).where(ConflictOfInterest.user_id == board[2].id,
                                                             ConflictOfInterest.organization_id == orgs[2].id)) is None:
        programs.declare_conflict(user_id=board[2].id, organization_id=orgs[2].id, actor=board[2],
                                  description="Fue directivo fundador de la asociación (2021)")
        conflicts = 1
    declared = _contributions(today, trustee)
    requested = _disbursements(today, staff, trustee, board, progs, orgs)
    # Bank statement balances at every month end since the first entry: they match the ledger, except last
    # month's, which includes a bank charge not yet booked.
    bank_ids = books.bank_account_ids()
    this_month, last_month = today.replace(day=1), add_month(today.replace(day=1), -1)
    month = ledger.next_period_to_close(db.session) or this_month
    while month < this_month:
        day = add_month(month) - dt.timedelta(days=1)
        if db.session.scalar(select(BankBalance.id).where(BankBalance.on == day)) is None:
            charge = Decimal("150.00") if month == last_month else Decimal("0.00")
            books.record_bank_balance(on=day, balance=ledger.balance_on(db.session, bank_ids, day) - charge,
                                      note="Extracto mensual" + (" (incluye comisión bancaria no registrada)"
                                                                 if charge else ""),
                                      actor=trustee, key=f"seed:bank:{day:%Y%m%d}", today=today)
        month = add_month(month)
    # Close, in order, the periods before the two most recent months (nothing dated there remains to post).
    closed = 0
    month = ledger.next_period_to_close(db.session)
    while month is not None and month < add_month(this_month, -2):
        books.close_period(month=month, actor=trustee, key=f"seed:close:{month:%Y%m}", today=today)
        closed += 1
        month = add_month(month)
    db.session.flush()
    return {"programas del fideicomiso": len(progs) - programs_before,
            "organizaciones beneficiarias": len(orgs) - orgs_before,
            "conflictos de interés": conflicts, "declaraciones demo": declared, "desembolsos demo": requested,
            "periodos cerrados": closed,
            "asientos contables": db.session.scalar(select(func.count(ledger.Entry.id))) - entries_before}
