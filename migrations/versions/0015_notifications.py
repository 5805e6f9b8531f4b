"""Notices of deadlines: one row per obligation, step and recipient (the unique key that makes ``notify run``
idempotent), each user's channel per kind, and private calendar feed tokens (hashed). Loads the default values
of the deadline and reminder-schedule rules (``notify.*``), so a database upgraded without ``flask seed`` has
them.

Revision ID: 0015_notifications
Revises: 0011_payment_operation
Create Date: 2026-12-01 11:19:42
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from portfolio.immutability import unprotected

revision = '0015_notifications'
down_revision = '0014_issued_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_key', sa.String(length=80), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=270), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_to', sa.String(length=254), nullable=True),
    sa.Column('email_status', sa.String(length=12), nullable=False),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_error', sa.String(length=300), nullable=True),
    sa.CheckConstraint("email_status IN ('no_aplica', 'sin_smtp', 'por_enviar', 'enviado', 'fallido')", name=op.f('ck_notices_email_status_known')),
    sa.CheckConstraint("kind IN ('aporte', 'declaracion', 'confirmacion', 'voto', 'ejecucion', 'cierre', 'hito', 'certificado', 'indicador')", name=op.f('ck_notices_kind_known')),
    sa.CheckConstraint('user_id IS NOT NULL OR email_to IS NOT NULL', name=op.f('ck_notices_has_recipient')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_notices_company_id_companies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('obligation_key', 'step', 'recipient', name='uq_notices_obligation_step_recipient')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_email_queue', ['email_status', 'email_next_at'], unique=False)
        batch_op.create_index('ix_notices_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('correo', 'aplicacion', 'ninguno')", name=op.f('ck_notification_preferences_channel_known')),
    sa.CheckConstraint("kind IN ('aporte', 'declaracion', 'confirmacion', 'voto', 'ejecucion', 'cierre', 'hito', 'certificado', 'indicador')", name=op.f('ck_notification_preferences_kind_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_preferences_user_kind')
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    _load_rule_defaults()


def _notify_rules():
    from portfolio.rules import RULES

    return [(key, value, effective_from, basis) for key, (_label, _unit, values) in RULES.items()
            if key.startswith("notify.") for value, effective_from, basis in values]


def _load_rule_defaults() -> None:
    rules = sa.table("rule_values", sa.column("key", sa.String), sa.column("value", sa.String),
                     sa.column("effective_from", sa.Date), sa.column("legal_basis", sa.String),
                     sa.column("created_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    existing = {(k, d) for k, d in bind.execute(sa.select(rules.c.key, rules.c.effective_from))}
    now = dt.datetime.now(dt.UTC)
    rows = [{"key": k, "value": v, "effective_from": d, "legal_basis": b, "created_at": now}
            for k, v, d, b in _notify_rules() if (k, d) not in existing]
    if rows:
        op.bulk_insert(rules, rows)


def downgrade() -> None:
    with unprotected("rule_values"):
        op.execute("DELETE FROM rule_values WHERE key LIKE 'notify.%'")
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))

    op.drop_table('notification_preferences')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_user_read')
        batch_op.drop_index('ix_notices_email_queue')

    op.drop_table('notices')
    op.drop_table('calendar_feeds')
