"""The public portal as an anonymous visitor: every page reachable by following links answers 200, is
cacheable, sets no cookie, links nowhere private, and never shows a private string; unknown or
non-public ids are 404; nothing can be posted."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.indicators.models import Indicator
from portfolio.money import format_money
from tests.public.conftest import body_text, crawl, forbidden_strings

ALLOWED_PREFIXES = ("/transparencia", "/static/", "/bootstrap/", "/login")  # /login: the institutions' door


def appears(text: str, body: str) -> bool:
    """Is ``text`` in ``body``? Numbers match whole (8,000,000.00 is not inside 18,000,000.00)."""
    if text[:1].isdigit():
        return re.search(rf"(?<![\d,.]){re.escape(text)}(?![\d])", body) is not None
    return text in body


def private_database_strings(app) -> list[str]:
    """Internal notes written by staff (stage-transition notes) and the authors' e-mails."""
    from portfolio.projects.models import StageTransition

    with app.app_context():
        notes = db.session.scalars(select(StageTransition.note).where(StageTransition.note.is_not(None))).all()
        emails = db.session.scalars(select(StageTransition.actor_email)
                                    .where(StageTransition.actor_email.is_not(None))).all()
    from portfolio.trust.models import BankBalance, ConflictOfInterest, ContributionVersion, Payment, Vote

    with app.app_context():
        payrolls = db.session.scalars(select(ContributionVersion.payroll)).all()
        private = [*db.session.scalars(select(Payment.operation_number)),
                   *db.session.scalars(select(Vote.comment)),
                   *db.session.scalars(select(ConflictOfInterest.description)),
                   *db.session.scalars(select(BankBalance.note).where(BankBalance.note.is_not(None)))]
    money = [format_money(p) for p in payrolls] + [f"{p:,.2f}" for p in payrolls] + [f"{p:.2f}" for p in payrolls]
    return [n for n in notes if len(n) >= 15] + list(emails) + money + [t for t in private if len(t) >= 6]


def test_anonymous_crawl_finds_no_private_data(client, demo, app):
    pages = crawl(client.c)
    assert len(pages) >= 5, list(pages)
    assert any(url.endswith(".json") for url in pages) and "/transparencia/datos/proyectos.csv" in pages
    assert "/transparencia/datos/datos-abiertos.zip" in pages and "/transparencia/datos/oc4ids.json" in pages
    forbidden = forbidden_strings() + private_database_strings(app)
    assert "staff@demo.pe" in forbidden
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=300", url
        assert "Set-Cookie" not in response.headers, url
        body = body_text(response)
        for text in forbidden:
            assert not appears(text, body), f"{text!r} appears on {url}"
        if response.mimetype == "text/html":
            assert "csrf" not in body.lower(), url
            for link in re.findall(r'(?:href|src|action)="([^"#]+)', body):
                if link.startswith("/"):
                    assert link.startswith(ALLOWED_PREFIXES), f"{url} links to {link}"


def test_crawl_reaches_every_public_indicator_and_its_values(client, demo, app):
    pages = crawl(client.c)
    with app.app_context():
        public_ids = db.session.scalars(select(Indicator.id).where(Indicator.public.is_(True))).all()
        private_ids = db.session.scalars(select(Indicator.id).where(Indicator.public.is_(False))).all()
    assert private_ids, "the demo catalogue has a non-public indicator"
    for indicator_id in public_ids:
        assert f"/transparencia/indicadores/{indicator_id}" in pages
    for indicator_id in private_ids:
        assert f"/transparencia/indicadores/{indicator_id}" not in pages
        assert client.get(f"/transparencia/indicadores/{indicator_id}").status_code == 404


def test_unknown_ids_and_bad_urls_are_404_without_caching(client, demo):
    for url in ("/transparencia/indicadores/999999", "/transparencia/indicadores/abc", "/transparencia/nada"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers.get("Cache-Control") != "public, max-age=300"


def test_portal_is_read_only(client, demo):
    for url in ("/transparencia/", "/transparencia/indicadores", "/transparencia/datos/indicadores.csv"):
        assert client.c.post(url).status_code in (400, 405)


def test_bad_period_arguments_fall_back_to_the_latest_quarter(client, demo):
    for query in ("?anio=abc&trimestre=2", "?anio=2026&trimestre=9", "?anio=-5"):
        assert client.get("/transparencia/indicadores" + query).status_code == 200


def test_csv_has_only_public_indicators_and_their_figures(client, demo, app):
    response = client.get("/transparencia/datos/indicadores.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    codes = {r["codigo"] for r in rows}
    assert "VICT-LL" in codes and "ADM-GRLL" not in codes
    with app.app_context():
        assert len(rows) == db.session.scalar(select(func.count()).select_from(Indicator)
                                              .where(Indicator.public.is_(True)))
    vict = next(r for r in rows if r["codigo"] == "VICT-LL")
    assert vict["sentido"] == "Menor es mejor" and vict["valor"]
    assert vict["estado"] in ("En camino", "En riesgo", "Fuera de meta")
    assert vict["nivel"] == "Regional"
    english = {"higher", "lower", "on_track", "at_risk", "off_track", "no_data"}
    assert not english & {value for row in rows for value in row.values()}
    assert "[DEMO]" in vict["fuente"]


def test_logged_in_visitor_sees_the_same_public_page_without_private_menu(login_as, demo):
    staff = login_as("staff")
    body = staff.get("/transparencia/indicadores").get_data(as_text=True)
    assert staff.user["email"] not in body and "Cerrar sesión" not in body


def test_crawl_reaches_every_project_page_and_json(client, demo, app):
    from portfolio.projects.models import Project

    pages = crawl(client.c)
    with app.app_context():
        ids = db.session.scalars(select(Project.id)).all()
    assert len(ids) >= 7
    for project_id in ids:
        assert pages[f"/transparencia/proyectos/{project_id}"].status_code == 200
        assert pages[f"/transparencia/proyectos/{project_id}.json"].status_code == 200


def test_unknown_project_is_404(client, demo):
    for url in ("/transparencia/proyectos/999999", "/transparencia/proyectos/999999.json",
                "/transparencia/proyectos/-1"):
        assert client.get(url).status_code == 404, url


def test_oc4ids_document_carries_exact_amounts_and_public_fields(client, demo, app):
    import json

    from portfolio.projects.models import Project

    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.awarded_amount.is_not(None)).limit(1))
        reference = db.session.scalar(select(Project).where(Project.name.like("Mejoramiento y ampliación%")))
        awarded, awarded_id, ref_id = project.awarded_amount, project.id, reference.id
    doc = json.loads(client.get(f"/transparencia/proyectos/{awarded_id}.json").get_data(as_text=True),
                     parse_float=Decimal)
    item = doc["projects"][0]
    assert item["id"] == f"{app.config['OC4IDS_PREFIX']}-{awarded_id}" and item["status"] in ("implementation", "preparation",
                                                                           "completion")
    assert item["contractingProcesses"][0]["summary"]["contractValue"] == {"amount": awarded, "currency": "PEN"}
    assert {"publicAuthority", "buyer"} <= set(item["parties"][0]["roles"])
    assert any("funder" in party["roles"] for party in item["parties"])
    ref = json.loads(client.get(f"/transparencia/proyectos/{ref_id}.json").get_data(as_text=True),
                     parse_float=Decimal)["projects"][0]
    assert ref["budget"]["amount"] == {"amount": Decimal("211000000.00"), "currency": "PEN"}
    assert ref["status"] == "identification"


def test_public_overview_figures_tie_to_the_database(client, demo, app):
    from portfolio.projects.models import Project

    html = client.get("/transparencia/proyectos").get_data(as_text=True)
    with app.app_context():
        projects = db.session.scalars(select(Project)).all()
        total = sum((p.current_amount for p in projects if p.stage != "cancelado"), Decimal("0.00"))
    assert f'id="pub-proyectos">{len(projects)}<' in html
    assert f'id="pub-monto">{format_money(total)}<' in html
    assert "Multidepartamental" in html and "Trujillo" in html


def _trust_world(app, payers: int):
    """``payers`` companies each contribute S/ 123.45 this quarter; one disbursement of S/ 80.00 is paid."""
    from tests.support import insert_user
    from tests.trust.conftest import World, make_company

    today = clock.today()
    month = today.replace(day=1)
    with app.app_context():
        world = World(today=today)
        contributions = []
        for i in range(payers):
            if i:
                world.company = make_company(f"Aportante privado {i} S.A.C.")
                world.company_user = insert_user("company", world.company.id)
            payroll = (Decimal("123.45") * 100 / Decimal("0.15")).quantize(Decimal("0.01"))
            contribution = world.declare(month=month, payroll=payroll, today=today).value
            from portfolio.trust.services import contributions as svc
            from tests.trust.conftest import key, run

            payment = run(lambda c=contribution: svc.register_payment(
                contribution_id=c.id, amount=Decimal("123.45"), paid_on=today, bank="BCP",
                operation_number=f"OP{c.id}X", actor=world.company_user, key=key(), today=today)).value
            run(lambda p=payment: svc.confirm_payment(payment_id=p.id, actor=world.trustee, key=key(), today=today))
            contributions.append(payroll)
        from portfolio.trust.services import disbursements
        from tests.trust.conftest import run

        disbursement = run(lambda: disbursements.request(
            program_id=world.program.id, organization_id=world.org.id, year=today.year, amount=Decimal("80.00"),
            purpose="Cámaras", invoices=[("20100070970", "F001", "99")], actor=world.staff, key=key(), today=today))
        pending = disbursement.value
        for member in disbursements.eligible_voters(pending):  # demo board members count for the quorum too
            if pending.status != "solicitado":
                break
            run(lambda m=member: disbursements.vote(disbursement_id=pending.id, decision="aprobar", comment="Conforme",
                                                    actor=m, key=key(), today=today))
            db.session.refresh(pending)
        run(lambda: disbursements.execute(disbursement_id=disbursement.value.id, amount=Decimal("80.00"),
                                          reference="TRF-9", actor=world.trustee, key=key(), today=today))
        db.session.commit()
        return world.program.name, world.org.name, contributions


def test_trust_statement_withholds_contributions_of_fewer_than_three_companies(client, app):
    program, org, payrolls = _trust_world(app, payers=1)
    html = client.get("/transparencia/fideicomiso").get_data(as_text=True)
    assert 'id="reserva"' in html and "123.45" not in html
    assert 'id="pub-aportes">Reservado<' in html and 'id="pub-saldo">Reservado<' in html
    assert program in html and org in html and 'id="pub-desembolsado">S/\u00a080.00<' in html
    for payroll in payrolls:
        assert format_money(payroll) not in html and f"{payroll:,.2f}" not in html


def test_trust_statement_shows_aggregate_contributions_from_three_companies(client, app):
    _program, _org, payrolls = _trust_world(app, payers=3)
    response = client.get("/transparencia/fideicomiso")
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert 'id="pub-aportantes">3<' in html
    assert 'id="pub-aportes">S/\u00a0370.35<' in html  # 3 × 123.45, never one company's figure alone
    assert "S/\u00a0123.45" not in html and "S/ 123.45" not in html
    for payroll in payrolls:
        assert format_money(payroll) not in html
    assert "Aportante privado" not in html


def test_trust_statement_ignores_future_or_bad_quarters(client):
    for query in ("?anio=2999&trimestre=1", "?anio=x", "?trimestre=9"):
        assert client.get("/transparencia/fideicomiso" + query).status_code == 200


def test_anonymous_crawl_with_trust_activity_shows_no_payroll_or_individual_payment(client, demo, app):
    _trust_world(app, payers=3)
    forbidden = forbidden_strings() + private_database_strings(app) + ["S/\u00a0123.45", "S/ 123.45", "Aportante privado"]
    pages = crawl(client.c)
    assert "/transparencia/fideicomiso" in pages
    for url, response in pages.items():
        body = body_text(response)
        for text in forbidden:
            assert not appears(text, body), f"{text!r} appears on {url}"


def test_every_portal_page_offers_the_institutions_login(client, demo):
    """Staff, companies, board and trustee who open the site land on the portal (anonymous ``/``): each
    portal page links to the login page, and nothing else outside the portal."""
    for url, response in crawl(client.c).items():
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            assert 'href="/login">Ingresar</a>' in body, url
