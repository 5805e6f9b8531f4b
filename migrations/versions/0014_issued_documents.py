"""Issued PDFs: each constancia, estado de cuenta, acta and ficha handed out, with its verification code,
what it certified and the SHA-256 of the file (append-only).

Revision ID: 0014_issued_documents
Revises: 0011_payment_operation
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import protect, unprotect

revision = "0014_issued_documents"
down_revision = "0013_documents"
branch_labels = None
depends_on = None

KINDS = ("constancia_aportes", "estado_cuenta_empresa", "estado_cuenta_fideicomiso", "acta_desembolso",
         "ficha_proyecto")


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("figures_json", sa.Text(), nullable=False),
        sa.Column("figures_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")",
                           name=op.f("ck_issued_documents_kind_known")),
        sa.CheckConstraint("length(pdf_sha256) = 64", name=op.f("ck_issued_documents_sha256_length")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_issued_documents_company_id_companies")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_issued_documents_issued_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("code", name=op.f("uq_issued_documents_code")),
    )
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_documents_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_documents_pdf_sha256"), ["pdf_sha256"], unique=False)
    protect("issued_documents")


def downgrade() -> None:
    unprotect("issued_documents")
    op.drop_table("issued_documents")
