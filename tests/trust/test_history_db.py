"""The database itself keeps the history (direct SQL, no ORM guard in the way): entries need balanced
postings at commit, closed periods take no postings and close in order, every history table refuses what
may not change (portfolio/immutability.py), and ``verify`` reports postings into a closed period."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from portfolio import db, seeding
from portfolio.immutability import HISTORY, ORDINARY
from portfolio.models import metadata
from portfolio.trust import ledger
from tests.trust.conftest import TODAY, key

D = Decimal
REFUSED = "solo inserción|guarda historia"
MAY, MAY_10 = dt.date(2026, 5, 1), dt.date(2026, 5, 10)


def dialect() -> str:
    return db.session.get_bind().dialect.name


def refused(sql: str, params: dict | None = None, match: str = REFUSED) -> None:
    with pytest.raises(DBAPIError, match=match):
        with db.session.begin_nested():
            db.session.execute(text(sql), params or {})


def allowed(sql: str, params: dict | None = None) -> None:
    with db.session.begin_nested():
        assert db.session.execute(text(sql), params or {}).rowcount == 1


@pytest.fixture
def accounts(ctx):
    bank = ledger.get_or_create_account(db.session, "H-BANK", "Banco", "asset")
    income = ledger.get_or_create_account(db.session, "H-INC", "Ingresos", "income")
    return bank, income


def post(bank, income, amount="10.00", day=TODAY):
    return ledger.post_entry(db.session, key=key(), kind="prueba", memo="prueba", effective_date=day,
                             lines=ledger.transfer_lines(bank, income, D(amount)))


def raw_entry(day: dt.date, cents: int = 500, created_at: dt.datetime | None = None) -> int:
    values = {"key": key(), "kind": "x", "memo": "x", "effective_date": day, "total": D(cents) / 100}
    if created_at is not None:
        values["created_at"] = created_at
    return db.session.execute(insert(ledger.Entry.__table__).values(**values)
                              .returning(ledger.Entry.__table__.c.id)).scalar_one()


def raw_postings(entry_id: int, bank, income, cents: int = 500) -> None:
    """Two balanced postings written straight into the table, dated as their entry (as the database requires)."""
    amount = D(cents) / 100
    day = db.session.scalar(select(ledger.Entry.effective_date).where(ledger.Entry.id == entry_id))
    db.session.execute(insert(ledger.Posting.__table__), [
        {"entry_id": entry_id, "account_id": bank.id, "debit": amount, "credit": D("0.00"), "effective_date": day},
        {"entry_id": entry_id, "account_id": income.id, "debit": D("0.00"), "credit": amount, "effective_date": day}])


# --- 8: an entry header needs >= 2 balanced postings at commit (PostgreSQL: deferred constraint trigger) ---

@pytest.mark.postgresql_only
def test_entry_header_without_postings_is_refused_at_commit(accounts):
    raw_entry(TODAY)
    with pytest.raises(DBAPIError, match="no cuadra"):
        db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


@pytest.mark.postgresql_only
def test_entry_header_then_balanced_postings_is_accepted_at_commit(accounts):
    bank, income = accounts
    entry_id = raw_entry(TODAY)
    raw_postings(entry_id, bank, income)
    db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # no error: checked and balanced
    assert db.session.scalar(select(func.count()).where(ledger.Posting.entry_id == entry_id)) == 2


# --- 10: no postings into a closed period, and verify reports any that exist --------------------------------

def test_database_refuses_entries_and_postings_dated_in_a_closed_period(accounts):
    bank, income = accounts
    may_entry = post(bank, income, day=MAY_10)
    ledger.close_period(db.session, MAY, today=TODAY)
    with pytest.raises(DBAPIError, match="cerrado"):
        with db.session.begin_nested():
            raw_entry(dt.date(2026, 5, 31))
    with pytest.raises(DBAPIError, match="cerrado"):
        with db.session.begin_nested():
            raw_postings(may_entry.id, bank, income)
    with db.session.begin_nested():  # the open month still takes them
        raw_postings(raw_entry(dt.date(2026, 6, 1)), bank, income)


def test_verify_reports_an_entry_slipped_into_a_closed_period(accounts):
    """Even with a created_at from before the close (it is just a column), the period's frozen figures
    show the entry: verify names it."""
    bank, income = accounts
    post(bank, income, day=MAY_10)
    ledger.close_period(db.session, MAY, today=TODAY)
    assert ledger.verify(db.session) == []
    # the owner bypasses the triggers (what the application role cannot do, see test_app_role_pg.py)
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS ledger_entries_open_period"))
        db.session.execute(text("DROP TRIGGER IF EXISTS ledger_postings_open_period"))
    late = raw_entry(dt.date(2026, 5, 20), created_at=dt.datetime(2026, 5, 20, 15, 0, tzinfo=dt.UTC))
    raw_postings(late, bank, income)
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = origin"))
    problems = ledger.verify(db.session)
    assert f"Asiento {late}: registrado en el periodo 05/2026 después de su cierre." in problems
    assert any(p.startswith("Periodo 05/2026 (cerrado): al cierre tenía 1 asientos") for p in problems), problems


# --- 11: periods close in order, from the month of the first entry ---------------------------------------------

def test_database_closes_periods_in_order_from_the_first_entry(accounts):
    bank, income = accounts
    post(bank, income, day=dt.date(2026, 4, 3))
    post(bank, income, day=MAY_10)
    period = ("INSERT INTO ledger_periods (month, closed_at, entry_count, entry_total, last_entry_id) "
              "VALUES (:m, :at, :n, :t, :last)")
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    def figures(month):
        n, total, last = ledger.month_figures(db.session, month)
        return {"m": month, "at": now, "n": n, "t": int(total * 100), "last": last}

    for month in (dt.date(2026, 3, 1), MAY):  # before the first entry's month; skipping April
        refused(period, figures(month), match="orden|primer")
    refused(period, {**figures(dt.date(2026, 4, 1)), "n": 0}, match="coincide")
    refused(period, {**figures(dt.date(2026, 4, 1)), "t": 999}, match="coincide")
    allowed(period, figures(dt.date(2026, 4, 1)))
    allowed(period, figures(MAY))


# --- 9: what may change in each history table ---------------------------------------------------------------

def test_every_table_is_either_history_or_ordinary_data():
    """A new table must be classified (and, if it is history, protected by a migration)."""
    history = {h.table for h in HISTORY}
    assert not history & set(ORDINARY)
    assert set(metadata.tables) == history | set(ORDINARY)


@pytest.fixture
def demo(app, ctx):
    """The demo data (rows in every history table) plus a login attempt, an import batch and an issued PDF."""
    from portfolio.auth.models import LoginAttempt, User
    from portfolio.imports.models import ImportBatch

    seeding.load_demo()
    user = db.session.scalar(select(User).order_by(User.id))
    db.session.add(LoginAttempt(email="x@prueba.pe", address="127.0.0.1", success=False))
    db.session.add(ImportBatch(kind="aportes", scope="x", sha256="0" * 64, filename="a.csv", file_type="csv",
                               user_id=user.id, status="aplicado", rows_json="[]", applied_at=db.utcnow()))
    from portfolio.pdfs.models import IssuedDocument

    db.session.add(IssuedDocument(code="0000-0000-0000", kind="ficha_proyecto", title="Ficha del proyecto", subject="x",
                                  params_json="{}", figures_json="[]", figures_sha256="0" * 64, pdf_sha256="0" * 64,
                                  pdf_size=1, issued_by_id=user.id))
    db.session.flush()
    if dialect() == "postgresql":
        db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # check the demo entries now (TRUNCATE below)


def test_history_rows_cannot_be_rewritten_deleted_or_truncated(demo):
    for table in (h.table for h in HISTORY):
        row_id = db.session.scalar(text(f"SELECT min(id) FROM {table}"))  # noqa: S608 - names from the registry
        assert row_id is not None, f"no demo row in {table}"
        refused(f"UPDATE {table} SET id = id + 1000000 WHERE id = :id", {"id": row_id})  # noqa: S608
        refused(f"DELETE FROM {table} WHERE id = :id", {"id": row_id})  # noqa: S608
        if dialect() == "postgresql":
            refused(f"TRUNCATE {table} CASCADE")
        assert db.session.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"),  # noqa: S608
                                 {"id": row_id}) == 1


OUTSIDE_THE_RULE = [
    "UPDATE trust_payments SET status = 'registrado' WHERE status = 'confirmado'",
    "UPDATE trust_payments SET amount = amount + 1 WHERE status = 'confirmado'",
    "UPDATE trust_payments SET entry_id = NULL WHERE entry_id IS NOT NULL",
    "UPDATE trust_disbursements SET status = 'solicitado' WHERE status = 'pagado'",
    "UPDATE trust_disbursements SET paid_amount = paid_amount - 1 WHERE paid_amount > 0",
    "UPDATE trust_disbursements SET amount = amount + 1 WHERE status = 'solicitado'",
    "UPDATE ledger_transfers SET status = 'pending' WHERE status <> 'pending'",
    "UPDATE ledger_transfers SET posted_amount = posted_amount - 1 WHERE posted_amount > 0",
    "UPDATE ledger_accounts SET code = code || 'X' WHERE code = '1011'",
    "UPDATE ledger_commands SET result_id = result_id + 1 WHERE result_id IS NOT NULL",
    "UPDATE ledger_commands SET payload_hash = 'x' WHERE result_id IS NOT NULL",
    "UPDATE trust_contributions SET current_version = current_version - 1 WHERE current_version > 1",
    "UPDATE trust_contributions SET due_date = month WHERE amount_due > 0",
    "UPDATE project_certificates SET status = 'solicitado' WHERE status <> 'solicitado'",
    "UPDATE project_certificates SET amount = amount + 1 WHERE status = 'solicitado'",
    "UPDATE import_batches SET status = 'pendiente' WHERE status = 'aplicado'",
    "UPDATE indicator_targets SET year = year + 1 WHERE value IS NOT NULL",
    "UPDATE trust_program_allocations SET year = year + 10 WHERE amount > 0",
    "UPDATE ledger_period_balances SET debit = debit - 1 WHERE debit > 0",
    "UPDATE ledger_period_balances SET month = '2001-01-01' WHERE credit > 0",
    "UPDATE ledger_period_balances SET account_id = account_id + 1 WHERE debit > 0",
    "UPDATE ledger_periods SET entry_count = entry_count + 1 WHERE entry_count >= 0",
    "UPDATE trust_votes SET decision = 'rechazar' WHERE decision = 'aprobar'",
    "UPDATE trust_tranches SET amount = amount + 1 WHERE amount > 0",
    "UPDATE trust_contribution_versions SET payroll = payroll + 1 WHERE payroll > 0",
    "UPDATE trust_bank_balances SET balance = balance + 1 WHERE balance >= 0",
    "UPDATE documents SET is_public = NOT is_public WHERE version >= 1",
    "UPDATE documents SET filename = 'otro.pdf' WHERE status = 'vigente'",
    "UPDATE document_blobs SET size = size + 1 WHERE size > 0",
    "UPDATE vote_documents SET sha256 = 'x' WHERE id > 0",
]
WITHIN_THE_RULE = [
    "UPDATE ledger_accounts SET balance = balance + 1 WHERE code = '4100'",
    "UPDATE ledger_period_balances SET debit = debit + 1 WHERE id = (SELECT min(id) FROM ledger_period_balances)",
    "UPDATE trust_contributions SET amount_due = amount_due + 1 WHERE id = (SELECT min(id) FROM trust_contributions)",
    "UPDATE trust_program_allocations SET amount = amount + 1 WHERE id = (SELECT min(id) FROM trust_program_allocations)",
    "UPDATE indicator_targets SET value = value + 1 WHERE id = (SELECT min(id) FROM indicator_targets)",
    "UPDATE project_certificates SET status = 'anulado', version = version + 1 "
    "WHERE id = (SELECT min(id) FROM project_certificates WHERE status = 'emitido')",
    "UPDATE trust_disbursements SET status = 'cancelado', cancel_reason = 'x' "
    "WHERE id = (SELECT min(id) FROM trust_disbursements WHERE status = 'solicitado')",
    "UPDATE trust_payments SET status = 'revertido', reversal_entry_id = entry_id, decision_note = 'x' "
    "WHERE id = (SELECT min(id) FROM trust_payments WHERE status = 'confirmado' AND decision_note IS NULL)",
    "UPDATE documents SET status = 'retirado', withdraw_reason = 'x' WHERE id = (SELECT min(id) FROM documents)",
]


def test_transition_tables_refuse_changes_outside_their_rule(demo):
    for sql in OUTSIDE_THE_RULE:
        table, condition = sql.split()[1], sql.split(" WHERE ", 1)[1]
        assert db.session.execute(text(f"SELECT 1 FROM {table} WHERE {condition}")).first(), f"no row: {sql}"  # noqa: S608
        refused(sql)


def test_transition_tables_accept_the_changes_their_rule_allows(demo):
    for sql in WITHIN_THE_RULE:
        allowed(sql)
