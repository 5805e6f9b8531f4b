"""Dates are typed dd/mm/aaaa and months mm/aaaa in every browser: the fields are text inputs with the format as
a hint, the server parses what people type (ISO from older clients still works), and a wrong date gets a Spanish
message and changes nothing."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.formatting import DateInputError, parse_date, parse_month
from portfolio.trust.models import Contribution, Payment


@pytest.mark.parametrize("typed, expected", [
    ("15/03/2026", dt.date(2026, 3, 15)), ("5/3/2026", dt.date(2026, 3, 5)), (" 15-03-2026 ", dt.date(2026, 3, 15)),
    ("15.03.2026", dt.date(2026, 3, 15)), ("2026-03-15", dt.date(2026, 3, 15)), ("29/02/2028", dt.date(2028, 2, 29)),
    ("", None), (None, None),
])
def test_parse_date_accepts_what_people_type(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["30/02/2026", "15/13/2026", "15/03/26", "03/15/2026x", "2026-3-15", "mañana",
                                   "15/03/0026", "00/03/2026", "2026/03/15"])
def test_parse_date_refuses_anything_else_in_spanish(typed):
    with pytest.raises(DateInputError, match=r"Fecha inválida: use dd/mm/aaaa"):
        parse_date(typed)


@pytest.mark.parametrize("typed, expected", [
    ("03/2026", dt.date(2026, 3, 1)), ("3/2026", dt.date(2026, 3, 1)), ("03-2026", dt.date(2026, 3, 1)),
    ("2026-03", dt.date(2026, 3, 1)), ("", None),
])
def test_parse_month_accepts_what_people_type(typed, expected):
    assert parse_month(typed) == expected


@pytest.mark.parametrize("typed", ["13/2026", "00/2026", "03/26", "marzo", "2026-13", "15/03/2026"])
def test_parse_month_refuses_anything_else_in_spanish(typed):
    with pytest.raises(DateInputError, match=r"Mes inválido: use mm/aaaa"):
        parse_month(typed)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_month_field_is_text_with_hint_and_takes_mm_aaaa(app, login_as):
    company = login_as("company")
    form = company.get("/fideicomiso/empresa/declarar").get_data(as_text=True)
    month = _input(form, "month")
    assert 'type="text"' in month and 'inputmode="numeric"' in month and 'placeholder="mm/aaaa"' in month
    assert "Formato mm/aaaa." in form

    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    bad = company.post("/fideicomiso/empresa/declarar", {"month": "13/2026", "payroll": "1,000,000.00",
                                                          "headcount": "10", "idem": uuid.uuid4().hex})
    assert "Mes inválido: use mm/aaaa (p. ej. 03/2026)." in bad.get_data(as_text=True)
    assert _count(app, Contribution) == 0

    page = company.post("/fideicomiso/empresa/declarar", {"month": last_month.strftime("%m/%Y"),
                                                           "payroll": "1,000,000.00", "headcount": "10",
                                                           "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Declaración registrada: aporte de S/\u00a01,500.00." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Contribution.month)) == last_month.replace(day=1)


def test_date_field_is_text_with_hint_and_takes_dd_mm_aaaa(app, login_as):
    company = login_as("company")
    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    company.post("/fideicomiso/empresa/declarar", {"month": last_month.strftime("%m/%Y"), "payroll": "1,000,000.00",
                                                    "headcount": "10", "idem": uuid.uuid4().hex})
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id))
    detail = company.get(f"/fideicomiso/empresa/declaraciones/{cid}").get_data(as_text=True)
    paid_on = _input(detail, "paid_on")
    assert 'type="text"' in paid_on and 'placeholder="dd/mm/aaaa"' in paid_on and 'type="date"' not in detail

    url = f"/fideicomiso/empresa/declaraciones/{cid}/pagar"
    data = {"amount": "1,500.00", "bank": "BCP", "operation_number": "556677"}
    bad = company.post(url, {**data, "paid_on": "31/02/2026", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Fecha inválida: use dd/mm/aaaa (p. ej. 15/03/2026)." in bad.get_data(as_text=True)
    assert _count(app, Payment) == 0

    today = clock.today()
    page = company.post(url, {**data, "paid_on": today.strftime("%d/%m/%Y"), "idem": uuid.uuid4().hex},
                        follow_redirects=True)
    assert "Pago registrado" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Payment.paid_on)) == today


def test_period_filters_take_dd_mm_aaaa_and_show_it_back(app, login_as):
    staff = login_as("staff")
    html = staff.get("/fideicomiso/estado-de-cuenta?desde=01/01/2026&hasta=15/03/2026").get_data(as_text=True)
    assert 'value="01/01/2026"' in _input(html, "desde") and 'value="15/03/2026"' in _input(html, "hasta")
    assert 'placeholder="dd/mm/aaaa"' in _input(html, "desde")
    iso = staff.get("/fideicomiso/estado-de-cuenta?desde=2026-01-01&hasta=2026-03-15").get_data(as_text=True)
    assert 'value="15/03/2026"' in _input(iso, "hasta")  # older links with ISO dates still work

    admin = login_as("admin")
    audit = admin.get("/auditoria?desde=01/01/2026").get_data(as_text=True)
    assert 'value="01/01/2026"' in _input(audit, "desde") and 'type="date"' not in audit


def test_import_file_input_speaks_spanish(app, login_as):
    html = login_as("company").get("/importar/declaraciones/").get_data(as_text=True)
    file_input = _input(html, "file")
    assert 'type="file"' in file_input and "file-picker-input" in file_input
    assert "Elegir archivo" in html and "Ningún archivo seleccionado" in html
