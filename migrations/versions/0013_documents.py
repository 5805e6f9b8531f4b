"""Documents (the expediente): stored contents by SHA-256, documents attached to projects, milestones,
certificate requests, disbursements, tranches and board decisions, and the documents each vote saw.

Revision ID: 0013_documents
Revises: 0011_payment_operation
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import protect, unprotect

revision = "0013_documents"
down_revision = "0012_api"
branch_labels = None
depends_on = None

TABLES = ("document_blobs", "documents", "vote_documents")


def upgrade() -> None:
    op.create_table(
        "document_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_document_blobs_size_positive")),
        sa.CheckConstraint("file_format IN ('pdf', 'jpeg', 'png', 'xlsx', 'docx')",
                           name=op.f("ck_document_blobs_format_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_blobs")),
        sa.UniqueConstraint("sha256", name=op.f("uq_document_blobs_sha256")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=15), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("disbursement_id", sa.Integer(), nullable=True),
        sa.Column("doc_type", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=150), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("invoice_amount", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdraw_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("owner_kind IN ('project', 'milestone', 'certificate', 'disbursement', 'tranche', "
                           "'decision')", name=op.f("ck_documents_owner_kind_known")),
        sa.CheckConstraint("status IN ('vigente', 'retirado')", name=op.f("ck_documents_status_known")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_documents_version_positive")),
        sa.CheckConstraint("invoice_amount IS NULL OR invoice_amount > 0",
                           name=op.f("ck_documents_invoice_amount_positive")),
        sa.ForeignKeyConstraint(["disbursement_id"], ["trust_disbursements.id"],
                                name=op.f("fk_documents_disbursement_id_trust_disbursements")),
        sa.ForeignKeyConstraint(["invoice_id"], ["trust_invoices.id"], name=op.f("fk_documents_invoice_id_trust_invoices")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_documents_project_id_projects")),
        sa.ForeignKeyConstraint(["sha256"], ["document_blobs.sha256"], name=op.f("fk_documents_sha256_document_blobs")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["documents.id"], name=op.f("fk_documents_supersedes_id_documents")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_documents_uploaded_by_id_users")),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["users.id"], name=op.f("fk_documents_withdrawn_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("supersedes_id", name="uq_documents_supersedes_id"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_disbursement_id"), ["disbursement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_invoice_id"), ["invoice_id"], unique=False)
    op.create_table(
        "vote_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_vote_documents_document_id_documents")),
        sa.ForeignKeyConstraint(["vote_id"], ["trust_votes.id"], name=op.f("fk_vote_documents_vote_id_trust_votes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_documents")),
        sa.UniqueConstraint("vote_id", "document_id", name="uq_vote_documents_vote_document"),
    )
    with op.batch_alter_table("vote_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_documents_vote_id"), ["vote_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_documents_document_id"), ["document_id"], unique=False)
    for table in TABLES:
        protect(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        unprotect(table)
        op.drop_table(table)
