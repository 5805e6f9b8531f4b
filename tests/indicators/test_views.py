"""Indicator pages: who may record, a recorded quarter shown with the correction form, corrections keep
history on the page, bad input answers with a message and writes nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.indicators import services
from portfolio.indicators.models import Indicator, IndicatorTarget, Measurement
from tests.support import STAFF_ACTOR

TODAY = clock.today()


def last_completed_quarter():
    q = (TODAY.month - 1) // 3 + 1
    return (TODAY.year, q - 1) if q > 1 else (TODAY.year - 1, 4)


def new_indicator(app, **kw):
    """Create an indicator in its own app context (a shared one would share ``g`` and the CSRF token
    with the test clients)."""
    from portfolio.orgs.models import PublicEntity

    with app.app_context():
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "GRLL"))
        data = {"code": "VIEW-1", "name": "Tasa de victimización (prueba)", "unit": "%", "direction": "lower",
                "level": "regional", "owner_type": "entity", "owner_id": entity_id}
        data.update(kw)
        indicator = services.create_indicator(**data, actor=STAFF_ACTOR)
        db.session.commit()
        return indicator.id


@pytest.fixture
def indicator_id(app, isolated):
    return new_indicator(app)


def count(model, indicator_id):
    with_app = db.session.scalar(select(func.count()).select_from(model).where(model.indicator_id == indicator_id))
    return with_app


@pytest.mark.parametrize("role", ["staff", "trustee"])
def test_staff_and_trustee_record_a_measurement(app, login_as, indicator_id, role):
    client = login_as(role)
    year, quarter = last_completed_quarter()
    response = client.post(f"/indicadores/{indicator_id}/mediciones", {
        "med-year": year, "med-quarter": quarter, "med-value": "23.4", "med-source": "INEI-ENAPRES",
        "med-measured_on": TODAY.isoformat()})
    assert response.status_code == 302
    with app.app_context():
        assert services.current_measurement(indicator_id, year, quarter).value == Decimal("23.4")


@pytest.mark.parametrize("role", ["company", "board", "auditor", "admin"])
def test_other_roles_cannot_record(app, login_as, indicator_id, role):
    client = login_as(role)
    year, quarter = last_completed_quarter()
    response = client.post(f"/indicadores/{indicator_id}/mediciones", {
        "med-year": year, "med-quarter": quarter, "med-value": "1", "med-source": "x",
        "med-measured_on": TODAY.isoformat()})
    assert response.status_code == 403
    assert client.get(f"/indicadores/{indicator_id}").status_code == 200  # but every role may read


def test_recorded_quarter_is_shown_with_correction_form_and_correction_keeps_history(app, login_as, indicator_id):
    client = login_as("staff")
    year, quarter = last_completed_quarter()
    data = {"med-year": year, "med-quarter": quarter, "med-value": "23.4", "med-source": "INEI-ENAPRES",
            "med-measured_on": TODAY.isoformat()}
    assert client.post(f"/indicadores/{indicator_id}/mediciones", data).status_code == 302
    again = client.post(f"/indicadores/{indicator_id}/mediciones", dict(data, **{"med-value": "22.0"}))
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert 'id="conflicto"' in html and "23.4" in html and "INEI-ENAPRES" in html
    assert 'name="cor-value"' in html and 'value="22.0"' in html  # correction form prefilled
    fixed = client.post(f"/indicadores/{indicator_id}/correcciones", {
        "cor-year": year, "cor-quarter": quarter, "cor-value": "22.0", "cor-source": "INEI-ENAPRES (rev.)",
        "cor-measured_on": TODAY.isoformat(), "cor-reason": "Cifra revisada por el INEI"})
    assert fixed.status_code == 302
    page = client.get(f"/indicadores/{indicator_id}").get_data(as_text=True)
    assert "reemplazada" in page and "<del>23.4" in page and "Cifra revisada por el INEI" in page
    with app.app_context():
        assert count(Measurement, indicator_id) == 2


@pytest.mark.parametrize(("data", "message"), [
    ({"med-value": "veinte"}, "no es un número"),
    ({"med-value": "1e5"}, "exponencial"),
    ({"med-measured_on": "31/02/2026"}, "Fecha inválida: use dd/mm/aaaa"),
    ({"med-year": "dos mil"}, "entero"),
    ({"med-quarter": "x"}, "trimestre del I al IV"),
    ({"med-quarter": "7"}, "trimestre del I al IV"),
])
def test_bad_measurement_input_gets_a_message_and_writes_nothing(app, login_as, indicator_id, data, message):
    client = login_as("staff")
    year, quarter = last_completed_quarter()
    payload = {"med-year": year, "med-quarter": quarter, "med-value": "23.4", "med-source": "INEI",
               "med-measured_on": TODAY.isoformat()}
    payload.update(data)
    response = client.post(f"/indicadores/{indicator_id}/mediciones", payload)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Measurement, indicator_id) == 0


def test_target_for_a_past_year_is_refused_on_the_page(app, login_as, indicator_id):
    client = login_as("trustee")
    response = client.post(f"/indicadores/{indicator_id}/metas", {"meta-year": TODAY.year - 1, "meta-value": "20"})
    assert response.status_code == 422
    assert "años pasados" in response.get_data(as_text=True)
    with app.app_context():
        assert count(IndicatorTarget, indicator_id) == 0


def test_create_indicator_from_the_form(app, login_as):
    client = login_as("staff")
    page = client.get("/indicadores/nuevo").get_data(as_text=True)
    assert "Gobierno Regional La Libertad" in page
    with app.app_context():
        from portfolio.orgs.models import PublicEntity
        entity_id = db.session.scalar(select(PublicEntity.id).where(PublicEntity.short_name == "MPT"))
    response = client.post("/indicadores/nuevo", {
        "code": "form-1", "name": "Serenos operativos", "unit": "serenos", "direction": "higher",
        "level": "provincial", "owner": f"entity:{entity_id}", "baseline_value": "120", "baseline_year": "2025",
        "public": "y"})
    assert response.status_code == 302
    with app.app_context():
        indicator = db.session.scalar(select(Indicator).where(Indicator.code == "FORM-1"))
        assert indicator.owner_id == entity_id and indicator.baseline_value == 120


def test_report_page_counts_statuses(app, login_as):
    year, quarter = last_completed_quarter()
    a_id = new_indicator(app, code="REP-A", direction="lower")
    with app.app_context():
        a = db.session.get(Indicator, a_id)
        services.set_target(indicator=a, year=year, value="10", today=dt.date(year, 12, 31), actor=STAFF_ACTOR)
        services.record_measurement(indicator=a, year=year, quarter=quarter, value="30", source="x", measured_on=TODAY, actor=STAFF_ACTOR)
        db.session.commit()
    client = login_as("board")
    html = client.get(f"/indicadores/?anio={year}&trimestre={quarter}").get_data(as_text=True)
    assert "REP-A" in html
    assert 'data-status-count="off_track">1<' in html


def test_unknown_indicator_is_404(login_as):
    assert login_as("staff").get("/indicadores/999999").status_code == 404


def test_quarterly_report_excel_export_holds_the_report_rows(app, login_as):
    import io

    from openpyxl import load_workbook

    year, quarter = last_completed_quarter()
    a_id = new_indicator(app, code="XLS-A", direction="higher", unit="cámaras")
    with app.app_context():
        a = db.session.get(Indicator, a_id)
        services.set_target(indicator=a, year=year, value="120", today=dt.date(year, 12, 31), actor=STAFF_ACTOR)
        services.record_measurement(indicator=a, year=year, quarter=quarter, value="118.5", source="C4", measured_on=TODAY, actor=STAFF_ACTOR)
        db.session.commit()
    client = login_as("auditor")
    page = client.get(f"/indicadores/?anio={year}&trimestre={quarter}").get_data(as_text=True)
    assert "/exportaciones/indicators_report" in page
    response = client.post(f"/exportaciones/indicators_report?anio={year}&trimestre={quarter}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in sheet.iter_rows(min_row=2)]
    row = next(r for r in rows if r["Código"] == "XLS-A")
    assert Decimal(str(row["Valor del trimestre"])) == Decimal("118.5")
    assert Decimal(str(row["Meta del año"])) == 120 and row["Estado"] == "En camino"
    assert row["Fuente"] == "C4"


def _measurement_defaults(body: str) -> tuple[str, str | None]:
    import re

    form = body
    year = re.search(r'name="med-year"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="med-year"', form)
    select = re.search(r'<select[^>]*name="med-quarter"[^>]*>(.*?)</select>', form, re.S).group(1)
    chosen = re.search(r'<option selected value="(\d*)"|<option value="(\d*)" selected', select)
    return (year.group(1) or year.group(2)), (chosen.group(1) or chosen.group(2)) if chosen else None


def test_measurement_form_preselects_the_next_quarter_not_yet_recorded(app, login_as, indicator_id):
    staff = login_as("staff")
    year, quarter = last_completed_quarter()
    assert _measurement_defaults(staff.get(f"/indicadores/{indicator_id}").get_data(as_text=True)) == (
        str(year), str(quarter))
    staff.post(f"/indicadores/{indicator_id}/mediciones", {
        "med-year": year, "med-quarter": quarter, "med-value": "23.4", "med-source": "INEI-ENAPRES",
        "med-measured_on": TODAY.isoformat()})
    # The recorded quarter is no longer offered: the next one (today's, already started) is.
    next_year, next_quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    assert _measurement_defaults(staff.get(f"/indicadores/{indicator_id}").get_data(as_text=True)) == (
        str(next_year), str(next_quarter))
    staff.post(f"/indicadores/{indicator_id}/mediciones", {
        "med-year": next_year, "med-quarter": next_quarter, "med-value": "23.1", "med-source": "INEI-ENAPRES",
        "med-measured_on": TODAY.isoformat()})
    # Every started quarter is measured: nothing the service would refuse is pre-selected.
    assert _measurement_defaults(staff.get(f"/indicadores/{indicator_id}").get_data(as_text=True))[1] in (None, "")
