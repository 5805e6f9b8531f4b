"""PostgreSQL only: real commits from many connections released together (threading.Barrier).

Each test uses a private database (created, migrated, dropped) because concurrent transactions must
really commit for the row locks and unique indexes to be what decides the race.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from portfolio import create_app, db, migrate
from portfolio.db import make_engine
from portfolio.errors import DomainError
from portfolio.trust import ledger
from portfolio.trust.models import Disbursement, Payment, Tranche
from portfolio.trust.services import books, contributions, disbursements
from tests.conftest import create_pg_database, drop_pg_database
from tests.trust.conftest import TODAY, World, key, run

pytestmark = pytest.mark.postgresql_only
THREADS = 24
D = Decimal


@pytest.fixture
def pg_app():
    url = create_pg_database("portfolio_trust_race")
    try:
        migrate.upgrade(url)
        app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                          "PASSWORD_HASH_PROFILE": "fast", "DEMO_DATA": False, "SERVER_NAME": "localhost"})
        engine = make_engine(url, pool_size=THREADS + 5, max_overflow=5)
        app.extensions["portfolio_db"]["engine"].dispose()
        app.extensions["portfolio_db"].update(engine=engine, sessionmaker=sessionmaker(bind=engine, expire_on_commit=False))
        with app.app_context():
            from portfolio import seeding

            seeding.load_reference()
            db.session.commit()
        yield app
        engine.dispose()
    finally:
        drop_pg_database(url)


def race(app, actions):
    """Run each action in its own thread, app context and connection; start them all at once."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def worker(index, action):
        with app.app_context():
            db.session.execute(text("SELECT 1"))  # hold a connection before the start line
            barrier.wait()
            try:
                results[index] = ("ok", run(action))
            except DomainError as exc:
                results[index] = ("refused", exc.message)
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                db.session.rollback()
                results[index] = ("error", repr(exc))

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def approval(disbursement_id: int, member_id: int):
    """A board member's approval of a request, to run in a race (the member is loaded in the worker's session)."""
    def action():
        from portfolio.auth.models import User

        return disbursements.vote(disbursement_id=disbursement_id, decision="aprobar", comment="Aprobado",
                                  actor=db.session.get(User, member_id), key=key(), today=TODAY)
    return action


def verify_clean(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "conforme" in result.output


def test_concurrent_approvals_only_the_ones_that_fit_succeed(pg_app):
    with pg_app.app_context():
        w = World(allocation=D("1000000.00"))
        w.fund(D("1500.00"))  # covers exactly 10 requests of S/ 150.00
        requests = [w.request(D("150.00")).value for _ in range(THREADS)]
        for d in requests:
            w.vote(d, w.board[0])
        member_id, ids = w.board[1].id, [d.id for d in requests]

    results = race(pg_app, [approval(did, member_id) for did in ids])
    assert [r[0] for r in results].count("error") == 0, results
    assert [r[0] for r in results].count("ok") == 10, results
    assert all("insuficientes" in r[1] for r in results if r[0] == "refused")
    with pg_app.app_context():
        approved = db.session.scalar(select(func.count(Disbursement.id)).where(Disbursement.status == "aprobado"))
        assert approved == 10
        position = books.fund_position()
        assert position == {"bank": D("1500.00"), "reserved": D("1500.00"), "available": D("0.00")}
    verify_clean(pg_app)


def test_members_voting_one_request_at_once_count_every_vote_and_reserve_once(pg_app):
    """Each vote counts the votes committed before it (read under the request's lock): with five members
    (quorum: a majority, 3), exactly the vote that makes three approvals reserves the funds, no vote is lost
    and the votes after it find the request approved."""
    with pg_app.app_context():
        w = World(boards=5, allocation=D("1000000.00"))
        w.fund(D("500.00"))
        d = w.request(D("500.00")).value
        members, did = [m.id for m in w.board], d.id
        needed = disbursements.tally(d)["needed"]
        assert needed == 3

    results = race(pg_app, [approval(did, m) for m in members])
    outcomes = [r[0] for r in results]
    assert outcomes.count("error") == 0, results
    assert outcomes.count("ok") == needed, results  # the rest find the request already approved
    assert all("ya no está en votación" in r[1] for r in results if r[0] == "refused"), results
    with pg_app.app_context():
        d = db.session.get(Disbursement, did)
        assert d.status == "aprobado" and len(d.votes) == needed and d.transfer_id is not None
        assert db.session.scalar(select(func.count(ledger.Transfer.id))) == 1
        assert books.fund_position()["reserved"] == D("500.00")
    verify_clean(pg_app)


def test_concurrent_approvals_of_different_programs_only_the_ones_that_fit_succeed(pg_app):
    """Twelve programs, no allocation row in common: only the available funds' floor, checked where the
    approval's balance change is applied, keeps the reservations within the money."""
    from portfolio.trust.services import programs

    with pg_app.app_context():
        w = World(allocation=D("1000000.00"))
        w.fund(D("1500.00"))  # covers exactly 10 requests of S/ 150.00
        ids = []
        for n in range(THREADS):
            if n % 2 == 0:
                program = programs.create_program(code=f"R{n:03d}", name=f"Programa {n}", description=None,
                                                  actor=w.staff)
                programs.set_allocation(program_id=program.id, year=TODAY.year, amount=D("100000.00"), goals="Metas",
                                        actor=w.staff)
                db.session.commit()
            d = w.request(D("150.00"), program_id=program.id).value
            w.vote(d, w.board[0])
            ids.append(d.id)
        member_id = w.board[1].id

    results = race(pg_app, [approval(did, member_id) for did in ids])
    assert [r[0] for r in results].count("error") == 0, results
    assert [r[0] for r in results].count("ok") == 10, results
    assert all("insuficientes" in r[1] for r in results if r[0] == "refused"), results
    with pg_app.app_context():
        assert books.fund_position() == {"bank": D("1500.00"), "reserved": D("1500.00"), "available": D("0.00")}
    verify_clean(pg_app)


def test_concurrent_approvals_never_exceed_the_program_allocation(pg_app):
    """Funds for all, allocation for ten: the allocation's row lock lets exactly ten reserve."""
    with pg_app.app_context():
        w = World(allocation=D("1500.00"))
        w.fund(D("10000.00"))
        requests = [w.request(D("150.00")).value for _ in range(THREADS)]  # a request fits what is not yet approved
        for d in requests:
            w.vote(d, w.board[0])
        member_id, ids = w.board[1].id, [d.id for d in requests]

    results = race(pg_app, [approval(did, member_id) for did in ids])
    assert [r[0] for r in results].count("error") == 0, results
    assert [r[0] for r in results].count("ok") == 10, results
    assert all("excede la asignación" in r[1] for r in results if r[0] == "refused"), results
    with pg_app.app_context():
        assert books.fund_position()["reserved"] == D("1500.00")
    verify_clean(pg_app)


def test_concurrent_confirmations_add_up_on_the_bank_account(pg_app):
    """Twenty-four payments of twenty-four declarations (no row lock in common but the accounts') confirmed at
    once all add to the trust's bank account and its month's period balance: no cached balance loses an
    update."""
    import datetime as dt

    from portfolio.trust.services.common import BANK_AVAILABLE

    with pg_app.app_context():
        w = World()
        payments = []
        for n in range(THREADS):
            contribution = w.declare(month=dt.date(2024 + (n + 5) // 12, (n + 5) % 12 + 1, 1)).value
            payments.append(w.pay(contribution, D("100.00") + n).value.id)
        trustee_id = w.trustee.id
    results = race(pg_app, [confirm_as(pid, trustee_id) for pid in payments])
    assert all(r[0] == "ok" for r in results), results
    expected = sum((D("100.00") + n for n in range(THREADS)), D("0.00"))
    with pg_app.app_context():
        bank = ledger.account(db.session, BANK_AVAILABLE)
        assert bank.balance == expected
        row = db.session.scalar(select(ledger.PeriodBalance).where(ledger.PeriodBalance.account_id == bank.id))
        assert (row.debit, row.credit) == (expected, D("0.00"))
    verify_clean(pg_app)


def test_concurrent_tranches_never_exceed_the_reservation(pg_app):
    with pg_app.app_context():
        w = World()
        w.fund(D("5000.00"))
        d = w.request(D("1000.00")).value
        w.approve(d)
        did, trustee_id = d.id, w.trustee.id

    def tranche():
        from portfolio.auth.models import User

        return disbursements.execute(disbursement_id=did, amount=D("100.00"), reference="TRF",
                                     actor=db.session.get(User, trustee_id), key=key(), today=TODAY)

    results = race(pg_app, [tranche for _ in range(THREADS)])
    assert [r[0] for r in results].count("error") == 0, results
    assert [r[0] for r in results].count("ok") == 10, results
    with pg_app.app_context():
        d = db.session.get(Disbursement, did)
        assert d.status == "pagado" and d.paid_amount == D("1000.00")
        assert db.session.scalar(select(func.count(Tranche.id))) == 10
    verify_clean(pg_app)


def test_concurrent_replays_of_one_execution_post_once(pg_app):
    with pg_app.app_context():
        w = World()
        w.fund(D("5000.00"))
        d = w.request(D("1000.00")).value
        w.approve(d)
        did, trustee_id = d.id, w.trustee.id
    same_key = key()

    def tranche():
        from portfolio.auth.models import User

        return disbursements.execute(disbursement_id=did, amount=D("400.00"), reference="TRF",
                                     actor=db.session.get(User, trustee_id), key=same_key, today=TODAY)

    results = race(pg_app, [tranche for _ in range(THREADS)])
    assert all(r[0] == "ok" for r in results), results
    assert sum(1 for r in results if not r[1].replayed) == 1
    with pg_app.app_context():
        assert db.session.get(Disbursement, did).paid_amount == D("400.00")
        assert db.session.scalar(select(func.count(Tranche.id))) == 1
    verify_clean(pg_app)


def test_concurrent_duplicate_payment_registrations_make_one_record(pg_app):
    with pg_app.app_context():
        w = World()
        contribution = w.declare().value
        cid, user_id = contribution.id, w.company_user.id

    def register():
        from portfolio.auth.models import User

        return contributions.register_payment(contribution_id=cid, amount=D("750.00"), paid_on=TODAY, bank="BCP",
                                              operation_number="00991122", actor=db.session.get(User, user_id),
                                              key=key(), today=TODAY)

    results = race(pg_app, [register for _ in range(THREADS)])
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1].value.id for r in results}) == 1
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 1
    verify_clean(pg_app)


def one_operation_two_companies(pairs: int):
    """``pairs`` bank operations, each registered by two companies: [(payment of A, payment of B), …] and two
    trustees' ids."""
    from tests.support import insert_user as make_user
    from tests.trust.conftest import make_company

    w = World()
    a_contribution = w.declare().value
    b_company = make_company()
    b_user = make_user("company", b_company.id)
    b_contribution = run(lambda: contributions.declare(company_id=b_company.id, month=a_contribution.month,
                                                       payroll=D("1000000.00"), headcount=3, actor=b_user,
                                                       key=key(), today=TODAY)).value
    ids = []
    for n in range(pairs):
        operation = f"RACE-{n:04d}"
        a = w.pay(a_contribution, D("10.00"), operation=operation).value
        b = w.pay(b_contribution, D("10.00"), operation=operation, actor=b_user).value
        ids.append((a.id, b.id))
    second = make_user("trustee")
    db.session.commit()
    return ids, (w.trustee.id, second.id)


def confirm_as(payment_id: int, trustee_id: int):
    from portfolio.auth.models import User

    return lambda: contributions.confirm_payment(payment_id=payment_id, actor=db.session.get(User, trustee_id),
                                                 key=key(), today=TODAY)


def test_concurrent_confirmations_of_one_bank_operation_confirm_one_payment(pg_app):
    """Two trustees confirm, at the same instant, the two companies' payments of one bank operation (twelve
    operations at once): for each operation exactly one payment is confirmed and posted."""
    with pg_app.app_context():
        pairs, (first, second) = one_operation_two_companies(12)
    actions = [action for a, b in pairs for action in (confirm_as(a, first), confirm_as(b, second))]
    results = race(pg_app, actions)
    assert not [r for r in results if r[0] == "error"], results
    for n in range(len(pairs)):
        pair = results[2 * n:2 * n + 2]
        assert sorted(r[0] for r in pair) == ["ok", "refused"], pair
        refusal = next(r[1] for r in pair if r[0] == "refused")
        assert f"La operación BCP RACE-{n:04d} ya está confirmada" in refusal
    with pg_app.app_context():
        confirmed = db.session.execute(select(Payment.operation_number, func.count(Payment.id))
                                       .where(Payment.status == "confirmado").group_by(Payment.operation_number)).all()
        assert sorted(confirmed) == [(f"RACE-{n:04d}", 1) for n in range(len(pairs))]
        assert db.session.scalar(select(func.count(ledger.Entry.id)).where(ledger.Entry.kind == "pago")) == len(pairs)
    verify_clean(pg_app)


def second_confirmation_waits_then(pg_app, first) -> tuple[list, int]:
    """Deterministic interleaving: ``first(a)`` confirms the first company's payment of one operation without
    committing; the second trustee's confirmation of the other company's payment starts, must wait, and the
    first then commits. The second's outcome and its payment's id."""
    import time

    with pg_app.app_context():
        [(a, b)], (first_trustee, second) = one_operation_two_companies(1)
    outcome: list = []

    def second_trustee():
        with pg_app.app_context():
            try:
                outcome.append(("ok", run(confirm_as(b, second))))
            except DomainError as exc:
                outcome.append(("refused", exc.message))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                db.session.rollback()
                outcome.append(("error", repr(exc)))

    with pg_app.app_context():
        first(a, first_trustee)  # done, not committed yet
        thread = threading.Thread(target=second_trustee)
        thread.start()
        with make_engine(pg_app.config["DATABASE_URL"]).connect() as watcher:
            for _ in range(200):
                if watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the second confirmation never waited")
        db.session.commit()
        thread.join(60)
    return outcome, b


def test_a_confirmation_waiting_on_the_same_operation_is_refused_when_the_first_commits(pg_app):
    """The second confirmation waits on the operation's lock while the first is not committed, then sees it
    and is refused with the trustee's message, posting nothing."""
    outcome, b = second_confirmation_waits_then(pg_app, lambda a, trustee: confirm_as(a, trustee)())
    assert outcome and outcome[0][0] == "refused", outcome
    # the message names the company whose payment holds the operation: the check ran after the first committed
    assert "La operación BCP RACE-0000 ya está confirmada para el pago de " in outcome[0][1]
    assert "(RUC " in outcome[0][1] and "Rechace este pago" in outcome[0][1]
    with pg_app.app_context():
        assert db.session.get(Payment, b).status == "registrado"
        assert db.session.scalar(select(func.count(ledger.Entry.id)).where(ledger.Entry.kind == "pago")) == 1
    verify_clean(pg_app)


def test_a_confirmation_that_skipped_the_lock_still_leaves_the_second_refused_by_the_index(pg_app):
    """A first confirmation written behind the service's back (raw SQL, no lock): the second passes the lock
    and the check (the first is not committed), waits on the partial unique index, and is refused in Spanish
    when the first commits, with nothing of it written."""
    def behind_the_back(a, _trustee):
        db.session.execute(text("UPDATE trust_payments SET status = 'confirmado' WHERE id = :id"), {"id": a})

    outcome, b = second_confirmation_waits_then(pg_app, behind_the_back)
    assert outcome == [("refused", "La operación BCP RACE-0000 ya está confirmada para otro pago: una operación "
                                   "bancaria se confirma una sola vez. Rechace este pago.")], outcome
    with pg_app.app_context():
        assert db.session.get(Payment, b).status == "registrado"
        assert db.session.scalar(select(func.count(ledger.Entry.id)).where(ledger.Entry.kind == "pago")) == 0
        assert db.session.scalar(select(func.count(ledger.Command.id)).where(ledger.Command.command == "confirm_payment")) == 0


def test_unbalanced_entry_is_refused_by_the_database(ctx, isolated):
    """The deferred constraint trigger checks each entry's debits = credits at commit."""
    s = db.session
    bank = ledger.get_or_create_account(s, "X-BANK", "Banco", "asset", no_negative=False)
    entry = ledger.Entry(key=key(), kind="x", memo="x", effective_date=TODAY, total=D("10.00"))
    s.add(entry)
    s.flush()
    s.execute(text("INSERT INTO ledger_postings (entry_id, account_id, debit, credit, effective_date) "
                   "VALUES (:e, :a, 1000, 0, :d)"),
              {"e": entry.id, "a": bank.id, "d": TODAY})
    with pytest.raises(DBAPIError, match="no cuadra"):
        s.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_period_close_waits_for_postings_in_flight(pg_app):
    """A posting holds its month's shared lock until commit: a close of that month cannot slip in between
    the posting's "is the period open?" check and its commit."""
    import datetime as dt

    from sqlalchemy.exc import OperationalError

    with pg_app.app_context():
        w = World()
        db.session.commit()
        trustee_id = w.trustee.id
        engine = pg_app.extensions["portfolio_db"]["engine"]
        factory = sessionmaker(bind=engine)
        poster, closer = factory(), factory()
        bank = ledger.get_or_create_account(poster, "X-B", "Banco", "asset", no_negative=False)
        income = ledger.get_or_create_account(poster, "X-I", "Ingreso", "income")
        ledger.post_entry(poster, key=key(), kind="x", memo="x", effective_date=dt.date(2026, 5, 10),
                          lines=ledger.transfer_lines(bank, income, D("1.00")))  # transaction still open
        closer.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock"):
            ledger.close_period(closer, dt.date(2026, 5, 1), today=TODAY, actor_id=trustee_id)
        closer.rollback()
        poster.commit()
        ledger.close_period(closer, dt.date(2026, 5, 1), today=TODAY, actor_id=trustee_id)
        closer.commit()
        with pytest.raises(ledger.LedgerError, match="cerrado"):
            ledger.post_entry(poster, key=key(), kind="x", memo="x", effective_date=dt.date(2026, 5, 11),
                              lines=ledger.transfer_lines(bank, income, D("1.00")))
        poster.rollback()
        poster.close()
        closer.close()
    verify_clean(pg_app)
