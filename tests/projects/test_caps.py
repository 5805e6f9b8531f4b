"""Every legal limit of OxI refuses what it must (one test per named rule), and the derived amounts."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portfolio import clock, db
from portfolio.domain_errors import Forbidden
from portfolio.errors import DomainError
from portfolio.projects import certificates, execution, services
from portfolio.projects.models import Certificate, CertificateHolding, Project, TaxDeclaration, Variation
from portfolio.rules import RuleValue
from tests.support import STAFF_ACTOR, ActingAs

from .conftest import MPT, D

JUNE = D(2026, 6, 1)


def _variation(project, amount, on=JUNE, kind="monto", days=0):
    return execution.add_variation(project=project, kind=kind, amount_delta=amount, days_delta=days, approved_on=on,
                                   legal_reference="Adenda de prueba", actor=STAFF_ACTOR)


def _certificate(project, amount, *, number=None, on=JUNE, milestone=None):
    return certificates.add_certificate(project=project, number=number or f"N-{amount}-{on}", amount=amount,
                                        issue_date=on, milestone_id=milestone.id if milestone else None, actor=STAFF_ACTOR)


def test_current_convenio_is_awarded_plus_approved_variations(oxi):
    project = oxi.project("en_ejecucion")
    _variation(project, "120000.50")
    _variation(project, "-20000.25")
    assert project.current_convenio_amount == Decimal("1100000.25")
    fresh = db.session.scalar(select(Project).where(Project.id == project.id).execution_options(populate_existing=True))
    assert fresh.current_convenio_amount == Decimal("1100000.25")


def test_variations_total_is_kept_by_the_database_whatever_writes_the_variations(oxi):
    """``projects.variations_total`` (which lists, sorts and sums read) equals Σ amount_delta of the project's
    variations after the service adds them and after raw SQL inserts, changes, moves and deletes them."""
    from sqlalchemy import text

    recomputed = (select(func.coalesce(func.sum(Variation.amount_delta), 0)).where(Variation.project_id == Project.id)
                  .correlate_except(Variation).scalar_subquery())
    one, two = oxi.project("en_ejecucion"), oxi.project("en_ejecucion")
    _variation(one, "120000.50")
    _variation(one, "-20000.25")

    def kept_and_recomputed():
        db.session.expire_all()
        return {pid: (kept, computed) for pid, kept, computed in db.session.execute(
            select(Project.id, Project.variations_total, recomputed).where(Project.id.in_([one.id, two.id])))}

    assert kept_and_recomputed() == {one.id: (Decimal("100000.25"), Decimal("100000.25")), two.id: (0, 0)}
    db.session.execute(text("INSERT INTO project_variations (project_id, kind, amount_delta, days_delta, approved_on, "
                            "legal_reference, created_at) VALUES (:p, 'monto', 5000, 0, :on, 'Adenda SQL', :at)"),
                       {"p": two.id, "on": JUNE, "at": clock.utcnow()})  # S/ 50.00
    last = db.session.scalar(select(func.max(Variation.id)))
    assert kept_and_recomputed()[two.id] == (Decimal("50.00"), Decimal("50.00"))
    db.session.execute(text("UPDATE project_variations SET amount_delta = 7525 WHERE id = :v"), {"v": last})
    assert kept_and_recomputed()[two.id] == (Decimal("75.25"), Decimal("75.25"))
    db.session.execute(text("UPDATE project_variations SET project_id = :p WHERE id = :v"), {"p": one.id, "v": last})
    assert kept_and_recomputed() == {one.id: (Decimal("100075.50"), Decimal("100075.50")), two.id: (0, 0)}
    db.session.execute(text("DELETE FROM project_variations WHERE id = :v"), {"v": last})
    assert kept_and_recomputed() == {one.id: (Decimal("100000.25"), Decimal("100000.25")), two.id: (0, 0)}


def test_list_amount_computed_by_the_database_is_the_current_amount(oxi):
    """``projects.list_amount`` (what lists sort by and sums add) is ``Project.current_amount``: the current
    convenio once awarded (variations included, as they change), else the reference amount, else zero."""
    awarded, referenced = oxi.project("en_ejecucion"), oxi.project("priorizado")
    bare = oxi.project("priorizado")
    db.session.execute(Project.__table__.update().where(Project.id == referenced.id).values(awarded_amount=None))
    db.session.execute(Project.__table__.update().where(Project.id == bare.id)
                       .values(awarded_amount=None, reference_amount=None))
    _variation(awarded, "120000.50")

    def both():
        db.session.expire_all()
        return {p.id: (p.list_amount, p.current_amount) for p in db.session.scalars(
            select(Project).where(Project.id.in_([awarded.id, referenced.id, bare.id])))}

    found = both()
    assert all(kept == computed for kept, computed in found.values()), found
    assert found[bare.id] == (Decimal("0.00"), Decimal("0.00"))
    assert found[referenced.id][0] == db.session.get(Project, referenced.id).reference_amount > 0
    assert found[awarded.id][0] == Decimal("1120000.50")
    _variation(awarded, "-20000.25")
    assert both()[awarded.id] == (Decimal("1100000.25"), Decimal("1100000.25"))


def test_rule_variation_cap_50_percent_since_ley_31735(oxi):
    project = oxi.project("en_ejecucion")  # original convenio S/ 1,000,000.00, approvals in 2026
    _variation(project, "300000.00")
    _variation(project, "200000.00")  # exactly 50 %: allowed
    with pytest.raises(DomainError, match="Excede el tope de variaciones"):
        _variation(project, "0.01")
    assert db.session.scalar(select(func.count()).select_from(Variation).where(Variation.project_id == project.id)) == 2


def test_rule_variation_cap_uses_the_rule_in_force_on_the_approval_date(oxi):
    project = oxi.project("en_ejecucion", convenio_on=D(2022, 3, 1))
    with pytest.raises(DomainError, match="30 % del convenio original"):
        _variation(project, "300000.01", on=D(2022, 6, 1))  # 30 % before Ley 31735
    _variation(project, "300000.00", on=D(2022, 6, 1))
    _variation(project, "200000.00", on=D(2023, 6, 1))  # 50 % once Ley 31735 is in force


def test_rule_variation_cap_warns_as_the_limit_nears(oxi):
    project = oxi.project("en_ejecucion")
    _, warnings = _variation(project, "100000.00")
    assert warnings == []
    _, warnings = _variation(project, "300000.00")  # 400,000 of 500,000 = 80 % of the cap
    assert warnings and "80.0 % del tope" in warnings[0]


def test_rule_deductive_may_not_make_the_convenio_negative(oxi):
    project = oxi.project("en_ejecucion")
    with pytest.raises(DomainError, match="monto negativo"):
        _variation(project, "-1000000.01")


def test_rule_variations_only_while_the_convenio_is_in_force(oxi):
    project = oxi.project("adjudicado")
    with pytest.raises(DomainError, match="Solo se registran adendas"):
        _variation(project, "1000.00")


def test_rule_certificate_not_over_current_convenio(oxi):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project, amount="1000000.00")
    _certificate(project, "900000.00", milestone=milestone)
    oxi.milestone(project, amount="300000.00")
    with pytest.raises(DomainError, match="Excede el monto vigente del convenio"):
        _certificate(project, "100000.01", milestone=milestone)


def test_rule_certificate_not_over_accepted_valuations(oxi):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project, amount="400000.00")
    oxi.milestone(project, amount="300000.00", accepted=False)  # planned, not accepted: does not count
    with pytest.raises(DomainError, match="Excede las valorizaciones con conformidad"):
        _certificate(project, "400000.01", milestone=milestone)
    _certificate(project, "400000.00", milestone=milestone)
    assert db.session.scalar(select(func.count()).select_from(Certificate)
                             .where(Certificate.project_id == project.id)) == 1


def test_rule_certificate_not_over_its_milestone(oxi):
    project = oxi.project("en_ejecucion")
    first = oxi.milestone(project, amount="200000.00")
    oxi.milestone(project, amount="500000.00")
    with pytest.raises(DomainError, match="Excede el monto del hito"):
        _certificate(project, "200000.01", milestone=first)


def test_rule_certificate_needs_an_accepted_milestone_while_in_execution(oxi):
    project = oxi.project("en_ejecucion")
    pending = oxi.milestone(project, accepted=False)
    with pytest.raises(DomainError, match="no tiene conformidad"):
        _certificate(project, "1000.00", milestone=pending)
    with pytest.raises(DomainError, match="debe indicar el hito"):
        _certificate(project, "1000.00")


def test_rule_certificate_not_before_convenio_nor_before_its_stage(oxi):
    project = oxi.project("adjudicado")
    with pytest.raises(DomainError, match="convenio suscrito"):
        _certificate(project, "1000.00")
    signed = oxi.project("en_ejecucion")
    milestone = oxi.milestone(signed)
    with pytest.raises(DomainError, match="anterior a la suscripción del convenio"):
        _certificate(signed, "1000.00", on=D(2026, 1, 1), milestone=milestone)


def test_rule_ciprl_cap_refuses_a_convenio_over_the_entity_cap(oxi):
    oxi.cap(MPT, 2026, "1500000.00")
    oxi.project("convenio_suscrito", entity=MPT)  # S/ 1,000,000 of the 1,500,000 cap
    with pytest.raises(DomainError, match="Excede el tope CIPRL 2026"):
        oxi.project("convenio_suscrito", entity=MPT, convenio_on=D(2026, 4, 1))


def test_rule_ciprl_zero_cap_is_a_real_cap(oxi):
    oxi.cap(MPT, 2026, "0.00")
    with pytest.raises(DomainError, match="tope S/\u00a00.00"):
        oxi.project("convenio_suscrito", entity=MPT)


def test_rule_ciprl_missing_cap_refuses_and_asks_to_register_it(oxi):
    with pytest.raises(DomainError, match="No hay tope CIPRL registrado .* en 2026. Regístrelo"):
        oxi.project("convenio_suscrito", entity=MPT)


def test_rule_ciprl_cap_is_only_a_warning_when_configured(oxi):
    oxi.cap(MPT, 2026, "0.00")
    db.session.add(RuleValue(key="oxi.cap_check_refuses", value="0", effective_from=D(2026, 1, 1),
                             legal_basis="Prueba: solo advertir"))
    db.session.flush()
    project = oxi.project("adjudicado", entity=MPT, convenio_on=None)
    check = services.transition(project=project, target="convenio_suscrito", on=D(2026, 3, 2), actor=STAFF_ACTOR)
    assert project.stage == "convenio_suscrito" and "Excede el tope CIPRL 2026" in check.warnings[0]


def test_rule_ciprl_cap_counts_variations_of_the_year(oxi):
    oxi.cap(MPT, 2026, "1100000.00")
    project = oxi.project("en_ejecucion", entity=MPT)
    _variation(project, "100000.00")
    with pytest.raises(DomainError, match="Excede el tope CIPRL 2026"):
        _variation(project, "0.01")


def test_rule_ciprl_cap_certificate_of_an_older_convenio_draws_on_the_issue_year(oxi):
    oxi.cap(MPT, 2025, "5000000.00")
    oxi.cap(MPT, 2026, "300000.00")
    project = oxi.project("en_ejecucion", entity=MPT, convenio_on=D(2025, 6, 2))
    milestone = oxi.milestone(project, amount="800000.00")
    _certificate(project, "300000.00", on=D(2026, 2, 1), milestone=milestone)
    with pytest.raises(DomainError, match="Excede el tope CIPRL 2026"):
        _certificate(project, "0.01", on=D(2026, 2, 2), milestone=milestone)
    _certificate(project, "100000.00", on=D(2025, 12, 1), milestone=milestone)  # same year as the convenio: inside it


def test_certificate_type_follows_the_entity_level(oxi):
    national = oxi.project("en_ejecucion")
    certificate, _ = _certificate(national, "1000.00", milestone=oxi.milestone(national))
    assert certificate.cert_type == "CIPGN"
    oxi.cap(MPT, 2026, "5000000.00")
    local = oxi.project("en_ejecucion", entity=MPT)
    certificate, _ = _certificate(local, "1000.00", milestone=oxi.milestone(local))
    assert certificate.cert_type == "CIPRL"


def test_certificate_split_by_consortium_shares_is_cent_exact(oxi):
    project = oxi.project("en_ejecucion", shares=("33.33", "33.33", "33.34"))
    certificate, _ = _certificate(project, "100000.01", milestone=oxi.milestone(project))
    parts = [h.amount for h in certificate.holdings]
    assert parts == [Decimal("33330.00"), Decimal("33330.00"), Decimal("33340.01")]  # last takes the remainder
    assert sum(parts) == Decimal("100000.01")
    stored = db.session.scalars(select(CertificateHolding.amount).where(
        CertificateHolding.certificate_id == certificate.id).order_by(CertificateHolding.position)).all()
    assert stored == parts


def test_certificate_status_machine_and_annulment_frees_room(oxi):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project, amount="1000000.00")
    certificate, _ = _certificate(project, "1000000.00", milestone=milestone)
    certificates.change_status(certificate=certificate, target="emitido", expected_version=None, actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="no puede pasar"):
        certificates.change_status(certificate=certificate, target="solicitado", expected_version=None, actor=STAFF_ACTOR)
    certificates.change_status(certificate=certificate, target="anulado", expected_version=None, actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="no puede pasar"):
        certificates.change_status(certificate=certificate, target="emitido", expected_version=None, actor=STAFF_ACTOR)
    _certificate(project, "1000000.00", number="REEMPLAZO", milestone=milestone)


def test_duplicate_certificate_number_refused(oxi):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project)
    _certificate(project, "1000.00", number="X-1", milestone=milestone)
    with pytest.raises(DomainError, match="Ya existe un CIPGN con el número X-1"):
        _certificate(project, "1000.00", number="X-1", milestone=milestone)


def test_a_company_declares_only_its_own_income_tax(oxi, make_company):
    own, other = make_company(), make_company()
    with pytest.raises(Forbidden, match="su propia empresa"):
        certificates.declare_tax(company_id=other, year=clock.today().year - 1, amount="1000.00",
                                 actor=ActingAs("company", company_id=own))
    assert db.session.scalar(select(func.count(TaxDeclaration.id))) == 0


def test_rule_tax_share_80_percent_of_prior_year_tax(oxi, make_company):
    company_id = make_company()
    project = oxi.project("en_ejecucion", companies=[company_id])
    certificate, _ = _certificate(project, "250000.00", on=clock.today(), milestone=oxi.milestone(project))
    certificates.change_status(certificate=certificate, target="emitido", expected_version=None, actor=STAFF_ACTOR)
    certificates.declare_tax(company_id=company_id, year=clock.today().year - 1, amount="1000000.01",
                             actor=ActingAs("company", company_id=company_id))
    holdings, share = certificates.company_panel(company_id)
    assert share.share_pct == Decimal("80")
    assert share.may_apply == Decimal("800000.01")  # 800,000.008 rounded half up
    assert share.applied == Decimal("250000.00") and share.remaining == Decimal("550000.01")
    assert [h.amount for h in holdings] == [Decimal("250000.00")]
    with pytest.raises(DomainError, match="año anterior"):
        certificates.declare_tax(company_id=company_id, year=clock.today().year, amount="1.00",
                                 actor=ActingAs("company", company_id=company_id))
