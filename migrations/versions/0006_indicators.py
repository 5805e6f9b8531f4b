"""Indicators (§3.2): catalogue, annual targets, quarterly measurements with correction history.

Values are stored as integer ten-thousandths (portfolio.indicators.models.Quantity).

Revision ID: 0006_indicators
Revises: 0005_imports
Create Date: 2026-11-28 01:45:29.208432
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_indicators'
down_revision = "0005_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('owner_type', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('baseline_value', sa.BigInteger(), nullable=True),
    sa.Column('baseline_year', sa.Integer(), nullable=True),
    sa.Column('baseline_source', sa.String(length=300), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("direction IN ('higher', 'lower')", name=op.f('ck_indicators_direction_known')),
    sa.CheckConstraint("level IN ('nacional', 'regional', 'provincial', 'distrital')", name=op.f('ck_indicators_level_known')),
    sa.CheckConstraint("owner_type IN ('entity', 'program', 'project')", name=op.f('ck_indicators_owner_type_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('code', name=op.f('uq_indicators_code'))
    )
    op.create_table('indicator_measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(version = 1) = (supersedes_id IS NULL)', name=op.f('ck_indicator_measurements_correction_points_back')),
    sa.CheckConstraint('quarter BETWEEN 1 AND 4', name=op.f('ck_indicator_measurements_quarter_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_indicator_measurements_version_positive')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_measurements_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_indicator_measurements_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['indicator_measurements.id'], name=op.f('fk_indicator_measurements_supersedes_id_indicator_measurements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_measurements')),
    sa.UniqueConstraint('indicator_id', 'year', 'quarter', 'version', name='uq_indicator_measurements_version')
    )
    with op.batch_alter_table('indicator_measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_measurements_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('indicator_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_targets_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_indicator_targets_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_targets')),
    sa.UniqueConstraint('indicator_id', 'year', name='uq_indicator_targets_indicator_year')
    )
    with op.batch_alter_table('indicator_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_targets_indicator_id'), ['indicator_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('indicator_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_targets_indicator_id'))

    op.drop_table('indicator_targets')
    with op.batch_alter_table('indicator_measurements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_measurements_indicator_id'))

    op.drop_table('indicator_measurements')
    op.drop_table('indicators')

