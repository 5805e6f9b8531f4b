"""projects carry the amount they weigh in lists, sorts and sums (``list_amount``, céntimos): the current
convenio (awarded + ``variations_total``) once awarded, else the reference amount, computed by the database
(stored on PostgreSQL, virtual on SQLite) and indexed with the id, so sorting the projects list by amount
reads one page of the index instead of sorting every project.

Revision ID: 0024_list_amount
Revises: 0023_variations_total
Create Date: 2026-12-01 20:25:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_list_amount"
down_revision = "0023_variations_total"
branch_labels = None
depends_on = None

INDEX = "ix_projects_list_amount"
# portfolio.projects.models.projects.LIST_AMOUNT_SQL at this revision
LIST_AMOUNT_SQL = ("CASE WHEN awarded_amount IS NOT NULL THEN awarded_amount + variations_total "
                   "ELSE COALESCE(reference_amount, 0) END")


def upgrade() -> None:
    persisted = op.get_bind().dialect.name == "postgresql"
    op.add_column("projects", sa.Column("list_amount", sa.BigInteger(),
                                        sa.Computed(LIST_AMOUNT_SQL, persisted=persisted)))
    op.create_index(INDEX, "projects", ["list_amount", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="projects")
    op.execute("ALTER TABLE projects DROP COLUMN list_amount")
