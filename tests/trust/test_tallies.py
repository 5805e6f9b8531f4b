"""The contributions and disbursements lists' totals kept by database triggers (migration 0025): for every filter
they answer, the tallies add up to what scanning the rows gives, through the services, raw SQL and compaction;
``ledger verify`` notices a tally that does not add up; concurrent changes during a compaction lose nothing."""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text, update

from portfolio import create_app, db, migrate, seeding
from portfolio import tallies as shared_tallies
from portfolio.trust import queries, tallies
from portfolio.trust.models import (
    CONTRIBUTION_STATUS,
    DISBURSEMENT_STATUS,
    Contribution,
    ContributionTally,
)
from portfolio.trust.services.verify import domain_problems
from tests.conftest import create_pg_database, drop_pg_database
from tests.trust.conftest import TODAY, make_company

STAFF = type("Staff", (), {"role": "staff", "company_id": None})()
MONTHS = [None, "2001-03", "2001-09"]


def _scanned(listing, totals):
    return totals(dataclasses.replace(listing, tally=None))


def _varied_contributions(companies: int = 3) -> None:
    """Declarations in every state on ``TODAY``: paid, part paid, nothing paid, before and after their due date."""
    rows, n = [], 0
    for c in range(companies):
        company = make_company(f"Empresa de totales {c}")
        for m in range(12):
            month = dt.date(2001, m + 1, 1)
            due = Decimal(1000 + 37 * n) / 100
            paid = (due, Decimal(0), (due / 3).quantize(Decimal("0.01")))[n % 3]
            rows.append({"company_id": company.id, "month": month, "amount_due": due, "amount_paid": paid,
                         "due_date": TODAY + dt.timedelta(days=(m % 5) * 20 - 40), "current_version": 1})
            n += 1
    db.session.execute(insert(Contribution), rows)


def _every_contribution_filter():
    for status in [None, *CONTRIBUTION_STATUS]:
        for since in MONTHS:
            for until in MONTHS:
                args = {k: v for k, v in (("estado", status), ("desde", since), ("hasta", until)) if v}
                yield args


def _assert_contribution_totals_match():
    for args in _every_contribution_filter():
        listing = queries.contribution_list(args, STAFF, today=TODAY)
        assert listing.tally is not None, args
        tallied = queries.contribution_totals(listing)
        assert tallied == _scanned(listing, queries.contribution_totals), args
        assert tallied["count"] == len(db.session.scalars(listing.query).unique().all()), args


def test_contribution_tallies_add_up_to_the_rows_for_every_filter(ctx):
    _varied_contributions()
    db.session.flush()
    _assert_contribution_totals_match()
    some = {"estado": "vencido"}
    assert queries.contribution_totals(queries.contribution_list(some, STAFF, today=TODAY))["count"] > 0
    # changes behind the services' back move rows between keys: payments, a rectified amount
    c = Contribution.__table__
    db.session.execute(update(c).where(c.c.amount_paid == 0).values(amount_paid=c.c.amount_due))
    db.session.execute(update(c).where(c.c.month == dt.date(2001, 5, 1)).values(amount_paid=0))
    db.session.execute(update(c).where(c.c.month == dt.date(2001, 6, 1)).values(amount_due=c.c.amount_due + 100))
    _assert_contribution_totals_match()
    assert tallies.problems() == []


def test_a_search_or_a_company_is_added_up_from_the_rows(ctx):
    _varied_contributions(1)
    company = type("Company", (), {"role": "company", "company_id": db.session.scalar(
        select(Contribution.company_id).order_by(Contribution.id.desc()).limit(1))})()
    for args, viewer in (({"q": "totales"}, STAFF), ({}, company)):
        listing = queries.contribution_list(args, viewer, today=TODAY)
        assert listing.tally is None
        assert queries.contribution_totals(listing)["count"] == 12


def test_disbursement_tallies_add_up_to_the_rows_for_every_status(world):
    cases = ((Decimal("100.00"), False, None), (Decimal("250.00"), True, None),
             (Decimal("400.00"), True, Decimal("150.00")), (Decimal("90.00"), True, Decimal("90.00")))
    for n, (amount, approve, paid) in enumerate(cases):
        world.fund(amount, month=dt.date(2025, n + 1, 1))
        d = world.request(amount).value
        if approve:
            world.approve(d)
        if paid:
            world.execute(d, paid)
    for status in [None, *DISBURSEMENT_STATUS]:
        listing = queries.disbursement_list({"estado": status} if status else {})
        tallied = queries.disbursement_totals(listing)
        assert tallied == _scanned(listing, queries.disbursement_totals), status
        assert tallied["count"] == db.session.scalar(select(func.count()).select_from(
            listing.query.order_by(None).subquery())), status
    assert queries.disbursement_totals(queries.disbursement_list({}))["unpaid"] == Decimal("500.00")  # 250 approved + 400 − 150 executed
    assert tallies.problems() == [] and domain_problems() == []


def test_verify_reports_a_tally_that_does_not_add_up(ctx):
    _varied_contributions(1)
    db.session.execute(text("UPDATE trust_contribution_tallies SET row_count = row_count + 1 "
                            "WHERE id = (SELECT max(id) FROM trust_contribution_tallies)"))
    db.session.execute(text("INSERT INTO trust_disbursement_tallies (status, row_count, amount, paid_amount, compacted)"
                            " VALUES ('pagado', 0, 500, 0, FALSE)"))
    found = tallies.problems()
    assert len(found) == 2, found
    assert found[0].startswith("Totales de declaraciones 2001-") and "desembolsos pagado" in found[1]
    assert set(found) <= set(domain_problems())


def _committed_app(url: str, folder):
    migrate.upgrade(url)
    app = create_app({"ENV_MODE": "testing", "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t" * 40,
                      "DEMO_DATA": False, "DOCUMENT_DIR": str(folder / "documentos")})
    with app.app_context():
        seeding.load_reference()
        db.session.commit()
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def committed(request, tmp_path):
    """An application on a database of its own, whose changes are committed (compaction runs on its own
    connection and sees only committed rows)."""
    url = f"sqlite:///{tmp_path / 'totales.db'}" if request.param == "sqlite" else create_pg_database("tallies")
    app = _committed_app(url, tmp_path)
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


@pytest.fixture
def committed_pg(tmp_path):
    url = create_pg_database("tallies")
    app = _committed_app(url, tmp_path)
    yield app
    app.extensions["portfolio_db"]["engine"].dispose()
    drop_pg_database(url)


def _tally_rows() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(ContributionTally.id))),
            db.session.scalar(select(func.count(ContributionTally.id)).where(ContributionTally.compacted.is_(False))))


def test_compaction_folds_the_tallies_into_one_row_per_key_and_keeps_every_total(committed, monkeypatch):
    monkeypatch.setattr(shared_tallies, "COMPACT_AFTER", 10**9)
    with committed.app_context():
        _varied_contributions(2)
        db.session.commit()
        c = Contribution.__table__
        db.session.execute(update(c).where(c.c.amount_paid == 0).values(amount_paid=c.c.amount_due))
        db.session.commit()
        db.read_only_transaction()  # as a page reads (SQLite: no write lock held while another connection folds)
        before = {tuple(sorted(a.items())): queries.contribution_totals(queries.contribution_list(a, STAFF, today=TODAY))
                  for a in _every_contribution_filter()}
        assert _tally_rows()[1] == 24 + 2 * 8  # one per declaration (24), two per row paid afterwards (8)
    monkeypatch.setattr(shared_tallies, "COMPACT_AFTER", 20)
    with committed.app_context():
        db.read_only_transaction()
        queries.contribution_totals(queries.contribution_list({}, STAFF, today=TODAY))  # past the threshold: folds
    with committed.app_context():
        keys = db.session.execute(select(func.count()).select_from(
            select(Contribution.month, Contribution.due_date, Contribution.amount_paid >= Contribution.amount_due,
                   Contribution.amount_paid > 0).distinct().subquery())).scalar()
        total, pending = _tally_rows()
        assert pending == 0 and total == keys < 2 * 12
        for args in _every_contribution_filter():
            assert queries.contribution_totals(queries.contribution_list(args, STAFF, today=TODAY)) == \
                before[tuple(sorted(args.items()))], args
        _assert_contribution_totals_match()
        db.session.commit()
        assert shared_tallies.compact(tallies.CONTRIBUTIONS) == keys  # folding folded rows changes nothing
        assert _tally_rows() == (keys, 0) and tallies.problems() == []


def _tally_pages() -> int:
    return db.session.scalar(text("SELECT pg_relation_size('trust_contribution_tallies') / current_setting('block_size')::int"))


def test_a_large_fold_gives_the_tally_tables_pages_back(committed, monkeypatch):
    """After a bulk change, the read whose fold is large leaves the tally table a few pages long once its
    transaction has ended (PostgreSQL rewrites the folded rows' pages away), and every total is unchanged."""
    monkeypatch.setattr(shared_tallies, "COMPACT_AFTER", 50)
    monkeypatch.setattr(shared_tallies, "SHRINK_AFTER", 500)
    postgresql = committed.config["DATABASE_URL"].startswith("postgresql")
    with committed.app_context():
        _varied_contributions(2)
        db.session.commit()
        c = Contribution.__table__
        for _ in range(80):  # a bulk change behind the services' back: paid ↔ unpaid, two tally rows per row each time
            db.session.execute(update(c).values(amount_paid=c.c.amount_due - c.c.amount_paid))
        db.session.commit()
        assert _tally_rows()[1] > 80 * 24
        grown = _tally_pages() if postgresql else None
        db.read_only_transaction()
        totals = {tuple(sorted(a.items())): _scanned(queries.contribution_list(a, STAFF, today=TODAY),
                                                     queries.contribution_totals) for a in _every_contribution_filter()}
        queries.contribution_totals(queries.contribution_list({}, STAFF, today=TODAY))  # reads the tallies: folds them
    with committed.app_context():
        assert _tally_rows()[1] == 0 and tallies.problems() == []
        for args in _every_contribution_filter():
            assert queries.contribution_totals(queries.contribution_list(args, STAFF, today=TODAY)) == \
                totals[tuple(sorted(args.items()))], args
        if postgresql:
            assert grown > 20 and _tally_pages() <= 2, (grown, _tally_pages())


def test_shrinking_gives_up_when_the_table_is_in_use_and_leaves_the_connection_as_it_was(committed_pg):
    """A transaction that read the tallies holds them: the rewrite waits ``SHRINK_LOCK_TIMEOUT`` for the lock,
    gives up without an error, and the pooled connection it used keeps no lock timeout."""
    with committed_pg.app_context():
        engine = db.engine()
        engine.pool.dispose()
        with engine.connect() as reader:
            reader.execute(select(func.count(ContributionTally.id)))  # its transaction holds the table until it ends
            assert shared_tallies.shrink(tallies.CONTRIBUTIONS, engine) is False
        assert shared_tallies.shrink(tallies.CONTRIBUTIONS, engine) is True  # nobody holds it now
        pooled = engine.pool.checkedin()
        connections = [engine.connect() for _ in range(pooled)]  # every pooled one, those that ran VACUUM among them
        assert pooled >= 1 and {c.scalar(text("SHOW lock_timeout")) for c in connections} == {"0"}
        for c in connections:
            c.close()


def test_compaction_while_commands_change_rows_loses_nothing(committed_pg):
    """Writers change declarations in their own transactions while another connection compacts over and over
    (PostgreSQL: SQLite runs one writer at a time, so nothing can change during its compaction)."""
    committed = committed_pg
    with committed.app_context():
        _varied_contributions(2)
        db.session.commit()
        ids = db.session.scalars(select(Contribution.id)).all()
    stop, errors = threading.Event(), []

    def write(offset: int):
        try:
            with committed.app_context():
                for i in range(60):
                    cid = ids[(offset + i * 7) % len(ids)]
                    c = Contribution.__table__
                    db.session.execute(update(c).where(c.c.id == cid).values(
                        amount_paid=func.least(c.c.amount_due, c.c.amount_paid + Decimal("0.01"))))
                    db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def fold():
        with committed.app_context():
            while not stop.is_set():
                shared_tallies.compact(tallies.CONTRIBUTIONS)
                shared_tallies.compact(tallies.DISBURSEMENTS)

    folder = threading.Thread(target=fold)
    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    folder.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    folder.join()
    assert errors == []
    with committed.app_context():
        assert tallies.problems() == []
        shared_tallies.compact(tallies.CONTRIBUTIONS)
        assert tallies.problems() == [] and _tally_rows()[1] == 0


def test_a_filter_that_matches_nothing_reads_no_page_of_rows(app, login_as):
    """The tallies say 0 rows: the page does not look for any (a month range with no declarations)."""
    from tests.support import count_statements
    from tests.trust.test_lists import setup_contributions

    setup_contributions(app)
    staff = login_as("staff")

    with count_statements(app) as sql:
        body = staff.get("/fideicomiso/aportes?desde=01/1990&hasta=12/1990").get_data(as_text=True)
    assert "Total de 0 declaraciones filtradas" in body
    assert not [s for s in sql if "FROM trust_contributions" in s], sql
    with count_statements(app) as sql:
        staff.get("/fideicomiso/aportes")
    assert [s for s in sql if "FROM trust_contributions" in s]  # rows there: one page of them is read
