"""ledger postings carry their entry's effective date, indexed with the account: a company's statement and
the postings part of a balance at a date read the account's postings of those dates from one index range,
instead of every posting the account ever had. Backfilled from the entries; on both databases a trigger
refuses a posting whose date is missing or differs from its entry's (``ledger verify`` checks it too).

Revision ID: 0021_posting_dates
Revises: 0020_followup
Create Date: 2026-12-01 15:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = "0021_posting_dates"
down_revision = "0020_followup"
branch_labels = None
depends_on = None

INDEX = "ix_ledger_postings_account_date"
TRIGGER = "ledger_postings_entry_date"
PG_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_posting_entry_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.effective_date IS NULL OR NEW.effective_date IS DISTINCT FROM
            (SELECT effective_date FROM ledger_entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'la fecha del movimiento debe ser la de su asiento' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ledger_postings_entry_date BEFORE INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_entry_date();
"""
SQLITE_TRIGGER = """CREATE TRIGGER ledger_postings_entry_date BEFORE INSERT ON ledger_postings
    WHEN NEW.effective_date IS NULL
      OR NEW.effective_date IS NOT (SELECT effective_date FROM ledger_entries WHERE id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'la fecha del movimiento debe ser la de su asiento'); END"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("ledger_postings", sa.Column("effective_date", sa.Date(), nullable=True))
    with unprotected("ledger_postings"):
        op.execute("UPDATE ledger_postings SET effective_date = "
                   "(SELECT e.effective_date FROM ledger_entries e WHERE e.id = ledger_postings.entry_id)")
    op.create_index(INDEX, "ledger_postings", ["account_id", "effective_date"])
    op.execute(PG_TRIGGER if dialect == "postgresql" else SQLITE_TRIGGER)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON ledger_postings")
        op.execute("DROP FUNCTION IF EXISTS ledger_posting_entry_date()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    op.drop_index(INDEX, table_name="ledger_postings")
    with unprotected("ledger_postings"):
        op.execute("ALTER TABLE ledger_postings DROP COLUMN effective_date")
