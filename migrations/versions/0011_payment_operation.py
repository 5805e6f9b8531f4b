"""Payments: a bank + operation number is unique per company when registered, and unique among confirmed
payments whatever the company (partial unique index on bank and the operation number, which a CHECK keeps
normalised: upper case, no spaces).

A company's registration no longer depends on other companies' payments (so it reveals nothing about them);
the trust still never counts one bank transfer twice.

Downgrading restores the global (bank, operation number) constraint: it fails if two companies have
registered the same operation since; reject one of them first.

Revision ID: 0011_payment_operation
Revises: 0010_rules_basis
Create Date: 2026-12-01 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = "0011_payment_operation"
down_revision = "0010_rules_basis"
branch_labels = None
depends_on = None

CONFIRMED = sa.text("status = 'confirmado'")


def upgrade() -> None:
    with unprotected("trust_payments"):
        # registration has always stored the number normalised; make sure of it before the CHECK
        op.execute("UPDATE trust_payments SET operation_number = upper(replace(operation_number, ' ', '')) "
                   "WHERE operation_number <> upper(replace(operation_number, ' ', ''))")
        with op.batch_alter_table("trust_payments", schema=None) as batch_op:
            batch_op.drop_constraint("uq_trust_payments_bank_operation", type_="unique")
            batch_op.create_unique_constraint("uq_trust_payments_company_bank_operation",
                                              ["company_id", "bank", "operation_number"])
            batch_op.create_check_constraint("operation_normalised",
                                             "operation_number = upper(replace(operation_number, ' ', ''))")
            batch_op.create_index("uq_trust_payments_confirmed_operation", ["bank", "operation_number"], unique=True,
                                  postgresql_where=CONFIRMED, sqlite_where=CONFIRMED)


def downgrade() -> None:
    with unprotected("trust_payments"):
        with op.batch_alter_table("trust_payments", schema=None) as batch_op:
            batch_op.drop_index("uq_trust_payments_confirmed_operation")
            batch_op.drop_constraint("operation_normalised", type_="check")
            batch_op.drop_constraint("uq_trust_payments_company_bank_operation", type_="unique")
            batch_op.create_unique_constraint("uq_trust_payments_bank_operation", ["bank", "operation_number"])
