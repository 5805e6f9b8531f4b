"""The web layer: permissions, company scope, bad input and replayed forms through real HTTP requests."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from portfolio import clock, db
from portfolio.trust import ledger
from portfolio.trust.models import Contribution, Disbursement, Payment
from portfolio.trust.services import programs
from tests.trust.conftest import new_ruc

D = Decimal
MONTH = (clock.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def entries(app):
    with app.app_context():
        return db.session.scalar(select(func.count(ledger.Entry.id)))


def declare(client, month=MONTH, payroll="1,000,000.00", headcount="10", idem=None):
    return client.post("/fideicomiso/empresa/declarar", {"month": month, "payroll": payroll, "headcount": headcount,
                                                         "idem": idem or uuid.uuid4().hex}, follow_redirects=True)


def test_company_declares_and_sees_its_contribution(app, login_as):
    company = login_as("company")
    page = declare(company)
    assert page.status_code == 200
    assert "Declaración registrada: aporte de S/\u00a01,500.00." in page.get_data(as_text=True)
    home = company.get("/fideicomiso/empresa").get_data(as_text=True)
    assert "S/\u00a01,500.00" in home


@pytest.mark.parametrize("payroll, message", [
    ("-5.00", "negativo"), ("0", "mayor que cero"), ("", "Ingrese la planilla"), ("1,000.005", "más de dos decimales"), ("abc", "Monto inválido"),
])
def test_bad_payroll_shows_spanish_message_and_writes_nothing(app, login_as, payroll, message):
    company = login_as("company")
    before = (count(app, Contribution), entries(app))
    page = declare(company, payroll=payroll)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert (count(app, Contribution), entries(app)) == before


def test_month_declared_twice_and_replayed_form(app, login_as):
    company = login_as("company")
    idem = uuid.uuid4().hex
    declare(company, idem=idem)
    replay = declare(company, idem=idem).get_data(as_text=True)
    assert "ya se había registrado" in replay
    twice = declare(company).get_data(as_text=True)
    assert "Ya declaró" in twice and "Rectificar" in twice
    assert count(app, Contribution) == 1 and entries(app) == 1


def test_other_company_ids_are_404(app, login_as):
    first = login_as("company")
    declare(first)
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id).where(Contribution.company_id == first.user["company_id"]))
    other = login_as("company")
    assert other.get(f"/fideicomiso/empresa/declaraciones/{cid}").status_code == 404
    assert other.get("/fideicomiso/empresa/declaraciones/999999").status_code == 404
    response = other.post(f"/fideicomiso/empresa/declaraciones/{cid}/pagar",
                          {"amount": "1.00", "paid_on": clock.today().isoformat(), "bank": "BCP",
                           "operation_number": "123456", "idem": uuid.uuid4().hex})
    assert response.status_code == 404
    assert count(app, Payment) == 0


def test_overpayment_refused_and_payment_registered(app, login_as):
    company = login_as("company")
    declare(company)
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id).where(Contribution.company_id == company.user["company_id"]))
    url = f"/fideicomiso/empresa/declaraciones/{cid}/pagar"
    data = {"paid_on": clock.today().isoformat(), "bank": "BCP", "operation_number": "778812"}
    page = company.post(url, {**data, "amount": "1,500.01", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "no acepta pagos en exceso" in page.get_data(as_text=True) and count(app, Payment) == 0
    page = company.post(url, {**data, "amount": "1,500.00", "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Pago registrado" in page.get_data(as_text=True) and count(app, Payment) == 1
    assert entries(app) == 1  # only the declaration: the payment posts when the trustee confirms


def setup_disbursement(app, requester_email=None):
    """A funded trust, a program and a beneficiary, and one request awaiting votes (built via services)."""
    from tests.trust.conftest import World

    with app.app_context():
        world = World()
        world.fund(D("5000.00"), month=dt.date(2026, 1, 1))
        d = world.request(D("1000.00")).value
        db.session.commit()
        return {"disbursement": d.id, "org": world.org.id, "board": [m.id for m in world.board]}


def test_execution_before_quorum_and_by_wrong_roles(app, login_as):
    info = setup_disbursement(app)
    trustee = login_as("trustee")
    before = entries(app)
    page = trustee.post(f"/fideicomiso/desembolsos/{info['disbursement']}/ejecutar",
                        {f"e{info['disbursement']}-amount": "100.00", f"e{info['disbursement']}-reference": "TRF-1",
                         f"e{info['disbursement']}-idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "aún no tiene el quórum" in page.get_data(as_text=True)
    assert entries(app) == before
    for role in ("admin", "auditor", "board", "company", "staff"):
        client = login_as(role)
        response = client.post(f"/fideicomiso/desembolsos/{info['disbursement']}/ejecutar",
                               {f"e{info['disbursement']}-amount": "100.00"})
        assert response.status_code == 403, role
    assert entries(app) == before


def test_recused_member_vote_refused_over_http(app, login_as):
    info = setup_disbursement(app)
    member = login_as("board")
    with app.app_context():
        from portfolio.auth.models import User

        user = db.session.get(User, member.user["id"])
        programs.declare_conflict(user_id=user.id, organization_id=info["org"], description="Socio fundador", actor=user)
        db.session.commit()
    d = info["disbursement"]
    page = member.post(f"/fideicomiso/desembolsos/{d}/votar",
                       {f"v{d}-decision": "aprobar", f"v{d}-comment": "ok", f"v{d}-idem": uuid.uuid4().hex},
                       follow_redirects=True)
    assert "conflicto de interés" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Disbursement, d).votes == []


def test_forged_post_without_csrf_is_refused(app, login_as):
    company = login_as("company")
    response = company.post("/fideicomiso/empresa/declarar", {"month": MONTH, "payroll": "100.00", "headcount": "1"},
                            csrf=False)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert count(app, Contribution) == 0


def test_money_forms_ask_for_confirmation(app, login_as):
    company = login_as("company")
    declare(company)
    with app.app_context():
        cid = db.session.scalar(select(Contribution.id).where(Contribution.company_id == company.user["company_id"]))
    html = company.get(f"/fideicomiso/empresa/declaraciones/{cid}").get_data(as_text=True)
    assert html.count('method="post"') == html.count("data-confirm=") + 1  # + the logout form
    assert "¿Registrar este pago?" in html


def test_ledger_verify_command(app, isolated):
    runner = app.test_cli_runner()
    with app.app_context():
        from tests.trust.conftest import World

        World().fund(D("300.00"))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "Libro mayor conforme" in result.output
    with app.app_context():
        db.session.execute(text("UPDATE ledger_accounts SET balance = balance + 1 WHERE code = '1011'"))
        db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "Cuenta 1011: saldo en caché" in result.output


def test_pages_render_for_each_role(app, login_as):
    setup_disbursement(app)
    pages = {
        "trustee": ["/fideicomiso/", "/fideicomiso/fiduciario", "/fideicomiso/desembolsos", "/fideicomiso/programas",
                    "/fideicomiso/aportes", "/fideicomiso/estado-de-cuenta"],
        "board": ["/fideicomiso/comite", "/fideicomiso/"],
        "auditor": ["/fideicomiso/", "/fideicomiso/desembolsos", "/fideicomiso/estado-de-cuenta", "/fideicomiso/aportes"],
        "staff": ["/fideicomiso/desembolsos/nuevo", "/fideicomiso/programas"],
        "company": ["/fideicomiso/empresa", "/fideicomiso/empresa/estado-de-cuenta"],
    }
    for role, urls in pages.items():
        client = login_as(role)
        for url in urls:
            assert client.get(url).status_code == 200, (role, url)
    auditor = login_as("auditor")
    html = auditor.get("/fideicomiso/").get_data(as_text=True)
    assert 'method="post"' not in html.replace('action="/logout"', "").split("Cerrar sesión")[-1]
    assert login_as("company").get("/fideicomiso/").status_code == 403
    assert login_as("admin").get("/fideicomiso/fiduciario").status_code == 403
    assert new_ruc()


def test_list_pages_issue_a_constant_number_of_queries(app, login_as):
    """No N+1: doubling the rows shown does not add statements."""
    from sqlalchemy import event

    from tests.trust.conftest import World

    trustee = login_as("trustee")
    engine = app.extensions["portfolio_db"]["engine"]
    statements: list[str] = []

    def counter(conn, cursor, statement, *args):
        statements.append(statement)

    def measure():
        result = {}
        for url in ("/fideicomiso/", "/fideicomiso/aportes", "/fideicomiso/desembolsos"):
            statements.clear()
            event.listen(engine, "before_cursor_execute", counter)
            try:
                assert trustee.get(url).status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", counter)
            result[url] = len(statements)
        return result

    def grow(n):
        with app.app_context():
            world = World()
            for month in range(1, n + 1):
                world.declare(month=dt.date(2025, month, 1))
            for _ in range(n):
                world.request(D("10.00"))

    grow(3)
    small = measure()
    grow(6)
    assert measure() == small


def test_trustee_declares_on_behalf_of_a_company_from_the_form(app, login_as, make_company):
    from portfolio.audit import AuditEntry
    from portfolio.orgs.models import Company

    trustee = login_as("trustee")
    company_id, dormant_id = make_company(), make_company()
    with app.app_context():
        db.session.get(Company, dormant_id).active = False
        db.session.commit()
        ruc = db.session.get(Company, company_id).ruc
    form = trustee.get("/fideicomiso/fiduciario/declarar").get_data(as_text=True)
    assert "Declarar planilla en nombre de una empresa" in form and f"RUC {ruc}" in form
    assert f'value="{dormant_id}"' not in form  # only active companies are offered
    data = {"month": MONTH, "payroll": "1,000,000.00", "headcount": "10"}
    refused = trustee.post("/fideicomiso/fiduciario/declarar", {**data, "company_id": str(dormant_id),
                                                                 "idem": uuid.uuid4().hex})
    assert refused.status_code == 200 and count(app, Contribution) == 0
    assert "Opción inválida" in refused.get_data(as_text=True)  # an inactive company is not on the list
    page = trustee.post("/fideicomiso/fiduciario/declarar", {**data, "company_id": str(company_id),
                                                              "idem": uuid.uuid4().hex}, follow_redirects=True)
    assert "Declaración registrada en nombre de Empresa de Prueba" in page.get_data(as_text=True)
    with app.app_context():
        contribution = db.session.scalar(select(Contribution))
        assert (contribution.company_id, contribution.amount_due) == (company_id, D("1500.00"))
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "trust.declare"))
        assert audit.actor_id == trustee.user["id"] and audit.after_data["en_nombre_de"] == ruc
    for role in ("company", "staff", "board", "auditor", "admin"):
        assert login_as(role).get("/fideicomiso/fiduciario/declarar").status_code == 403


READ_ONLY = "Vista de solo lectura (auditoría)"


def money_forms(html: str) -> int:
    """Forms that POST, leaving out the logout form of the page header."""
    return html.count('<form method="post"') - html.count('<form method="post" action="/logout"')


def workbench_world(app):
    """One item in every list of both pages: a request awaiting votes, an approved one to execute, a payment to
    confirm and a confirmed one (reversible)."""
    from tests.trust.conftest import World

    with app.app_context():
        world = World()
        world.fund(D("5000.00"), month=dt.date(2026, 1, 1))
        pending = world.request(D("1000.00")).value
        approved = world.request(D("800.00")).value
        world.approve(approved)
        to_confirm = world.pay(world.declare(month=dt.date(2026, 2, 1)).value, D("10.00")).value
        confirmed = db.session.scalar(select(Payment.id).where(Payment.status == "confirmado"))
        db.session.commit()
        return {"pending": pending.id, "approved": approved.id, "to_confirm": to_confirm.id, "confirmed": confirmed}


def money_posts(ids):
    """Every money route reachable from the board queue and the trustee workbench, with a well-formed body."""
    p, a, c, x = ids["pending"], ids["approved"], ids["to_confirm"], ids["confirmed"]
    idem = uuid.uuid4().hex
    return [
        (f"/fideicomiso/desembolsos/{p}/votar", {f"v{p}-decision": "aprobar", f"v{p}-comment": "ok", f"v{p}-idem": idem}),
        (f"/fideicomiso/desembolsos/{a}/ejecutar", {f"e{a}-amount": "100.00", f"e{a}-reference": "TRF-9",
                                                     f"e{a}-idem": idem}),
        (f"/fideicomiso/pagos/{c}/confirmar", {f"c{c}-idem": idem}),
        (f"/fideicomiso/pagos/{c}/rechazar", {f"r{c}-note": "No figura", f"r{c}-idem": idem}),
        (f"/fideicomiso/pagos/{x}/revertir", {f"x{x}-note": "Devuelto", f"x{x}-idem": idem}),
        ("/fideicomiso/periodos/cerrar", {"month": "2026-01", "idem": idem}),
        ("/fideicomiso/saldos-bancarios", {"on": "2026-06-01", "balance": "1.00", "note": "x", "idem": idem}),
    ]


def trust_state(app):
    from portfolio.trust.models import BankBalance, Tranche, Vote
    from tests.trust.conftest import ledger_snapshot

    with app.app_context():
        return (ledger_snapshot(), count(app, Vote), count(app, Tranche), count(app, BankBalance),
                count(app, ledger.Period),
                tuple(db.session.execute(select(Payment.id, Payment.status).order_by(Payment.id))),
                tuple(db.session.execute(select(Disbursement.id, Disbursement.status).order_by(Disbursement.id))))


def test_auditor_reads_board_queue_and_trustee_workbench_without_forms(app, login_as):
    ids = workbench_world(app)
    auditor = login_as("auditor")
    board = auditor.get("/fideicomiso/comite")
    assert board.status_code == 200
    html = board.get_data(as_text=True)
    assert READ_ONLY in html and money_forms(html) == 0 and "Votar" not in html
    # the same queue and facts a board member sees (the auditor has no votes or recusals of its own)
    assert f'data-testid="queue-item-{ids["pending"]}"' in html and f'queue-item-{ids["approved"]}"' not in html
    assert "Disponible del fideicomiso" in html and "Quórum" in html and "Usted" not in html
    trustee = auditor.get("/fideicomiso/fiduciario")
    assert trustee.status_code == 200
    html = trustee.get_data(as_text=True)
    assert READ_ONLY in html and money_forms(html) == 0 and "data-confirm" not in html
    assert f'data-testid="payment-{ids["to_confirm"]}"' in html and f'data-testid="execute-{ids["approved"]}"' in html
    assert "Conciliación bancaria" in html
    menu = auditor.get("/").get_data(as_text=True)
    assert 'href="/fideicomiso/comite"' in menu and 'href="/fideicomiso/fiduciario"' in menu


def test_auditor_hand_made_posts_on_both_pages_are_refused_and_write_nothing(app, login_as):
    ids = workbench_world(app)
    auditor = login_as("auditor")
    before = trust_state(app)
    for url, data in money_posts(ids):
        assert auditor.post(url, data).status_code == 403, url
    assert trust_state(app) == before


def test_board_and_trustee_keep_their_forms_and_use_them(app, login_as):
    ids = workbench_world(app)
    member = login_as("board")
    html = member.get("/fideicomiso/comite").get_data(as_text=True)
    assert READ_ONLY not in html and money_forms(html) == 1  # one vote form for the one pending request
    url, data = money_posts(ids)[0]
    assert "Voto registrado." in member.post(url, data, follow_redirects=True).get_data(as_text=True)
    trustee = login_as("trustee")
    html = trustee.get("/fideicomiso/fiduciario").get_data(as_text=True)
    assert READ_ONLY not in html
    assert money_forms(html) == 6  # confirm + reject, execute, reverse, close period, bank balance
    before = entries(app)
    url, data = money_posts(ids)[1]
    assert "Tramo ejecutado" in trustee.post(url, data, follow_redirects=True).get_data(as_text=True)
    assert entries(app) == before + 1


def test_request_form_shows_the_allocation_left_from_the_service_rule(app, login_as):
    from portfolio.trust.services import disbursements
    from tests.trust.conftest import World

    with app.app_context():
        world = World(today=clock.today())  # the form shows the room left in the current year
        world.fund(D("5000.00"), month=(clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1))
        world.approve(world.request(D("1000.00")).value)
        db.session.commit()
        program_name, program_id = world.program.name, world.program.id
        room = disbursements.allocation_room(program_id, clock.today().year)
    assert room == D("999000.00")
    staff = login_as("staff")
    body = staff.get("/fideicomiso/desembolsos/nuevo").get_data(as_text=True)
    table = body.split('data-testid="allocation-room"')[1].split("</table>")[0]
    assert f"<td>{program_name}</td><td class=\"text-end\">S/\u00a0999,000.00</td>" in table
    refused = staff.post("/fideicomiso/desembolsos/nuevo", {
        "program_id": program_id, "organization_id": world.org.id, "year": clock.today().year,
        "amount": "999,000.01", "purpose": "Prueba", "invoices": f"{new_ruc()} F001-1", "idem": uuid.uuid4().hex})
    assert "S/\u00a0999,000.00" in refused.get_data(as_text=True)  # the refusal quotes the same figure


def test_declaration_form_carries_the_rate_for_the_live_preview(login_as):
    body = login_as("company").get("/fideicomiso/empresa/declarar").get_data(as_text=True)
    assert 'data-rate="0.15"' in body and 'data-payroll="payroll"' in body
    assert "js/contribution_preview.js" in body and "<script>" not in body


def test_board_queue_statement_count_is_flat_with_the_number_of_pending_requests(app, rendering, login_as):
    """Each request's dossier and vote hashes are read for the whole queue at once, not per request."""
    from tests.support import count_statements
    from tests.trust.conftest import World

    with app.app_context():
        world = World()
        world.fund(D("50000.00"), month=dt.date(2026, 1, 1))

        def pending(n):
            for _ in range(n):
                world.vote(world.request(D("100.00")).value, world.board[0])
            db.session.commit()

        pending(2)
    member = login_as("board")

    def measure() -> tuple[int, int]:
        member.get("/fideicomiso/comite")  # warm (login, rules)
        with count_statements(app) as statements:
            page = member.get("/fideicomiso/comite").get_data(as_text=True)
        return len(statements), page.count('data-testid="dossier"')

    small, shown_small = measure()
    with app.app_context():
        pending(5)
    large, shown_large = measure()
    assert shown_large > shown_small  # the later requests are on the page
    assert large == small
