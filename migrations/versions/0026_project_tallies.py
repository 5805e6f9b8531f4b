"""the projects by stage kept by the database: ``project_tallies`` (per stage and demo flag: projects and the
amount they weigh, ``list_amount``) receives a signed row from a trigger on every insert, change and delete of a
project (−1 and the old amount, +1 and the new), so the pipeline and the projects list's count add a few rows
up instead of grouping every project. The application folds them into one row per key from time to time
(``portfolio.tallies``). Backfilled as one compacted row per key.

Revision ID: 0026_project_tallies
Revises: 0025_list_tallies
Create Date: 2026-12-02 03:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_project_tallies"
down_revision = "0025_list_tallies"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# portfolio.projects.models.projects.LIST_AMOUNT_SQL at this revision, on OLD or NEW ({t})
AMOUNT = ("CASE WHEN {t}.awarded_amount IS NOT NULL THEN {t}.awarded_amount + {t}.variations_total "
          "ELSE COALESCE({t}.reference_amount, 0) END")
WATCHED = "stage, is_demo, awarded_amount, variations_total, reference_amount"


def _insert(row: str, sign: str) -> str:
    return ("INSERT INTO project_tallies (stage, is_demo, row_count, amount, compacted) "  # noqa: S608 - constant SQL
            f"VALUES ({row}.stage, {row}.is_demo, {sign}1, {sign}({AMOUNT.format(t=row)}), FALSE);")


def _triggers(postgresql: bool) -> list[str]:
    events = (("insert", "INSERT"), ("update", f"UPDATE OF {WATCHED}"), ("delete", "DELETE"))
    if postgresql:
        return [f"""CREATE OR REPLACE FUNCTION project_tallies_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {_insert("OLD", "-")} END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {_insert("NEW", "+")} END IF;
    RETURN NULL;
END
$$"""] + [f"CREATE TRIGGER project_tallies_{name} AFTER {event} ON projects FOR EACH ROW "
          "EXECUTE FUNCTION project_tallies_add()" for name, event in events]
    bodies = {"insert": _insert("NEW", "+"), "update": _insert("OLD", "-") + _insert("NEW", "+"),
              "delete": _insert("OLD", "-")}
    return [f"CREATE TRIGGER project_tallies_{name} AFTER {event} ON projects BEGIN {bodies[name]} END"
            for name, event in events]


def upgrade() -> None:
    op.create_table(
        "project_tallies",
        sa.Column("id", ID, nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("compacted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_tallies")),
    )
    op.execute("INSERT INTO project_tallies (stage, is_demo, row_count, amount, compacted) "  # noqa: S608
               f"SELECT stage, is_demo, count(*), sum({AMOUNT.format(t='projects')}), TRUE FROM projects "
               "GROUP BY stage, is_demo")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _triggers(postgresql):
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS project_tallies_{name}" + (" ON projects" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS project_tallies_add()")
    op.drop_table("project_tallies")
