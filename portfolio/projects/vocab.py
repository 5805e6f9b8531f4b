"""The vocabularies of Obras por Impuestos: project stages, milestone and certificate statuses.

Each is a ``StrEnum`` whose values are the strings stored in the database (members compare equal to
them), with the sets that rules, queries and CHECK constraints use beside it. Spanish labels live with
the models and the stage machine (``stages.STAGES``, ``MILESTONE_STATUSES``, ``CERTIFICATE_STATUSES``).
"""
from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A project's stage (DOMAIN.md §1): the main line in order, then the side states."""

    PRIORIZADO = "priorizado"
    ACTOS_PREVIOS = "actos_previos"
    EN_SELECCION = "en_seleccion"
    ADJUDICADO = "adjudicado"
    CONVENIO_SUSCRITO = "convenio_suscrito"
    EN_EJECUCION = "en_ejecucion"
    RECIBIDO = "recibido"
    LIQUIDADO = "liquidado"
    DESIERTO = "desierto"
    SUSPENDIDO = "suspendido"
    CANCELADO = "cancelado"


# In order: the main line a project walks through (tuples where the order is shown to users).
MAIN_STAGES = (Stage.PRIORIZADO, Stage.ACTOS_PREVIOS, Stage.EN_SELECCION, Stage.ADJUDICADO, Stage.CONVENIO_SUSCRITO,
               Stage.EN_EJECUCION, Stage.RECIBIDO, Stage.LIQUIDADO)
SIDE_STAGES = (Stage.DESIERTO, Stage.SUSPENDIDO, Stage.CANCELADO)
INITIAL_STAGE = Stage.PRIORIZADO
# The convenio is in force: variations, milestones' actual dates and certificates belong here.
CONVENIO_STAGES = (Stage.CONVENIO_SUSCRITO, Stage.EN_EJECUCION, Stage.SUSPENDIDO, Stage.RECIBIDO, Stage.LIQUIDADO)
# Monetary and scope variations are recorded while the works are under way.
VARIATION_STAGES = frozenset({Stage.CONVENIO_SUSCRITO, Stage.EN_EJECUCION, Stage.SUSPENDIDO})
# Works finished: a certificate for the whole project may be issued.
FINISHED_STAGES = frozenset({Stage.RECIBIDO, Stage.LIQUIDADO})
# No more work happens on the project (no milestones, no budget changes).
CLOSED_STAGES = frozenset({Stage.LIQUIDADO, Stage.CANCELADO})


class MilestoneStatus(StrEnum):
    PROGRAMADO = "programado"
    CUMPLIDO = "cumplido"
    PARCIAL = "parcial"
    NO_CUMPLIDO = "no_cumplido"


CLOSED_MILESTONE_STATUSES = frozenset({MilestoneStatus.CUMPLIDO, MilestoneStatus.NO_CUMPLIDO})
# A valorización counts as accepted once the supervisora gave conformity and it was (at least partly) met.
ACCEPTED_MILESTONE_STATUSES = frozenset({MilestoneStatus.CUMPLIDO, MilestoneStatus.PARCIAL})


class CertificateStatus(StrEnum):
    SOLICITADO = "solicitado"
    EMITIDO = "emitido"
    ANULADO = "anulado"


# The only moves a certificate's status makes (the service and the database trigger both follow it).
CERTIFICATE_TRANSITIONS: dict[CertificateStatus, tuple[CertificateStatus, ...]] = {
    CertificateStatus.SOLICITADO: (CertificateStatus.EMITIDO, CertificateStatus.ANULADO),
    CertificateStatus.EMITIDO: (CertificateStatus.ANULADO,),
    CertificateStatus.ANULADO: (),
}

# Requested or issued: counts against the convenio, the valorizaciones and the entity's cap.
LIVE_CERTIFICATE_STATUSES = frozenset({CertificateStatus.SOLICITADO, CertificateStatus.EMITIDO})
