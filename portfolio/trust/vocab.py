"""The vocabularies of the trust: payment, contribution, disbursement and legal statuses, vote decisions.

Each is a ``StrEnum`` whose values are the strings stored in the database (members compare equal to
them), with the sets that rules, queries and CHECK constraints use beside it. Spanish labels live with
the models (``PAYMENT_STATUS``, ``DISBURSEMENT_STATUS``…).
"""
from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    """A company's payment: registered by the company, then confirmed or rejected by the trustee."""

    REGISTRADO = "registrado"
    CONFIRMADO = "confirmado"
    RECHAZADO = "rechazado"
    REVERTIDO = "revertido"


# The only moves a payment's status makes: the trustee confirms or rejects it, a confirmed one may be reversed.
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.REGISTRADO: frozenset({PaymentStatus.CONFIRMADO, PaymentStatus.RECHAZADO}),
    PaymentStatus.CONFIRMADO: frozenset({PaymentStatus.REVERTIDO}),
    PaymentStatus.RECHAZADO: frozenset(),
    PaymentStatus.REVERTIDO: frozenset(),
}

# Still standing (awaiting the trustee or counted): two of them with one bank + operation number need a decision.
LIVE_PAYMENTS = frozenset({PaymentStatus.REGISTRADO, PaymentStatus.CONFIRMADO})


class ContributionStatus(StrEnum):
    """A month's contribution, derived from what is due, what was paid and the due date (not stored)."""

    PENDIENTE = "pendiente"
    PARCIAL = "parcial"
    PAGADO = "pagado"
    VENCIDO = "vencido"


class DisbursementStatus(StrEnum):
    SOLICITADO = "solicitado"
    APROBADO = "aprobado"
    EN_EJECUCION = "en_ejecucion"
    PAGADO = "pagado"
    RECHAZADO = "rechazado"
    CANCELADO = "cancelado"


# The only moves a disbursement's status makes (the service and the database trigger both follow it).
DISBURSEMENT_TRANSITIONS: dict[DisbursementStatus, frozenset[DisbursementStatus]] = {
    DisbursementStatus.SOLICITADO: frozenset({DisbursementStatus.APROBADO, DisbursementStatus.RECHAZADO,
                                              DisbursementStatus.CANCELADO}),
    DisbursementStatus.APROBADO: frozenset({DisbursementStatus.EN_EJECUCION, DisbursementStatus.PAGADO,
                                            DisbursementStatus.CANCELADO}),
    DisbursementStatus.EN_EJECUCION: frozenset({DisbursementStatus.EN_EJECUCION, DisbursementStatus.PAGADO,
                                                DisbursementStatus.CANCELADO}),
    DisbursementStatus.PAGADO: frozenset(), DisbursementStatus.RECHAZADO: frozenset(),
    DisbursementStatus.CANCELADO: frozenset(),
}

# Approved and not fully paid: funds are reserved on the ledger and the trustee may pay tranches.
RESERVED_DISBURSEMENTS = frozenset({DisbursementStatus.APROBADO, DisbursementStatus.EN_EJECUCION})
# Approved at some point and not cancelled: they count against the program's annual allocation.
COMMITTED_DISBURSEMENTS = RESERVED_DISBURSEMENTS | {DisbursementStatus.PAGADO}
# Nothing more happens to them.
CLOSED_DISBURSEMENTS = frozenset({DisbursementStatus.PAGADO, DisbursementStatus.RECHAZADO,
                                  DisbursementStatus.CANCELADO})


class LegalStatus(StrEnum):
    """Of a receiving organization: only a constituted (registered) one may receive funds."""

    CONSTITUIDA = "constituida"
    EN_FORMACION = "en_formacion"


class VoteDecision(StrEnum):
    APROBAR = "aprobar"
    RECHAZAR = "rechazar"
