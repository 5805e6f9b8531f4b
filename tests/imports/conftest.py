"""Fixtures for imports: spreadsheets built in the test (openpyxl / csv text), users and row counters."""
from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from portfolio import db

DECL_HEADERS = ["RUC", "Periodo", "Planilla bruta", "Número de trabajadores"]
BANK_HEADERS = ["Fecha", "Monto", "Número de operación", "Descripción", "RUC del pagador"]


def xlsx(rows, *, sheet="Declaraciones", extra_sheets=()) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for name in extra_sheets:
        book.create_sheet(name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    lines = [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, kind: str, data: bytes, name: str = "archivo.xlsx"):
    return client.post(f"/importar/{kind}/", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def batch_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/importar/lotes/(\d+)", response.headers["Location"]).group(1))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def company_client(app, login_as):
    """A logged-in company user; ``.ruc`` and ``.company_id`` describe its company."""
    from portfolio.orgs.models import Company

    client = login_as("company")
    with app.app_context():
        client.ruc = db.session.get(Company, client.user["company_id"]).ruc
    client.company_id = client.user["company_id"]
    return client


@pytest.fixture
def counts(app):
    """Row counts of every table a declaration import could touch (before/after comparisons)."""
    from portfolio.audit import AuditEntry
    from portfolio.imports.models import ImportBatch
    from portfolio.trust import ledger
    from portfolio.trust.models import Contribution, ContributionVersion, Payment

    models = (Contribution, ContributionVersion, Payment, ledger.Entry, ledger.Posting, AuditEntry, ImportBatch)

    def snapshot() -> dict[str, int]:
        with app.app_context():
            return {m.__name__: count(m) for m in models}

    return snapshot


def error_rows(text: str) -> list[tuple[str, str, str, str]]:
    """The error table of the preview page as (row, column, value, reason)."""
    table = re.search(r'<table[^>]*id="import-errors".*?</table>', text, re.S)
    if table is None:
        return []
    rows = []
    for tr in re.findall(r"<tr><td>(.*?)</td></tr>", table.group(0), re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in tr.split("</td><td>")]
        rows.append(tuple(cells))
    return rows
