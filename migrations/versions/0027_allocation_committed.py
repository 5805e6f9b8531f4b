"""a program's annual allocation keeps what its disbursements commit (``committed``, céntimos): a trigger on
trust_disbursements adds a disbursement's part when it is approved and takes back what a cancellation
releases, on both databases, and a CHECK keeps it between 0 and the allocation. An approval then reads one row
(locked) instead of adding up every disbursement of the program's year, and no approval, however it reaches the
database, commits more than the allocation, nor commits anything where the program has no allocation that year.
Backfilled from the existing disbursements.

A disbursement's part is ``portfolio.trust.services.disbursements.committed_for`` per row at this revision: its
amount once approved (aprobado, en ejecución, pagado), what was paid of it once cancelled, nothing otherwise.

Revision ID: 0027_allocation_committed
Revises: 0026_project_tallies
Create Date: 2026-12-03 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = "0027_allocation_committed"
down_revision = "0026_project_tallies"
branch_labels = None
depends_on = None

TABLE = "trust_program_allocations"
CHECK = "ck_trust_program_allocations_committed_within_amount"
TRIGGERS = ("trust_allocation_committed_insert", "trust_allocation_committed_update", "trust_allocation_committed_delete")
# a disbursement's part of its allocation, on OLD or NEW ({t}); the statuses of COMMITTED_DISBURSEMENTS
PART = ("(CASE WHEN {t}.status IN ('aprobado', 'en_ejecucion', 'pagado') THEN {t}.amount "
        "WHEN {t}.status = 'cancelado' THEN {t}.paid_amount ELSE 0 END)")
WATCHED = "status, amount, paid_amount, program_id, year"
NO_ALLOCATION = "un desembolso aprobado necesita la asignación de su programa para ese año"
SAME_YEAR = "{t}.program_id = trust_program_allocations.program_id AND {t}.year = trust_program_allocations.year"


def _add(row: str, sign: str) -> str:
    return (f"UPDATE {TABLE} SET committed = committed {sign} {PART.format(t=row)} "  # noqa: S608 - constant SQL
            f"WHERE {SAME_YEAR.format(t=row)};")


_CHANGED = (f"{PART.format(t='OLD')} <> {PART.format(t='NEW')} OR OLD.program_id <> NEW.program_id "
            "OR OLD.year <> NEW.year")
# the triggers fire only when a disbursement's part changes (an approval, a cancellation): a request, a vote
# that decides nothing, a rejection or a tranche never reach the allocation
PG = f"""
CREATE OR REPLACE FUNCTION trust_allocation_committed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- every change of a year's committed total takes turns on a lock named after the allocation first: its
    -- queue is first come, first served, where waiters on a row that each of them updates are not (a late
    -- comer finds the newest version free and goes before those waiting on an older one)
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('trust.allocation:' || NEW.program_id || ':' || NEW.year, 0));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR OLD.program_id <> NEW.program_id OR OLD.year <> NEW.year) THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('trust.allocation:' || OLD.program_id || ':' || OLD.year, 0));
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.program_id = NEW.program_id AND OLD.year = NEW.year THEN  -- one row version
        UPDATE {TABLE} SET committed = committed + {PART.format(t="NEW")} - {PART.format(t="OLD")}
            WHERE {SAME_YEAR.format(t="NEW")};
        IF NOT FOUND AND {PART.format(t="NEW")} <> 0 THEN
            RAISE EXCEPTION '{NO_ALLOCATION}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE {TABLE} SET committed = committed - {PART.format(t="OLD")} WHERE {SAME_YEAR.format(t="OLD")};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND {PART.format(t="NEW")} <> 0 THEN
        UPDATE {TABLE} SET committed = committed + {PART.format(t="NEW")} WHERE {SAME_YEAR.format(t="NEW")};
        IF NOT FOUND THEN
            RAISE EXCEPTION '{NO_ALLOCATION}' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_allocation_committed_insert AFTER INSERT ON trust_disbursements
    FOR EACH ROW WHEN ({PART.format(t="NEW")} <> 0) EXECUTE FUNCTION trust_allocation_committed();
CREATE TRIGGER trust_allocation_committed_update AFTER UPDATE OF {WATCHED} ON trust_disbursements
    FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION trust_allocation_committed();
CREATE TRIGGER trust_allocation_committed_delete AFTER DELETE ON trust_disbursements
    FOR EACH ROW WHEN ({PART.format(t="OLD")} <> 0) EXECUTE FUNCTION trust_allocation_committed();
"""  # noqa: S608 - constant SQL
_MISSING = (f"SELECT RAISE(ABORT, '{NO_ALLOCATION}') WHERE {PART.format(t='NEW')} <> 0 AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {TABLE} WHERE {SAME_YEAR.format(t='NEW')});")
SQLITE = (
    f"CREATE TRIGGER trust_allocation_committed_insert AFTER INSERT ON trust_disbursements "
    f"WHEN {PART.format(t='NEW')} <> 0 BEGIN {_MISSING} {_add('NEW', '+')} END",
    f"CREATE TRIGGER trust_allocation_committed_update AFTER UPDATE OF {WATCHED} ON trust_disbursements "
    f"WHEN {_CHANGED} BEGIN {_add('OLD', '-')} {_MISSING} {_add('NEW', '+')} END",
    f"CREATE TRIGGER trust_allocation_committed_delete AFTER DELETE ON trust_disbursements "
    f"WHEN {PART.format(t='OLD')} <> 0 BEGIN {_add('OLD', '-')} END",
)
BACKFILL = (f"UPDATE {TABLE} SET committed = COALESCE((SELECT SUM({PART.format(t='d')}) "  # noqa: S608
            f"FROM trust_disbursements d WHERE {SAME_YEAR.format(t='d')}), 0)")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with unprotected(TABLE):  # SQLite rebuilds the table for the CHECK, without its history triggers
        with op.batch_alter_table(TABLE) as batch:
            batch.add_column(sa.Column("committed", sa.BigInteger(), server_default="0", nullable=False))
        op.execute(BACKFILL)
        with op.batch_alter_table(TABLE) as batch:
            batch.create_check_constraint(op.f(CHECK), "committed >= 0 AND committed <= amount")
    if postgresql:
        op.execute(PG)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON trust_disbursements" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS trust_allocation_committed()")
    with unprotected(TABLE):
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_constraint(op.f(CHECK), type_="check")
            batch.drop_column("committed")
