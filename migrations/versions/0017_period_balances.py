"""ledger period balances: the debits and credits of each account per month, kept with the postings, so a
balance at a date (statements, the bank reconciliation) reads whole months plus one month's postings
instead of every posting up to the date. Backfilled from the existing postings; the rows are a history
table whose debit and credit only grow (triggers from ``portfolio.immutability``).

Revision ID: 0017_period_balances
Revises: 0011_payment_operation
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import protect, unprotect

revision = "0017_period_balances"
down_revision = "0016_execution"
branch_labels = None
depends_on = None

TABLE = "ledger_period_balances"
MONTH = {
    "postgresql": "CAST(date_trunc('month', e.effective_date) AS date)",
    "sqlite": "date(e.effective_date, 'start of month')",
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("debit >= 0 AND credit >= 0", name=op.f("ck_ledger_period_balances_not_negative")),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"],
                                name=op.f("fk_ledger_period_balances_account_id_ledger_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_period_balances")),
        sa.UniqueConstraint("account_id", "month", name=op.f("uq_ledger_period_balances_account_id")),
    )
    month = MONTH[op.get_bind().dialect.name]
    backfill = (f"INSERT INTO {TABLE} (account_id, month, debit, credit) "  # noqa: S608 - constant SQL, no input
                f"SELECT p.account_id, {month}, sum(p.debit), sum(p.credit) "
                "FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id "
                f"GROUP BY p.account_id, {month}")
    op.execute(backfill)
    protect(TABLE)


def downgrade() -> None:
    unprotect(TABLE)
    op.drop_table(TABLE)
