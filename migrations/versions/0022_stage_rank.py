"""projects carry their place in the stage order (``stage_rank``), computed by the database from ``stage``
(stored on PostgreSQL, virtual on SQLite, which cannot add a stored column to an existing table), indexed
with the id: the projects list's default order (by stage, then id) reads the first page from the index
instead of sorting every project on each request.

Revision ID: 0022_stage_rank
Revises: 0021_posting_dates
Create Date: 2026-12-01 19:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_stage_rank"
down_revision = "0021_posting_dates"
branch_labels = None
depends_on = None

INDEX = "ix_projects_stage_rank"
# The stage order at this revision (portfolio.projects.vocab.Stage): a new or reordered stage needs a migration.
STAGE_RANK_SQL = (
    "CASE stage WHEN 'priorizado' THEN 0 WHEN 'actos_previos' THEN 1 WHEN 'en_seleccion' THEN 2 "
    "WHEN 'adjudicado' THEN 3 WHEN 'convenio_suscrito' THEN 4 WHEN 'en_ejecucion' THEN 5 WHEN 'recibido' THEN 6 "
    "WHEN 'liquidado' THEN 7 WHEN 'desierto' THEN 8 WHEN 'suspendido' THEN 9 WHEN 'cancelado' THEN 10 ELSE 99 END"
)


def upgrade() -> None:
    import sqlite3

    persisted = op.get_bind().dialect.name == "postgresql"
    if not persisted and sqlite3.sqlite_version_info < (3, 31):
        raise RuntimeError(f"Se necesita SQLite 3.31 o más reciente (columnas generadas); este Python usa "
                           f"{sqlite3.sqlite_version}. Use un Python más reciente o PostgreSQL (DATABASE_URL).")
    op.add_column("projects", sa.Column("stage_rank", sa.Integer(), sa.Computed(STAGE_RANK_SQL, persisted=persisted)))
    op.create_index(INDEX, "projects", ["stage_rank", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="projects")
    op.execute("ALTER TABLE projects DROP COLUMN stage_rank")
