"""API fixtures: a token per role (``api_as("company")``) and a small JSON client over the test client."""
from __future__ import annotations

import json
import uuid

import pytest

from portfolio import db
from portfolio.auth.policy import SYSTEM

ALL_SCOPES = ("read", "declare", "pay", "progress")


class Api:
    """Calls /api/v1 with a bearer token and JSON bodies; every POST gets a fresh Idempotency-Key unless one is given."""

    def __init__(self, flask_client, secret: str | None, user: dict):
        self.c, self.secret, self.user = flask_client, secret, user

    def headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.c.get("/api/v1" + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path, body=None, *, key=None, raw=None, content_type="application/json", headers=None):
        extra = {"Idempotency-Key": key or uuid.uuid4().hex}
        extra.update(headers or {})
        data = raw if raw is not None else json.dumps(body)
        return self.c.post("/api/v1" + path, data=data, content_type=content_type, headers=self.headers(extra))


@pytest.fixture(autouse=True)
def generous_limits(app):
    """Every test client comes from 127.0.0.1: the per-address limit would soon refuse schemathesis."""
    saved = {k: app.config[k] for k in ("API_RATELIMIT_PER_TOKEN", "API_RATELIMIT_PER_ADDRESS")}
    app.config.update(API_RATELIMIT_PER_TOKEN="100000 per minute", API_RATELIMIT_PER_ADDRESS="100000 per minute")
    yield
    app.config.update(saved)


@pytest.fixture
def make_token(app, isolated):
    def factory(user_id: int, scopes=ALL_SCOPES, days: int = 90) -> str:
        from portfolio.api import services

        with app.app_context():
            _token, secret = services.create_token(user_id=user_id, name="Pruebas", scopes=list(scopes), days=days,
                                                   actor=SYSTEM)
            db.session.commit()
            return secret

    return factory


@pytest.fixture
def api_as(app, isolated, make_user, make_token):
    """``api_as("company")`` → an Api client with a token of a new user of that role (all scopes)."""

    def factory(role: str, scopes=ALL_SCOPES, **kw) -> Api:
        user = make_user(role, **kw)
        return Api(app.test_client(), make_token(user["id"], scopes), user)

    return factory


@pytest.fixture
def make_project(app, isolated, make_company):
    """Commit a project in ``stage`` financed by ``companies`` (ids), with an accepted milestone if asked."""
    from tests.projects.conftest import Oxi

    def factory(stage: str = "en_ejecucion", *, companies=None, milestone: bool = False) -> dict:
        with app.app_context():
            oxi = Oxi(make_company)
            shares = ("100",) if not companies else tuple(["100"] if len(companies) == 1 else ["50", "50"])
            project = oxi.project(stage, shares=shares, companies=companies)
            milestone_id = oxi.milestone(project).id if milestone else None
            db.session.commit()
            return {"id": project.id, "milestone_id": milestone_id, "entity_id": project.entity_id}

    return factory
