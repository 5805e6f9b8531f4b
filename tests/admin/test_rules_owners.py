"""Admin holds no money power, the trust's rules included: the contribution rate, due day and quorum are
changed only by the trustee, citing the Comité Técnico's resolution; admin and staff read them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portfolio import db
from portfolio.audit import AuditEntry
from portfolio.auth.policy import PERMISSIONS
from portfolio.auth.roles import ADMIN, AUDITOR, TRUSTEE
from portfolio.errors import DomainError, Forbidden
from portfolio.rules import RULES, TRUST_RULES, RuleValue, add_rule_value, owner_permission, rule_value
from tests.support import insert_user

TODAY = dt.date(2026, 6, 20)
MONEY_RULES = ("trust.contribution_rate_pct", "trust.due_day", "trust.quorum_min_approvals", "trust.quorum_majority")


def values(key: str) -> int:
    return db.session.scalar(select(func.count(RuleValue.id)).where(RuleValue.key == key))


def test_every_rule_has_an_owner_and_the_trust_rules_belong_to_the_trustee_alone():
    assert set(MONEY_RULES) <= TRUST_RULES
    for key in RULES:
        roles = PERMISSIONS[owner_permission(key)]
        assert AUDITOR not in roles, key
        if key in TRUST_RULES:
            assert roles == frozenset({TRUSTEE}), key
        else:
            assert roles == frozenset({ADMIN}), key


@pytest.mark.parametrize("key", MONEY_RULES)
def test_admin_cannot_add_values_to_trust_rules(ctx, key):
    admin = insert_user("admin")
    before = values(key)
    with pytest.raises(Forbidden):
        add_rule_value(key=key, value="1", effective_from=dt.date(2026, 7, 1), legal_basis="Decisión del admin",
                       actor=admin, today=TODAY)
    assert values(key) == before


@pytest.mark.parametrize("role", ["staff", "auditor", "board", "company"])
def test_other_roles_cannot_add_rule_values(ctx, role):
    from tests.trust.conftest import make_company

    user = insert_user(role, make_company().id if role == "company" else None)
    for key in ("trust.contribution_rate_pct", "oxi.variation_cap_pct"):
        with pytest.raises(Forbidden):
            add_rule_value(key=key, value="1", effective_from=dt.date(2026, 7, 1), legal_basis="x",
                           resolution_number="1", resolution_date=TODAY, actor=user, today=TODAY)


def test_trustee_cannot_add_values_to_reference_rules(ctx):
    with pytest.raises(Forbidden):
        add_rule_value(key="oxi.variation_cap_pct", value="60", effective_from=dt.date(2026, 7, 1),
                       legal_basis="Ley", actor=insert_user("trustee"), today=TODAY)


def test_trustee_adds_a_trust_rule_citing_the_board_resolution(ctx):
    trustee = insert_user("trustee")
    row = add_rule_value(key="trust.contribution_rate_pct", value="0.18", effective_from=dt.date(2026, 7, 1),
                         resolution_number="012-2026-CT", resolution_date=dt.date(2026, 6, 10), actor=trustee,
                         today=TODAY)
    assert row.resolution_number == "012-2026-CT" and row.resolution_date == dt.date(2026, 6, 10)
    assert row.legal_basis == "Acuerdo del Comité Técnico N.° 012-2026-CT del 10/06/2026"
    assert row.created_by_id == trustee.id
    assert rule_value("trust.contribution_rate_pct", dt.date(2026, 7, 1)) == rule_value(
        "trust.contribution_rate_pct", dt.date(2026, 7, 2))
    assert str(rule_value("trust.contribution_rate_pct", dt.date(2026, 7, 1))) == "0.18"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rule.add",
                                                       AuditEntry.object_id == str(row.id)))
    assert audit.actor_id == trustee.id and audit.after_data["acuerdo"] == "012-2026-CT"


@pytest.mark.parametrize("changes, field", [
    ({"resolution_number": ""}, "resolution_number"),
    ({"resolution_number": "  "}, "resolution_number"),
    ({"resolution_date": None}, "resolution_date"),
    ({"resolution_date": dt.date(2026, 6, 21)}, "resolution_date"),  # a future resolution
    ({"effective_from": dt.date(2026, 6, 1)}, "effective_from"),  # in force before the board resolved it
])
def test_trust_rule_without_a_valid_resolution_is_refused(ctx, changes, field):
    args = {"key": "trust.due_day", "value": "20", "effective_from": dt.date(2026, 7, 1),
            "resolution_number": "013-2026-CT", "resolution_date": dt.date(2026, 6, 10)}
    args.update(changes)
    before = values("trust.due_day")
    with pytest.raises(DomainError) as info:
        add_rule_value(**args, actor=insert_user("trustee"), today=TODAY)
    assert info.value.field == field
    assert values("trust.due_day") == before


def test_admin_still_manages_reference_rules(ctx):
    row = add_rule_value(key="oxi.variation_warn_pct", value="75", effective_from=dt.date(2026, 7, 1),
                         legal_basis="Criterio de gestión 2026", actor=insert_user("admin"), today=TODAY)
    assert row.resolution_number is None and row.legal_basis == "Criterio de gestión 2026"


# -- the rules page ----------------------------------------------------------------------------------


def test_admin_page_offers_only_reference_rules_and_refuses_trust_rules(app, login_as):
    admin = login_as("admin")
    page = admin.get("/admin/reglas").get_data(as_text=True)
    form_part = page.split("Registrar un nuevo valor", 1)[1]
    assert 'value="oxi.variation_cap_pct"' in form_part
    assert 'value="trust.contribution_rate_pct"' not in form_part and "fideicomiso/" not in form_part
    with app.app_context():
        before = values("trust.contribution_rate_pct")
    response = admin.post("/admin/reglas", {"key": "trust.contribution_rate_pct", "value": "9",
                                            "effective_from": "2027-01-01", "legal_basis": "x"})
    assert response.status_code == 422
    assert admin.post("/admin/reglas/fideicomiso", {"fid-key": "trust.contribution_rate_pct", "fid-value": "9",
                                                     "fid-effective_from": "2027-01-01",
                                                     "fid-resolution_number": "1",
                                                     "fid-resolution_date": "2026-01-01"}).status_code == 403
    with app.app_context():
        assert values("trust.contribution_rate_pct") == before


def test_trustee_registers_a_trust_rule_from_the_page(app, login_as):
    trustee = login_as("trustee")
    page = trustee.get("/admin/reglas").get_data(as_text=True)
    assert "Registrar un nuevo valor de una regla del fideicomiso" in page
    assert "Registrar un nuevo valor de una regla de referencia" not in page
    data = {"fid-key": "trust.quorum_min_approvals", "fid-value": "3", "fid-effective_from": "2027-01-01",
            "fid-resolution_number": "020-2026-CT", "fid-resolution_date": "2026-11-30"}
    missing = trustee.post("/admin/reglas/fideicomiso", {**data, "fid-resolution_number": ""})
    assert missing.status_code == 422 and "número del acuerdo" in missing.get_data(as_text=True)
    done = trustee.post("/admin/reglas/fideicomiso", data, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Acuerdo del Comité Técnico N.° 020-2026-CT del 30/11/2026" in html
    assert trustee.post("/admin/reglas", {"key": "oxi.variation_cap_pct", "value": "60",
                                          "effective_from": "2027-01-01", "legal_basis": "x"}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "staff", "auditor"])
def test_admin_staff_and_auditor_read_the_trust_rules_without_their_form(login_as, role):
    page = login_as(role).get("/admin/reglas").get_data(as_text=True)
    assert "Aporte al fideicomiso sobre la planilla bruta mensual" in page
    assert "Comité Técnico: aprobaciones mínimas" in page
    assert "regla del fideicomiso" not in page.split("</table>", 1)[1]


def test_rule_dates_are_typed_as_dd_mm_aaaa_and_a_bad_date_changes_nothing(app, login_as):
    """The rules forms' dates are text fields in the Peruvian form (never the browser's date widget)."""
    admin, trustee = login_as("admin"), login_as("trustee")
    page = admin.get("/admin/reglas").get_data(as_text=True)
    assert 'type="date"' not in page and 'name="effective_from"' in page and 'placeholder="dd/mm/aaaa"' in page
    assert 'type="date"' not in trustee.get("/admin/reglas").get_data(as_text=True)
    with app.app_context():
        before = values("oxi.variation_warn_pct"), values("trust.due_day")
    bad = admin.post("/admin/reglas", {"key": "oxi.variation_warn_pct", "value": "70",
                                       "effective_from": "31/02/2027", "legal_basis": "Ley"})
    assert bad.status_code == 422 and "Fecha inválida: use dd/mm/aaaa" in bad.get_data(as_text=True)
    bad = trustee.post("/admin/reglas/fideicomiso", {
        "fid-key": "trust.due_day", "fid-value": "20", "fid-effective_from": "01/01/2027",
        "fid-resolution_number": "021-2026-CT", "fid-resolution_date": "30-11"})
    assert bad.status_code == 422 and "Fecha inválida: use dd/mm/aaaa" in bad.get_data(as_text=True)
    with app.app_context():
        assert (values("oxi.variation_warn_pct"), values("trust.due_day")) == before
    assert admin.post("/admin/reglas", {"key": "oxi.variation_warn_pct", "value": "70", "effective_from": "15/01/2027",
                                        "legal_basis": "Ley"}).status_code == 302
    assert trustee.post("/admin/reglas/fideicomiso", {
        "fid-key": "trust.due_day", "fid-value": "20", "fid-effective_from": "01/01/2027",
        "fid-resolution_number": "021-2026-CT", "fid-resolution_date": "30/11/2026"}).status_code == 302
    with app.app_context():
        assert rule_value("oxi.variation_warn_pct", dt.date(2027, 1, 15)) == 70
        assert db.session.scalar(select(RuleValue.resolution_date).where(
            RuleValue.resolution_number == "021-2026-CT")) == dt.date(2026, 11, 30)


def test_rules_read_together_are_the_values_in_force_each_read_alone(app, ctx):
    """``remember_rules`` reads several rules with one statement; ``rule_value`` then answers from it, with the
    value in force on each date (a later value is not in force before its date)."""
    from portfolio.rules import remember_rules
    from tests.support import count_statements

    add_rule_value(key="trust.due_day", value="20", effective_from=dt.date(2026, 7, 1),
                   resolution_number="013-2026-CT", resolution_date=dt.date(2026, 6, 10), actor=insert_user("trustee"),
                   today=TODAY)
    db.session.commit()
    alone = {}
    for on in (dt.date(2026, 6, 30), dt.date(2026, 7, 1)):
        for key in MONEY_RULES:
            alone[(key, on)] = rule_value(key, on)
            db.session.commit()  # the end of a transaction forgets what was read: each of these is read alone
    assert alone[("trust.due_day", dt.date(2026, 7, 1))] == 20 != alone[("trust.due_day", dt.date(2026, 6, 30))]
    for on in (dt.date(2026, 6, 30), dt.date(2026, 7, 1)):
        db.session.commit()
        with count_statements(app) as statements:
            remember_rules(MONEY_RULES, on=on)
            together = {(key, on): rule_value(key, on) for key in MONEY_RULES}
        assert len(statements) == 1, statements
        assert together == {k: v for k, v in alone.items() if k[1] == on}
