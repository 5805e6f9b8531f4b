"""The API's data shapes (pydantic): what the OpenAPI document shows and what requests are checked against.

Money is a string with exactly two decimals (``"1851.85"``): a JSON number, an exponent, a third decimal,
separators or NaN are refused with a Spanish message, never rounded. Dates are ISO 8601 (``AAAA-MM-DD``),
months ``AAAA-MM``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from portfolio.trust.models import BANKS

MONEY_PATTERN = r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$"
SIGNED_MONEY_PATTERN = r"^-?(0|[1-9][0-9]{0,11})\.[0-9]{2}$"
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
MONEY_HELP = 'Monto en soles como texto con dos decimales, p. ej. "1851.85".'


def _money(value: Any) -> str:
    import re

    if not isinstance(value, str) or not re.fullmatch(MONEY_PATTERN, value):
        raise PydanticCustomError(
            "money", 'Monto inválido: envíe un texto con dos decimales, p. ej. "1851.85" (sin separadores, '
                     "exponentes ni más decimales; nunca un número JSON).")
    return value


Money = Annotated[str, BeforeValidator(_money),
                  WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1851.85"],
                                  "description": MONEY_HELP})]
MoneyOut = Annotated[str, Field(pattern=SIGNED_MONEY_PATTERN, examples=["1851.85"], description=MONEY_HELP)]
Month = Annotated[str, Field(pattern=MONTH_PATTERN, examples=["2026-11"], description="Mes AAAA-MM.")]


def _in_range(value):
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise PydanticCustomError("date_range", "Fecha fuera de rango (entre 1900 y 2100).")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """A date-time without zone is read as UTC; one with a zone is converted to UTC."""
    _in_range(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Day = Annotated[dt.date, AfterValidator(_in_range)]
Instant = Annotated[dt.datetime, AfterValidator(_utc)]


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


BankCode = Literal[tuple(BANKS)]  # type: ignore[valid-type]


class Strict(BaseModel):
    """Request bodies: exact JSON types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class FieldError(BaseModel):
    field: str
    detail: str


Problem.model_rebuild()


class Page(Out):
    next_cursor: str | None = Field(description="Cursor de la página siguiente (null al final).")


# ---- company: declarations and payments --------------------------------------------------------------------
class DeclareIn(Strict):
    company_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                   description="Solo el fiduciario, al declarar en nombre de una empresa; una "
                                               "empresa declara siempre para sí misma.")
    month: Month
    payroll: Money = Field(description="Planilla bruta del mes. " + MONEY_HELP)
    headcount: int = Field(ge=1, le=1_000_000, description="Número de trabajadores.")


class RectifyIn(Strict):
    payroll: Money
    headcount: int = Field(ge=1, le=1_000_000)
    reason: str = Field(min_length=1, max_length=300, description="Motivo de la rectificación.")


class PaymentIn(Strict):
    amount: Money
    paid_on: Day = Field(description="Fecha del pago (AAAA-MM-DD).")
    bank: BankCode = Field(description="Código del banco receptor.")
    operation_number: str = Field(min_length=4, max_length=40, description="Número de operación bancaria.")


class DeclarationVersionOut(Out):
    version: int
    payroll: MoneyOut
    headcount: int
    rate_pct: str
    amount_due: MoneyOut
    difference: MoneyOut
    reason: str | None
    declared_on: dt.date


class DeclarationOut(Out):
    id: int
    company_id: int
    month: Month
    due_date: dt.date
    amount_due: MoneyOut
    amount_paid: MoneyOut
    outstanding: MoneyOut
    status: str
    status_label: str
    version: int
    versions: list[DeclarationVersionOut] | None = None


class DeclarationList(Page):
    items: list[DeclarationOut]


class PaymentOut(Out):
    id: int
    declaration_id: int
    amount: MoneyOut
    paid_on: dt.date
    bank: str
    operation_number: str
    status: str
    status_label: str


class StatementLine(Out):
    date: dt.date
    concept: str
    charge: MoneyOut
    credit: MoneyOut
    balance: MoneyOut


class StatementOut(Out):
    company_id: int
    start: dt.date
    end: dt.date
    opening_balance: MoneyOut
    charges: MoneyOut
    credits: MoneyOut
    closing_balance: MoneyOut
    lines: list[StatementLine]


class CertificateHoldingOut(Out):
    certificate_id: int
    project_id: int
    project_name: str
    type: str
    number: str
    issue_date: dt.date
    status: str
    share_pct: str
    amount: MoneyOut
    certificate_amount: MoneyOut


class CertificateHoldingList(Out):
    items: list[CertificateHoldingOut]


class PeriodQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Day | None = Field(None, description="Desde (AAAA-MM-DD); por defecto, el 1 de enero.")
    end: Day | None = Field(None, description="Hasta (AAAA-MM-DD); por defecto, hoy.")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200, description="Cursor recibido en next_cursor.")
    limit: int = Field(50, ge=1, le=200, description="Filas por página (1–200).")


class TokenInfo(Out):
    id: int
    name: str
    scopes: list[str]
    expires_at: dt.datetime
    user_email: str
    role: str
    company_id: int | None
