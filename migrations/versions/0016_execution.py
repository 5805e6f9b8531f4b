"""MEF's execution figures per project and year (append-only, versioned, with provenance).

Revision ID: 0016_execution
Revises: 0011_payment_operation
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import protect, unprotect

revision = "0016_execution"
down_revision = "0015_notifications"
branch_labels = None
depends_on = None

MONEY = ("pia", "pim", "certificado", "comprometido", "devengado", "girado")


def upgrade() -> None:
    op.create_table(
        "mef_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("cui", sa.String(length=7), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in MONEY],
        sa.Column("through_month", sa.Integer(), nullable=False),
        sa.Column("executor", sa.String(length=200), nullable=True),
        sa.Column("sec_ejec", sa.String(length=20), nullable=True),
        sa.Column("level", sa.String(length=60), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_mef_executions_version_positive")),
        sa.CheckConstraint("through_month BETWEEN 0 AND 12", name=op.f("ck_mef_executions_month_range")),
        sa.CheckConstraint("first_row <= last_row AND row_count >= 1", name=op.f("ck_mef_executions_rows_sane")),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], name=op.f("fk_mef_executions_batch_id_import_batches")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_mef_executions_project_id_projects")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_mef_executions_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mef_executions")),
        sa.UniqueConstraint("project_id", "year", "version", name="uq_mef_executions_version"),
    )
    with op.batch_alter_table("mef_executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mef_executions_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mef_executions_batch_id"), ["batch_id"], unique=False)
    protect("mef_executions")


def downgrade() -> None:
    unprotect("mef_executions")
    with op.batch_alter_table("mef_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mef_executions_batch_id"))
        batch_op.drop_index(batch_op.f("ix_mef_executions_project_id"))
    op.drop_table("mef_executions")
