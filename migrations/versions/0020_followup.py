"""Issued documents of a new kind: the carta de cobranza attached to the +30 arrears e-mail.

Revision ID: 0020_followup
Revises: 0016_execution
Create Date: 2026-12-01 12:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = "0020_followup"
down_revision = "0019_pagespeed"
branch_labels = None
depends_on = None

BEFORE = ("constancia_aportes", "estado_cuenta_empresa", "estado_cuenta_fideicomiso", "acta_desembolso",
          "ficha_proyecto")
AFTER = BEFORE + ("carta_cobranza",)
NAME = "ck_issued_documents_kind_known"


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _replace(kinds: tuple[str, ...]) -> None:
    with unprotected("issued_documents"), op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), _kinds(kinds))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    issued = op.get_bind().execute(sa.text("SELECT count(*) FROM issued_documents WHERE kind = 'carta_cobranza'"))
    if issued.scalar():
        raise RuntimeError("Hay cartas de cobranza emitidas (documentos verificables): no se borran para bajar "
                           "de versión.")
    _replace(BEFORE)
