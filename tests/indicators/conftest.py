from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portfolio import db
from portfolio.orgs.models import PublicEntity

_codes = itertools.count(1)


@pytest.fixture
def make_indicator(ctx):
    """``make_indicator(direction="lower", **kw)`` → an Indicator owned by the regional government."""
    from portfolio.indicators import services
    from tests.support import STAFF_ACTOR

    def factory(**kw):
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "GRLL"))
        data = {"code": f"T-{next(_codes)}", "name": "Tasa de victimización (prueba)", "unit": "%",
                "direction": "lower", "level": "regional", "owner_type": "entity", "owner_id": entity_id,
                "baseline_value": "26.5", "baseline_year": 2024}
        data.update(kw)
        indicator = services.create_indicator(**data, actor=STAFF_ACTOR)
        db.session.flush()
        return indicator

    return factory
