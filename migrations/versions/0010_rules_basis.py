"""Rule values of the trust cite the Comité Técnico's resolution: number and date.

Revision ID: 0010_rules_basis
Revises: 0006_indicators
Create Date: 2026-12-01 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = "0010_rules_basis"
down_revision = "0009_event_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with unprotected("rule_values"), op.batch_alter_table("rule_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution_number", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("resolution_date", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            "resolution_complete", "(resolution_number IS NULL) = (resolution_date IS NULL)")


def downgrade() -> None:
    with unprotected("rule_values"), op.batch_alter_table("rule_values", schema=None) as batch_op:
        batch_op.drop_constraint("resolution_complete", type_="check")
        batch_op.drop_column("resolution_date")
        batch_op.drop_column("resolution_number")
