"""Event dates: when a stage change or a board vote happened (a business date), apart from when it was typed.

``project_stage_transitions.occurred_on`` and ``trust_votes.cast_on``. Existing rows get the project's key
date for that stage (when it has one and it is not after the recording) or else the business date
(TIMEZONE, default America/Lima) of the recording.

Revision ID: 0009_event_dates
Revises: 0006_indicators
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from portfolio import clock
from portfolio.immutability import unprotected

revision = "0009_event_dates"
down_revision = "0008_login"
branch_labels = None
depends_on = None

# The key date each stage writes (portfolio.projects.stages.STAGE_DATES at the time of this migration).
STAGE_DATES = {"priorizado": "prioritized_on", "en_seleccion": "call_on", "adjudicado": "awarded_on",
               "convenio_suscrito": "convenio_on", "en_ejecucion": "start_on", "recibido": "reception_on",
               "liquidado": "settlement_on"}


def _local(value) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return clock.local_date(value)


def _backfill_transitions(bind) -> None:
    projects = sa.table("projects", sa.column("id"), *(sa.column(name) for name in STAGE_DATES.values()))
    transitions = sa.table("project_stage_transitions", sa.column("id"), sa.column("project_id"),
                           sa.column("to_stage"), sa.column("at"), sa.column("occurred_on", sa.Date))
    keys = {row.id: row._mapping for row in bind.execute(sa.select(projects))}
    for row in bind.execute(sa.select(transitions.c.id, transitions.c.project_id, transitions.c.to_stage,
                                      transitions.c.at)).all():
        recorded = _local(row.at)
        field = STAGE_DATES.get(row.to_stage)
        key_date = keys.get(row.project_id, {}).get(field) if field else None
        if isinstance(key_date, str):
            key_date = dt.date.fromisoformat(key_date)
        on = key_date if key_date is not None and key_date <= recorded else recorded
        bind.execute(transitions.update().where(transitions.c.id == row.id).values(occurred_on=on))


def _backfill_votes(bind) -> None:
    votes = sa.table("trust_votes", sa.column("id"), sa.column("cast_at"), sa.column("cast_on", sa.Date))
    for row in bind.execute(sa.select(votes.c.id, votes.c.cast_at)).all():
        bind.execute(votes.update().where(votes.c.id == row.id).values(cast_on=_local(row.cast_at)))


def upgrade() -> None:
    bind = op.get_bind()
    with unprotected("project_stage_transitions", "trust_votes"):
        with op.batch_alter_table("project_stage_transitions", schema=None) as batch_op:
            batch_op.add_column(sa.Column("occurred_on", sa.Date(), nullable=True))
        _backfill_transitions(bind)
        with op.batch_alter_table("project_stage_transitions", schema=None) as batch_op:
            batch_op.alter_column("occurred_on", existing_type=sa.Date(), nullable=False)

        with op.batch_alter_table("trust_votes", schema=None) as batch_op:
            batch_op.add_column(sa.Column("cast_on", sa.Date(), nullable=True))
        _backfill_votes(bind)
        with op.batch_alter_table("trust_votes", schema=None) as batch_op:
            batch_op.alter_column("cast_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with unprotected("project_stage_transitions", "trust_votes"):
        with op.batch_alter_table("trust_votes", schema=None) as batch_op:
            batch_op.drop_column("cast_on")
        with op.batch_alter_table("project_stage_transitions", schema=None) as batch_op:
            batch_op.drop_column("occurred_on")
