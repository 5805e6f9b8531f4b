"""«Descargar PDF» is offered on the pages the documents come from, to the roles that may issue them."""
from __future__ import annotations

from decimal import Decimal

from portfolio import db
from tests.trust.conftest import World


def test_download_buttons_follow_the_policy(app, login_as):
    with app.app_context():
        world = World()
        d = world.request(Decimal("100.00")).value
        db.session.commit()
        disbursement_id, company_id = d.id, world.company.id
    company = login_as("company", company_id=company_id)
    home = company.get("/fideicomiso/empresa").get_data(as_text=True)
    assert 'action="/pdf/constancia-de-aportes"' in home
    statement = company.get("/fideicomiso/empresa/estado-de-cuenta?desde=01/01/2026&hasta=20/06/2026")
    body = statement.get_data(as_text=True)
    assert 'action="/pdf/estado-de-cuenta"' in body and 'value="20/06/2026"' in body
    trust = company.get("/fideicomiso/estado-de-cuenta").get_data(as_text=True)
    assert "/pdf/fideicomiso/estado-de-cuenta" not in trust  # companies read the page, not the certified PDF
    for role in ("trustee", "board", "auditor"):
        user = login_as(role)
        assert "/pdf/fideicomiso/estado-de-cuenta" in user.get("/fideicomiso/estado-de-cuenta").get_data(as_text=True)
        page = user.get(f"/fideicomiso/desembolsos/{disbursement_id}")
        assert page.status_code == 200 and f"/pdf/desembolsos/{disbursement_id}/acta" in page.get_data(as_text=True)
    staff = login_as("staff")
    assert f"/pdf/desembolsos/{disbursement_id}/acta" not in staff.get(
        f"/fideicomiso/desembolsos/{disbursement_id}").get_data(as_text=True)
    assert "/pdf/proyectos/1/ficha" in staff.get("/proyectos/1").get_data(as_text=True)
    assert "/pdf/proyectos/1/ficha" not in login_as("board").get("/proyectos/1").get_data(as_text=True)
