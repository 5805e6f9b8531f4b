"""The stage machine: the transition table and each target stage's precondition, by name."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from portfolio import clock, db
from portfolio.errors import Conflict, DomainError
from portfolio.projects import services, stages
from portfolio.projects.models import StageTransition
from tests.support import STAFF_ACTOR

from .conftest import D


def _transitions(project):
    return list(db.session.scalars(select(StageTransition).where(StageTransition.project_id == project.id)
                                   .order_by(StageTransition.id)))


def test_transition_table_refuses_every_pair_it_does_not_list():
    refused = 0
    for source in stages.STAGES:
        for target in stages.STAGES:
            if target in stages.TRANSITIONS[source]:
                continue
            check = stages.check_transition(SimpleNamespace(stage=source), target)
            assert not check.ok and "No se puede pasar" in check.reasons[0], (source, target)
            refused += 1
    assert refused > 90  # 11 × 11 pairs, only ~20 allowed


def test_transition_table_covers_exactly_the_domain_stages():
    assert list(stages.STAGES)[:8] == ["priorizado", "actos_previos", "en_seleccion", "adjudicado",
                                       "convenio_suscrito", "en_ejecucion", "recibido", "liquidado"]
    assert set(stages.TRANSITIONS) == set(stages.STAGES)
    assert stages.TRANSITIONS["liquidado"] == () and stages.TRANSITIONS["cancelado"] == ()
    assert set(stages.TRANSITIONS["desierto"]) >= {"actos_previos", "en_seleccion"}
    assert stages.TRANSITIONS["suspendido"][0] == "en_ejecucion"


def test_out_of_order_transition_refused_and_stage_unchanged(oxi):
    project = oxi.project()
    with pytest.raises(DomainError, match="No se puede pasar de «Priorizado» a «Convenio suscrito»"):
        services.transition(project=project, target="convenio_suscrito", actor=STAFF_ACTOR)
    assert project.stage == "priorizado"
    assert len(_transitions(project)) == 1


def test_rule_actos_previos_requires_cui(oxi):
    project = oxi.project(cui="")
    with pytest.raises(DomainError, match="Registre el CUI"):
        services.transition(project=project, target="actos_previos", actor=STAFF_ACTOR)


def test_rule_en_seleccion_requires_reference_amount_and_contraloria(oxi):
    project = oxi.project(reference_amount="", contraloria_ref="")
    services.transition(project=project, target="actos_previos", actor=STAFF_ACTOR)
    with pytest.raises(DomainError) as exc:
        services.transition(project=project, target="en_seleccion", actor=STAFF_ACTOR)
    assert "monto referencial" in exc.value.message and "Contraloría" in exc.value.message


def test_rule_adjudicado_requires_financing_company(oxi):
    project = oxi.project("en_seleccion")
    with pytest.raises(DomainError, match="empresa financista"):
        services.transition(project=project, target="adjudicado", actor=STAFF_ACTOR)


def test_rule_adjudicado_requires_awarded_amount_and_date(oxi, make_company):
    project = oxi.project(awarded_amount="", awarded_on=None)
    services.set_members(project=project, rows=[(make_company(), "100")], expected_version=None, actor=STAFF_ACTOR)
    services.transition(project=project, target="actos_previos", actor=STAFF_ACTOR)
    services.transition(project=project, target="en_seleccion", actor=STAFF_ACTOR)
    with pytest.raises(DomainError) as exc:
        services.transition(project=project, target="adjudicado", actor=STAFF_ACTOR)
    assert "monto adjudicado" in exc.value.message and "fecha de la buena pro" in exc.value.message
    assert project.stage == "en_seleccion"


def test_rule_convenio_requires_amount_and_date(oxi):
    project = oxi.project("adjudicado", convenio_on=None)
    with pytest.raises(DomainError, match="fecha de suscripción del convenio"):
        services.transition(project=project, target="convenio_suscrito", actor=STAFF_ACTOR)
    check = services.transition(project=project, target="convenio_suscrito", on=D(2026, 3, 2), actor=STAFF_ACTOR)
    assert check.ok and project.convenio_on == D(2026, 3, 2)


def test_rule_convenio_not_before_award(oxi):
    project = oxi.project("adjudicado", convenio_on=None, awarded_on=D(2026, 3, 1))
    with pytest.raises(DomainError, match="anterior a la buena pro"):
        services.transition(project=project, target="convenio_suscrito", on=D(2026, 2, 1), actor=STAFF_ACTOR)
    assert project.convenio_on is None  # the date given with the refused transition is not kept


def test_rule_en_ejecucion_requires_start_and_supervisor(oxi):
    project = oxi.project("convenio_suscrito", start_on=None, supervisor="")
    with pytest.raises(DomainError) as exc:
        services.transition(project=project, target="en_ejecucion", actor=STAFF_ACTOR)
    assert "fecha de inicio" in exc.value.message and "supervisora" in exc.value.message


def test_rule_recibido_requires_reception_date(oxi):
    project = oxi.project("en_ejecucion")
    with pytest.raises(DomainError, match="fecha de recepción"):
        services.transition(project=project, target="recibido", actor=STAFF_ACTOR)


def test_rule_liquidado_requires_closed_milestones_and_final_cost(oxi):
    project = oxi.project("recibido")
    oxi.milestone(project, accepted=False)
    with pytest.raises(DomainError) as exc:
        services.transition(project=project, target="liquidado", on=D(2026, 11, 1), actor=STAFF_ACTOR)
    assert "hito(s) sin cerrar" in exc.value.message and "costo final" in exc.value.message


@pytest.mark.parametrize("side", ["desierto", "suspendido", "cancelado"])
def test_rule_side_states_require_a_note(oxi, side):
    source = {"desierto": "en_seleccion", "suspendido": "en_ejecucion", "cancelado": "priorizado"}[side]
    project = oxi.project(source)
    with pytest.raises(DomainError, match="Indique el motivo"):
        services.transition(project=project, target=side, note="  ", actor=STAFF_ACTOR)
    services.transition(project=project, target=side, note="Motivo documentado", actor=STAFF_ACTOR)
    assert project.stage == side


def test_desierto_returns_to_selection_and_suspendido_resumes(oxi):
    project = oxi.project("desierto")
    services.transition(project=project, target="en_seleccion", actor=STAFF_ACTOR)
    assert project.stage == "en_seleccion"
    other = oxi.project("suspendido")
    services.transition(project=other, target="en_ejecucion", actor=STAFF_ACTOR)
    assert other.stage == "en_ejecucion"


def test_terminal_states_accept_nothing(oxi):
    project = oxi.project("cancelado")
    for target in stages.STAGES:
        with pytest.raises(DomainError, match="etapa final"):
            services.transition(project=project, target=target, note="x", actor=STAFF_ACTOR)


def test_every_transition_is_recorded_with_who_when_from_to_note(oxi, make_user):
    from portfolio.auth.models import User

    staff = db.session.get(User, make_user("staff")["id"])
    project = oxi.project("actos_previos")
    services.transition(project=project, target="en_seleccion", note="Convocatoria publicada", actor=staff)
    rows = _transitions(project)
    assert [(r.from_stage, r.to_stage) for r in rows] == [(None, "priorizado"), ("priorizado", "actos_previos"),
                                                          ("actos_previos", "en_seleccion")]
    last = rows[-1]
    assert last.actor_id == staff.id and last.actor_email == staff.email and last.note == "Convocatoria publicada"
    assert last.at.tzinfo is not None and abs(last.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_replayed_transition_with_stale_stage_is_a_conflict(oxi):
    project = oxi.project("actos_previos")
    services.transition(project=project, target="en_seleccion", expected_stage="actos_previos", actor=STAFF_ACTOR)
    with pytest.raises(Conflict, match="ya no está en «Actos previos»"):
        services.transition(project=project, target="en_seleccion", expected_stage="actos_previos", actor=STAFF_ACTOR)
    assert db.session.scalar(select(func.count()).select_from(StageTransition)
                             .where(StageTransition.project_id == project.id)) == 3


def test_transition_date_may_not_be_in_the_future(oxi):
    project = oxi.project("adjudicado", convenio_on=None)
    with pytest.raises(DomainError, match="futura"):
        services.transition(project=project, target="convenio_suscrito", on=clock.today() + dt.timedelta(days=1), actor=STAFF_ACTOR)


def test_stage_history_is_append_only_in_the_database(oxi):
    project = oxi.project()
    db.session.flush()
    with pytest.raises(Exception):  # noqa: B017 - the trigger's error class differs per database
        with db.session.begin_nested():
            db.session.execute(text("UPDATE project_stage_transitions SET note = 'x' WHERE project_id = :p"),
                               {"p": project.id})


def test_the_date_given_with_a_transition_is_recorded_as_the_stage_date(oxi):
    project = oxi.project("adjudicado", convenio_on=None)
    services.transition(project=project, target="convenio_suscrito", on=D(2026, 3, 5), actor=STAFF_ACTOR)
    services.transition(project=project, target="en_ejecucion", on=D(2026, 3, 20), actor=STAFF_ACTOR)
    assert (project.convenio_on, project.start_on) == (D(2026, 3, 5), D(2026, 3, 20))
    services.transition(project=project, target="suspendido", note="Paralización por lluvias", actor=STAFF_ACTOR)
    services.transition(project=project, target="en_ejecucion", on=D(2026, 5, 1), actor=STAFF_ACTOR)
    assert project.start_on == D(2026, 3, 20)  # resuming keeps the original start


def test_rule_award_not_before_the_call(oxi):
    project = oxi.project("en_seleccion", awarded_on=None, call_on=D(2026, 2, 1))
    with pytest.raises(DomainError, match="anterior a la convocatoria"):
        services.transition(project=project, target="adjudicado", on=D(2026, 1, 15), actor=STAFF_ACTOR)
