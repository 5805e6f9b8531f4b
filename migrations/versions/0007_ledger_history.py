"""ledger history: entries need balanced postings at commit, no postings into closed periods, periods close
in order and freeze what they held, every history table refuses what may not change

Revision ID: 0007_ledger_history
Revises: 0006_indicators
Create Date: 2026-11-30 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import HISTORY, drop_append_only, make_append_only, protect, unprotect

revision = "0007_ledger_history"
down_revision = "0006_indicators"
branch_labels = None
depends_on = None

# Protected by earlier migrations (append-only): audit_log, stage history, budget revisions, the ledger.
EARLIER = ("audit_log", "project_stage_transitions", "budget_revisions", "ledger_entries", "ledger_postings",
           "ledger_periods")
# Created and protected by later migrations (the registry grows; this revision must not reach them).
LATER = ("document_blobs", "documents", "vote_documents")
NEW = tuple(h.table for h in HISTORY if h.table not in EARLIER + LATER)

# PostgreSQL: at commit, an entry header must have >= 2 postings that balance and equal its total, whatever
# the insert order (the postings' trigger only fires when there are postings).
PG_ENTRY_BALANCED = """
CREATE OR REPLACE FUNCTION ledger_entry_header_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n integer; d bigint; c bigint;
BEGIN
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, d, c
      FROM ledger_postings WHERE entry_id = NEW.id;
    IF n < 2 OR d <> c OR d <> NEW.total THEN
        RAISE EXCEPTION 'el asiento % no cuadra (% movimientos, debe %, haber %, total %)', NEW.id, n, d, c, NEW.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_header_balanced();
"""

PG_OPEN_PERIOD = """
CREATE OR REPLACE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d date;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        d := NEW.effective_date;
    ELSE
        SELECT effective_date INTO d FROM ledger_entries WHERE id = NEW.entry_id;
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_periods WHERE month = date_trunc('month', d)::date) THEN
        RAISE EXCEPTION 'el periodo % está cerrado: no admite asientos', to_char(d, 'MM/YYYY')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ledger_entries_open_period BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();
CREATE TRIGGER ledger_postings_open_period BEFORE INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();
"""

# A period closes after the previous month (the first one: the month of the ledger's first entry) and
# freezes the month's entry count, total and highest entry id at that moment.
PG_PERIOD_ORDER = """
CREATE OR REPLACE FUNCTION ledger_period_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE first_month date; n integer; t bigint; last_id integer;
BEGIN
    IF NEW.month <> date_trunc('month', NEW.month)::date THEN
        RAISE EXCEPTION 'un periodo es un mes: use su primer día' USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_periods) THEN
        IF NOT EXISTS (SELECT 1 FROM ledger_periods WHERE month = (NEW.month - interval '1 month')::date) THEN
            RAISE EXCEPTION 'los periodos se cierran en orden: el mes anterior a % sigue abierto',
                to_char(NEW.month, 'MM/YYYY') USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        SELECT date_trunc('month', min(effective_date))::date INTO first_month FROM ledger_entries;
        IF first_month IS NULL OR NEW.month <> first_month THEN
            RAISE EXCEPTION 'el primer periodo a cerrar es el mes del primer asiento (%)',
                coalesce(to_char(first_month, 'MM/YYYY'), 'sin asientos') USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    SELECT count(*), coalesce(sum(total), 0), max(id) INTO n, t, last_id FROM ledger_entries
     WHERE effective_date >= NEW.month AND effective_date < (NEW.month + interval '1 month')::date;
    IF NEW.entry_count <> n OR NEW.entry_total <> t OR NEW.last_entry_id IS DISTINCT FROM last_id THEN
        RAISE EXCEPTION 'el cierre de % no coincide con sus asientos (% asientos, total %)',
            to_char(NEW.month, 'MM/YYYY'), n, t USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ledger_periods_in_order BEFORE INSERT ON ledger_periods
    FOR EACH ROW EXECUTE FUNCTION ledger_period_in_order();
"""

SQLITE_TRIGGERS = [
    """CREATE TRIGGER ledger_entries_open_period BEFORE INSERT ON ledger_entries
    WHEN EXISTS (SELECT 1 FROM ledger_periods WHERE month = strftime('%Y-%m-01', NEW.effective_date))
    BEGIN SELECT RAISE(ABORT, 'el periodo está cerrado: no admite asientos'); END""",
    """CREATE TRIGGER ledger_postings_open_period BEFORE INSERT ON ledger_postings
    WHEN EXISTS (SELECT 1 FROM ledger_periods p JOIN ledger_entries e ON p.month = strftime('%Y-%m-01', e.effective_date)
                 WHERE e.id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'el periodo está cerrado: no admite asientos'); END""",
    """CREATE TRIGGER ledger_periods_in_order BEFORE INSERT ON ledger_periods
    WHEN NEW.month IS NOT strftime('%Y-%m-01', NEW.month)
      OR (EXISTS (SELECT 1 FROM ledger_periods)
          AND NOT EXISTS (SELECT 1 FROM ledger_periods WHERE month = date(NEW.month, '-1 month')))
      OR (NOT EXISTS (SELECT 1 FROM ledger_periods)
          AND NEW.month IS NOT (SELECT strftime('%Y-%m-01', min(effective_date)) FROM ledger_entries))
    BEGIN SELECT RAISE(ABORT, 'los periodos se cierran en orden, desde el mes del primer asiento'); END""",
    """CREATE TRIGGER ledger_periods_frozen_totals BEFORE INSERT ON ledger_periods
    WHEN NEW.entry_count IS NOT (SELECT count(*) FROM ledger_entries WHERE effective_date >= NEW.month
                                 AND effective_date < date(NEW.month, '+1 month'))
      OR NEW.entry_total IS NOT (SELECT coalesce(sum(total), 0) FROM ledger_entries WHERE effective_date >= NEW.month
                                 AND effective_date < date(NEW.month, '+1 month'))
      OR NEW.last_entry_id IS NOT (SELECT max(id) FROM ledger_entries WHERE effective_date >= NEW.month
                                   AND effective_date < date(NEW.month, '+1 month'))
    BEGIN SELECT RAISE(ABORT, 'el cierre no coincide con los asientos del mes'); END""",
]
SQLITE_TRIGGER_NAMES = ("ledger_entries_open_period", "ledger_postings_open_period", "ledger_periods_in_order",
                        "ledger_periods_frozen_totals")


def _backfill_periods(dialect: str) -> None:
    """Closed periods from before this revision: freeze what their months hold now."""
    nxt = "(ledger_periods.month + interval '1 month')::date" if dialect == "postgresql" \
        else "date(ledger_periods.month, '+1 month')"
    in_month = f"e.effective_date >= ledger_periods.month AND e.effective_date < {nxt}"
    sql = (f"UPDATE ledger_periods SET entry_count = (SELECT count(*) FROM ledger_entries e WHERE {in_month}), "  # noqa: S608
           f"entry_total = (SELECT coalesce(sum(e.total), 0) FROM ledger_entries e WHERE {in_month}), "
           f"last_entry_id = (SELECT max(e.id) FROM ledger_entries e WHERE {in_month})")
    op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    drop_append_only("ledger_periods")
    with op.batch_alter_table("ledger_periods", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("entry_total", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("last_entry_id", sa.Integer(), nullable=True))
    _backfill_periods(dialect)
    with op.batch_alter_table("ledger_periods", schema=None) as batch_op:
        batch_op.alter_column("entry_count", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("entry_total", existing_type=sa.BigInteger(), nullable=False)
    make_append_only("ledger_periods")

    if dialect == "postgresql":
        op.execute(PG_ENTRY_BALANCED)
        op.execute(PG_OPEN_PERIOD)
        op.execute(PG_PERIOD_ORDER)
    else:
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)
    for table in NEW:
        protect(table)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in NEW:
        unprotect(table)
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_periods_in_order ON ledger_periods")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_open_period ON ledger_entries")
        op.execute("DROP TRIGGER IF EXISTS ledger_postings_open_period ON ledger_postings")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_period_in_order()")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_closed_period()")
        op.execute("DROP FUNCTION IF EXISTS ledger_entry_header_balanced()")
        op.execute("DROP FUNCTION IF EXISTS portfolio_forbid_history_change()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    drop_append_only("ledger_periods")
    with op.batch_alter_table("ledger_periods", schema=None) as batch_op:
        batch_op.drop_column("last_entry_id")
        batch_op.drop_column("entry_total")
        batch_op.drop_column("entry_count")
    make_append_only("ledger_periods")
