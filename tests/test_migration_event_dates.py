"""Migration 0009: existing stage changes get an event date — the project's key date for that stage, else the
Lima date of the recording — and the stage history stays append-only."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from portfolio import migrate
from portfolio.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture: SQLite and PostgreSQL)

UTC = dt.UTC


def test_existing_stage_changes_get_their_event_date(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0006_indicators")
    engine = make_engine(empty_database)
    try:
        meta = sa.MetaData()
        entities = sa.Table("public_entities", meta, autoload_with=engine)
        projects = sa.Table("projects", meta, autoload_with=engine)
        transitions = sa.Table("project_stage_transitions", meta, autoload_with=engine)
        recorded = dt.datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 01/03/2026 22:00 in Lima
        with engine.begin() as conn:
            entity_id = conn.execute(entities.insert().values(
                name="Entidad de prueba", level="regional", kind="gobierno_regional", active=True,
                created_at=recorded, version=1)).inserted_primary_key[0]
            project_id = conn.execute(projects.insert().values(
                name="Proyecto migrado", entity_id=entity_id, sector="orden_publico", mechanism="oxi",
                multidepartmental=False, stage="en_seleccion", proinversion_assisted=False, is_demo=False,
                created_at=recorded, version=1, call_on=dt.date(2026, 2, 9),
                prioritized_on=dt.date(2026, 5, 1))).inserted_primary_key[0]  # a key date after the recording
            for from_stage, to_stage in ((None, "priorizado"), ("priorizado", "actos_previos"),
                                         ("actos_previos", "en_seleccion")):
                conn.execute(transitions.insert().values(project_id=project_id, from_stage=from_stage,
                                                         to_stage=to_stage, at=recorded))
    finally:
        engine.dispose()

    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT to_stage, occurred_on FROM project_stage_transitions ORDER BY id")).all()
            dates = [(stage, on if isinstance(on, dt.date) else dt.date.fromisoformat(on)) for stage, on in rows]
            assert dates == [("priorizado", dt.date(2026, 3, 1)), ("actos_previos", dt.date(2026, 3, 1)),
                             ("en_seleccion", dt.date(2026, 2, 9))]
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE project_stage_transitions SET note = 'cambio'"))
    finally:
        engine.dispose()
    migrate.downgrade(empty_database, "0006_indicators")
    migrate.upgrade(empty_database)
