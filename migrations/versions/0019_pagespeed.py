"""Contributions: an index on the declared month, the list's default order (newest month first), so a page of
the list reads 25 rows from the index instead of sorting every declaration.

Revision ID: 0019_pagespeed
Revises: 0011_payment_operation
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0019_pagespeed"
down_revision = "0017_period_balances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_trust_contributions_month", "trust_contributions", ["month"])


def downgrade() -> None:
    op.drop_index("ix_trust_contributions_month", table_name="trust_contributions")
