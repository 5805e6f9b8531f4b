"""Fixtures for the export tests: reading workbooks back, entities with caps, the export runner."""
from __future__ import annotations

import io
import uuid
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from portfolio import db
from portfolio.auth.policy import SYSTEM
from tests.conftest import unavailable

INJECTIONS = ['=HYPERLINK("http://ejemplo.invalid","clic")', "+1", "-2", "@SUM(A1)", "=1+1", "\tTabulada",
              "\rRetorno"]


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def data_rows(ws) -> list[tuple]:
    """Rows between the header and the totals row (the first cell of the totals row is 'Total')."""
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]
    if rows and rows[-1][0] == "Total":
        rows = rows[:-1]
    return rows


def header(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def require(reason: str | None):
    if reason:
        unavailable(reason)


@pytest.fixture
def inline_exports(app, monkeypatch, tmp_path):
    """Background jobs run inside the request (deterministic), files in a private folder."""
    monkeypatch.setitem(app.config, "EXPORT_QUEUE", "inline")
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


@pytest.fixture(autouse=True)
def _never_a_thread_on_the_test_connection(request):
    """Tests on the shared ``app`` run inside one connection's transaction: a worker thread must not use
    it. Jobs run inline there unless a test sets otherwise (test_runners.py uses its own apps)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("inline_exports")


@pytest.fixture
def make_entity(app, isolated):
    from portfolio.orgs import services

    def factory(name: str | None = None, level: str = "distrital", kind: str = "municipalidad",
                ubigeo: str = "130101", caps: dict[int, Decimal] | None = None) -> int:
        with app.app_context():
            entity = services.create_entity(data={"name": name or f"Municipalidad de prueba {uuid.uuid4().hex[:6]}",
                                             "level": level, "kind": kind, "ubigeo": ubigeo}, actor=SYSTEM)
            for year, amount in (caps or {}).items():
                services.set_cap(entity=entity, year=year, amount=amount, legal_basis="DS de prueba", actor=SYSTEM)
            db.session.commit()
            return entity.id

    return factory
