"""the contributions and disbursements lists' totals kept by the database: ``trust_contribution_tallies`` (per
month, due date and paid state) and ``trust_disbursement_tallies`` (per status) receive a signed row from a
trigger on every insert, change and delete of a declaration or a disbursement (−1 and the old amounts, +1 and
the new). The lists add the tallies up instead of scanning every row; the application folds them into one
row per key from time to time. Triggers only append, so concurrent money commands never wait on a totals row.
Backfilled as one compacted row per key.

Revision ID: 0025_list_tallies
Revises: 0024_list_amount
Create Date: 2026-12-01 23:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_list_tallies"
down_revision = "0024_list_amount"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # every change takes an id; SQLite's rowid is 64-bit
# portfolio.trust.models' PAID / PART_PAID / NOTHING_PAID (``ledger verify`` recomputes the tallies with them).
PAID_STATE = "CASE WHEN {t}.amount_paid >= {t}.amount_due THEN 2 WHEN {t}.amount_paid > 0 THEN 1 ELSE 0 END"
# table, tally table, watched columns, (tally column, value with {t} for OLD or NEW) pairs
TALLIES = {
    "trust_contributions": ("trust_contribution_tallies", ("month", "due_date", "amount_due", "amount_paid"), (
        ("month", "{t}.month", False), ("due_date", "{t}.due_date", False), ("paid_state", PAID_STATE, False),
        ("row_count", "1", True), ("amount_due", "{t}.amount_due", True), ("amount_paid", "{t}.amount_paid", True))),
    "trust_disbursements": ("trust_disbursement_tallies", ("status", "amount", "paid_amount"), (
        ("status", "{t}.status", False), ("row_count", "1", True), ("amount", "{t}.amount", True),
        ("paid_amount", "{t}.paid_amount", True))),
}


def _insert(table: str, row: str, sign: str) -> str:
    """The tally INSERT for OLD (sign −) or NEW (sign +) of ``table``."""
    tally, _watched, columns = TALLIES[table]
    names = ", ".join(name for name, _value, _signed in columns)
    values = ", ".join((f"{sign}({value})" if signed else value).format(t=row) for _name, value, signed in columns)
    return f"INSERT INTO {tally} ({names}, compacted) VALUES ({values}, FALSE);"  # noqa: S608 - constant SQL


def _triggers(table: str, postgresql: bool) -> list[str]:
    tally, watched, _columns = TALLIES[table]
    events = (("insert", "INSERT"), ("update", f"UPDATE OF {', '.join(watched)}"), ("delete", "DELETE"))
    if postgresql:
        return [f"""CREATE OR REPLACE FUNCTION {tally}_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {_insert(table, "OLD", "-")} END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {_insert(table, "NEW", "+")} END IF;
    RETURN NULL;
END
$$"""] + [f"CREATE TRIGGER {tally}_{name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {tally}_add()"
          for name, event in events]
    bodies = {"insert": _insert(table, "NEW", "+"), "update": _insert(table, "OLD", "-") + _insert(table, "NEW", "+"),
              "delete": _insert(table, "OLD", "-")}
    return [f"CREATE TRIGGER {tally}_{name} AFTER {event} ON {table} BEGIN {bodies[name]} END"
            for name, event in events]


def upgrade() -> None:
    op.create_table(
        "trust_contribution_tallies",
        sa.Column("id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("paid_state", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("compacted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_contribution_tallies")),
    )
    op.create_table(
        "trust_disbursement_tallies",
        sa.Column("id", ID, nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("compacted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_disbursement_tallies")),
    )
    state = PAID_STATE.format(t="trust_contributions")
    op.execute("INSERT INTO trust_contribution_tallies (month, due_date, paid_state, row_count, amount_due, amount_paid,"  # noqa: S608
               f" compacted) SELECT month, due_date, {state}, count(*), sum(amount_due), sum(amount_paid), TRUE "
               f"FROM trust_contributions GROUP BY month, due_date, {state}")
    op.execute("INSERT INTO trust_disbursement_tallies (status, row_count, amount, paid_amount, compacted) "
               "SELECT status, count(*), sum(amount), sum(paid_amount), TRUE FROM trust_disbursements GROUP BY status")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TALLIES:
        for statement in _triggers(table, postgresql):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (tally, _watched, _columns) in TALLIES.items():
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {tally}_{name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {tally}_add()")
        op.drop_table(tally)
