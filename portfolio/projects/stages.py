"""The stage machine of an Obras por Impuestos project, in one place.

``TRANSITIONS`` says which stages may follow each stage; ``PRECONDITIONS`` holds, per target stage, a
function that returns the Spanish reasons why the project cannot enter it yet (an empty list means it
may). Services call ``check_transition``; nothing else decides what may follow what.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portfolio import db
from portfolio.projects.vocab import (  # noqa: F401  (re-exported: callers use stages.MAIN_STAGES…)
    CONVENIO_STAGES,
    INITIAL_STAGE,
    MAIN_STAGES,
    SIDE_STAGES,
    Stage,
)

# In order (DOMAIN.md §1), then the side states.
STAGES: dict[Stage, str] = {
    Stage.PRIORIZADO: "Priorizado",
    Stage.ACTOS_PREVIOS: "Actos previos",
    Stage.EN_SELECCION: "En proceso de selección",
    Stage.ADJUDICADO: "Adjudicado (buena pro)",
    Stage.CONVENIO_SUSCRITO: "Convenio suscrito",
    Stage.EN_EJECUCION: "En ejecución",
    Stage.RECIBIDO: "Culminado y recibido",
    Stage.LIQUIDADO: "Liquidado",
    Stage.DESIERTO: "Desierto",
    Stage.SUSPENDIDO: "Suspendido",
    Stage.CANCELADO: "Cancelado",
}

TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.PRIORIZADO: (Stage.ACTOS_PREVIOS, Stage.CANCELADO),
    Stage.ACTOS_PREVIOS: (Stage.EN_SELECCION, Stage.CANCELADO),
    Stage.EN_SELECCION: (Stage.ADJUDICADO, Stage.DESIERTO, Stage.CANCELADO),
    Stage.DESIERTO: (Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.CANCELADO),
    Stage.ADJUDICADO: (Stage.CONVENIO_SUSCRITO, Stage.CANCELADO),
    Stage.CONVENIO_SUSCRITO: (Stage.EN_EJECUCION, Stage.CANCELADO),
    Stage.EN_EJECUCION: (Stage.RECIBIDO, Stage.SUSPENDIDO),
    Stage.SUSPENDIDO: (Stage.EN_EJECUCION, Stage.CANCELADO),
    Stage.RECIBIDO: (Stage.LIQUIDADO,),
    Stage.LIQUIDADO: (),
    Stage.CANCELADO: (),
}

# The key date that the date given with a transition records (resuming from suspendido records none).
STAGE_DATES: dict[Stage, str] = {
    Stage.EN_SELECCION: "call_on",
    Stage.ADJUDICADO: "awarded_on",
    Stage.CONVENIO_SUSCRITO: "convenio_on",
    Stage.EN_EJECUCION: "start_on",
    Stage.RECIBIDO: "reception_on",
    Stage.LIQUIDADO: "settlement_on",
}

# Stages in which the convenio amount counts against the entity's CIPRL cap.
COMMITTED_STAGES = CONVENIO_STAGES


@dataclass
class Check:
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons


def label(stage: str | None) -> str:
    return STAGES.get(stage or "", stage or "—")


def allowed_next(stage: str) -> tuple[str, ...]:
    return TRANSITIONS.get(stage, ())


# --- preconditions per target stage ------------------------------------------------------------------

def _needs_note(project, note: str, check: Check, what: str) -> None:
    if not (note or "").strip():
        check.reasons.append(f"Indique el motivo en la nota: {what}.")


def _actos_previos(project, note: str, check: Check) -> None:
    if not project.cui:
        check.reasons.append("Registre el CUI (proyecto viable en Invierte.pe) antes de iniciar los actos previos.")


def _en_seleccion(project, note: str, check: Check) -> None:
    if not project.reference_amount:
        check.reasons.append("Registre el monto referencial antes de convocar el proceso de selección.")
    if not project.contraloria_ref:
        check.reasons.append("Registre la referencia del informe previo de la Contraloría antes de convocar.")


def _adjudicado(project, note: str, check: Check) -> None:
    if not project.members:
        check.reasons.append("Registre la empresa financista o el consorcio (con sus participaciones) antes de "
                             "adjudicar la buena pro.")
    if not project.awarded_amount:
        check.reasons.append("Registre el monto adjudicado antes de adjudicar la buena pro.")
    if not project.awarded_on:
        check.reasons.append("Indique la fecha de la buena pro.")
    elif project.call_on and project.awarded_on < project.call_on:
        check.reasons.append("La buena pro no puede ser anterior a la convocatoria.")


def _convenio_suscrito(project, note: str, check: Check) -> None:
    from portfolio.projects import caps

    if not project.awarded_amount:
        check.reasons.append("Registre el monto del convenio (monto adjudicado) antes de suscribirlo.")
    if not project.convenio_on:
        check.reasons.append("Indique la fecha de suscripción del convenio.")
    elif project.awarded_on and project.convenio_on < project.awarded_on:
        check.reasons.append("La fecha del convenio no puede ser anterior a la buena pro.")
    if not project.members:
        check.reasons.append("El convenio requiere la empresa financista o el consorcio.")
    if check.reasons:
        return
    caps.check_convenio_cap(project, check)


def _en_ejecucion(project, note: str, check: Check) -> None:
    if project.stage == Stage.SUSPENDIDO:
        return
    if not project.start_on:
        check.reasons.append("Indique la fecha de inicio de la ejecución.")
    elif project.convenio_on and project.start_on < project.convenio_on:
        check.reasons.append("La fecha de inicio no puede ser anterior a la suscripción del convenio.")
    if not project.supervisor:
        check.reasons.append("Registre la entidad privada supervisora antes de iniciar la ejecución.")


def _recibido(project, note: str, check: Check) -> None:
    if not project.reception_on:
        check.reasons.append("Indique la fecha de recepción de la obra o del equipamiento.")
    elif project.convenio_on and project.reception_on < project.convenio_on:
        check.reasons.append("La fecha de recepción no puede ser anterior a la suscripción del convenio.")


def _liquidado(project, note: str, check: Check) -> None:
    from portfolio.projects.models import Milestone
    from portfolio.projects.vocab import CLOSED_MILESTONE_STATUSES

    open_count = db.session.scalar(
        select(func.count()).select_from(Milestone)
        .where(Milestone.project_id == project.id, Milestone.status.not_in(CLOSED_MILESTONE_STATUSES))
    )
    if open_count:
        check.reasons.append(f"Hay {open_count} hito(s) sin cerrar (cumplido o no cumplido); ciérrelos antes de "
                             "liquidar.")
    if project.final_cost is None:
        check.reasons.append("Registre el costo final de la liquidación.")
    if not project.settlement_on:
        check.reasons.append("Indique la fecha de liquidación.")
    elif project.reception_on and project.settlement_on < project.reception_on:
        check.reasons.append("La fecha de liquidación no puede ser anterior a la recepción.")


def _desierto(project, note: str, check: Check) -> None:
    _needs_note(project, note, check, "por qué el proceso quedó desierto")


def _suspendido(project, note: str, check: Check) -> None:
    _needs_note(project, note, check, "por qué se suspende la ejecución")


def _cancelado(project, note: str, check: Check) -> None:
    _needs_note(project, note, check, "por qué se cancela el proyecto")


PRECONDITIONS: dict[Stage, Callable] = {
    Stage.ACTOS_PREVIOS: _actos_previos,
    Stage.EN_SELECCION: _en_seleccion,
    Stage.ADJUDICADO: _adjudicado,
    Stage.CONVENIO_SUSCRITO: _convenio_suscrito,
    Stage.EN_EJECUCION: _en_ejecucion,
    Stage.RECIBIDO: _recibido,
    Stage.LIQUIDADO: _liquidado,
    Stage.DESIERTO: _desierto,
    Stage.SUSPENDIDO: _suspendido,
    Stage.CANCELADO: _cancelado,
}


def suggested_target(project) -> str | None:
    """The stage a transition form pre-selects: the first main-line stage the project may enter now, with
    what is already recorded (``check_transition`` passes). None when none may — the form then asks the
    user to choose. Side states (desierto, suspendido, cancelado) are never pre-selected."""
    for target in allowed_next(project.stage):
        if target in MAIN_STAGES and check_transition(project, target).ok:
            return target
    return None


def check_transition(project, target: str, note: str = "") -> Check:
    """May ``project`` move to ``target`` now? Reasons (refusals) and warnings, in Spanish."""
    check = Check()
    if target not in STAGES:
        check.reasons.append("Etapa desconocida.")
        return check
    if target not in allowed_next(project.stage):
        options = ", ".join(label(s) for s in allowed_next(project.stage)) or "ninguna (etapa final)"
        check.reasons.append(
            f"No se puede pasar de «{label(project.stage)}» a «{label(target)}». Etapas permitidas: {options}."
        )
        return check
    PRECONDITIONS[target](project, note, check)
    return check
