"""Budget (versioned, never overwritten), milestones and their date rules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from portfolio import clock, db
from portfolio.errors import Conflict, DomainError
from portfolio.projects import certificates, execution
from portfolio.projects.models import BudgetRevision
from tests.support import STAFF_ACTOR

from .conftest import D


def test_budget_revision_adds_a_version_and_keeps_the_original(oxi):
    project = oxi.project("en_ejecucion")
    line = execution.add_budget_line(project=project, category="obra", description="Obra civil", amount="800000.00", actor=STAFF_ACTOR)
    execution.revise_budget_line(line=line, amount="950000.00", reason="Adenda 1", actor=STAFF_ACTOR)
    execution.revise_budget_line(line=line, amount="900000.00", reason="Adenda 2", actor=STAFF_ACTOR)
    rows = db.session.execute(select(BudgetRevision.number, BudgetRevision.amount)
                              .where(BudgetRevision.line_id == line.id).order_by(BudgetRevision.number)).all()
    assert rows == [(1, Decimal("800000.00")), (2, Decimal("950000.00")), (3, Decimal("900000.00"))]
    assert (line.original, line.current) == (Decimal("800000.00"), Decimal("900000.00"))


def test_budget_revisions_are_append_only_in_the_database(oxi):
    project = oxi.project("en_ejecucion")
    line = execution.add_budget_line(project=project, category="obra", description=None, amount="1.00", actor=STAFF_ACTOR)
    with pytest.raises(Exception):  # noqa: B017 - the trigger's error class differs per database
        with db.session.begin_nested():
            db.session.execute(text("UPDATE budget_revisions SET amount = 5 WHERE line_id = :l"), {"l": line.id})


def test_rule_budget_execution_paid_not_over_accrued_not_over_current(oxi):
    project = oxi.project("en_ejecucion")
    line = execution.add_budget_line(project=project, category="supervision", description=None, amount="100000.00", actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="devengado no puede superar el presupuesto vigente"):
        execution.record_budget_execution(line=line, accrued="100000.01", paid="0", expected_version=line.version, actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="girado no puede superar el devengado"):
        execution.record_budget_execution(line=line, accrued="50000.00", paid="50000.01", expected_version=line.version, actor=STAFF_ACTOR)
    execution.record_budget_execution(line=line, accrued="50000.00", paid="40000.00", expected_version=line.version, actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="menor que lo ya devengado"):
        execution.revise_budget_line(line=line, amount="49999.99", reason="Recorte", actor=STAFF_ACTOR)
    with pytest.raises(Conflict):
        execution.record_budget_execution(line=line, accrued="1.00", paid="0", expected_version=line.version - 1, actor=STAFF_ACTOR)


@pytest.mark.parametrize("amount,message", [("-1.00", "negativo"), ("1.001", "dos decimales"), ("", "Ingrese")])
def test_budget_amounts_are_exact_and_not_negative(oxi, amount, message):
    project = oxi.project()
    with pytest.raises(DomainError, match=message):
        execution.add_budget_line(project=project, category="obra", description=None, amount=amount, actor=STAFF_ACTOR)


@pytest.mark.parametrize("changes,message", [
    ({"actual_date": D(2026, 3, 1), "status": "cumplido"}, "anterior a la suscripción del convenio"),
    ({"actual_date": D(2026, 4, 1), "status": "cumplido", "conformity_date": D(2026, 3, 30)},
     "no puede ser anterior a ella"),
    ({"conformity_date": D(2026, 4, 2)}, "La conformidad requiere la fecha real"),
    ({"status": "cumplido"}, "necesita su fecha real"),
    ({"actual_date": D(2026, 4, 1), "status": "programado"}, "indique si el hito se cumplió"),
    ({"actual_date": clock.today() + dt.timedelta(days=1), "status": "cumplido"}, "futura"),
    ({"planned_physical": "100.5"}, "entre 0 y 100"),
    ({"planned_physical": "10.555"}, "hasta dos decimales"),
    ({"kind": "otro"}, "tipo de hito"),
])
def test_milestone_rules(oxi, changes, message):
    project = oxi.project("en_ejecucion")  # convenio 02/03/2026
    data = {"kind": "valorizacion", "planned_date": D(2026, 4, 1), "status": "programado", "amount": "1000.00"}
    data.update(changes)
    with pytest.raises(DomainError, match=message):
        execution.add_milestone(project=project, data=data, actor=STAFF_ACTOR)


def test_milestone_actual_dates_need_a_signed_convenio(oxi):
    project = oxi.project("actos_previos", convenio_on=None)
    with pytest.raises(DomainError, match="Registre primero la suscripción del convenio"):
        execution.add_milestone(project=project, data={"kind": "expediente", "planned_date": D(2026, 4, 1),
                                          "actual_date": D(2026, 4, 1), "status": "cumplido"}, actor=STAFF_ACTOR)
    planned = execution.add_milestone(project=project, data={"kind": "expediente", "planned_date": D(2026, 8, 1)}, actor=STAFF_ACTOR)
    assert planned.status == "programado" and planned.overdue(D(2026, 8, 2)) and not planned.overdue(D(2026, 8, 1))


def test_a_milestone_backing_certificates_keeps_its_conformity_and_amount(oxi):
    project = oxi.project("en_ejecucion")
    milestone = oxi.milestone(project, amount="500000.00")
    certificates.add_certificate(project=project, number="H-1", amount="300000.00", issue_date=D(2026, 5, 1),
                                 milestone_id=milestone.id, actor=STAFF_ACTOR)
    data = {"kind": "valorizacion", "planned_date": milestone.planned_date, "actual_date": milestone.actual_date,
            "status": "cumplido", "conformity_date": milestone.conformity_date, "amount": "299999.99"}
    with pytest.raises(DomainError, match="respalda certificados"):
        execution.update_milestone(project=project, milestone=milestone, data=data, expected_version=milestone.version, actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="respalda certificados"):
        execution.update_milestone(project=project, milestone=milestone, data=data | {"amount": "500000.00", "conformity_date": None},
                                   expected_version=milestone.version, actor=STAFF_ACTOR)
    execution.update_milestone(project=project, milestone=milestone, data=data | {"amount": "450000.00"}, expected_version=milestone.version, actor=STAFF_ACTOR)
    assert milestone.amount == Decimal("450000.00")


def test_plazo_variation_extends_the_term(oxi):
    project = oxi.project("en_ejecucion", term_days=300)
    execution.add_variation(project=project, kind="plazo", amount_delta=None, days_delta=45, approved_on=D(2026, 6, 1),
                            legal_reference="Adenda de plazo", actor=STAFF_ACTOR)
    assert project.term_days == 345 and project.current_convenio_amount == Decimal("1000000.00")
    with pytest.raises(DomainError, match="necesita los días"):
        execution.add_variation(project=project, kind="plazo", amount_delta=None, days_delta=0, approved_on=D(2026, 6, 1),
                                legal_reference="x", actor=STAFF_ACTOR)
    with pytest.raises(DomainError, match="referencia legal"):
        execution.add_variation(project=project, kind="monto", amount_delta="10.00", days_delta=0, approved_on=D(2026, 6, 1),
                                legal_reference="  ", actor=STAFF_ACTOR)
