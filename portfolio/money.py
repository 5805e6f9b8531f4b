"""Exact money in soles (PEN): parsing, rounding, splitting and display.

Every amount is a ``Decimal`` with two places. Input with more than two decimals, exponents, NaN or
infinity is refused, never rounded; computed amounts (a rate times a payroll) go through
``round_money`` (half up), the only rounding helper.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
# Largest amount we accept: S/ 999,999,999,999.99 (fits BigInteger céntimos with ample room).
MAX_AMOUNT = Decimal("999999999999.99")

# Plain decimal with optional thousands separators (1,234,567.89) and an optional "S/" prefix.
_AMOUNT_RE = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


class MoneyError(ValueError):
    """An amount that is not a valid sum of soles; the message is in Spanish for users."""


def parse_money(text: object, *, allow_negative: bool = False) -> Decimal:
    """Turn user input ('1,234.56', 'S/ 1,234.56', Decimal, int) into an exact Decimal.

    Refuses more than two decimals, exponents, NaN/Infinity, floats and anything not a number.
    """
    if isinstance(text, bool) or isinstance(text, float):
        raise MoneyError("Monto inválido: use un número con hasta dos decimales.")
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        if not text.is_finite():
            raise MoneyError("Monto inválido: no es un número finito.")
        value = text
    else:
        raw = str(text).strip().replace("\u00a0", " ")
        sign = ""
        if raw.startswith("-") and raw[1:].lstrip().upper().startswith("S/"):
            sign, raw = "-", raw[1:].lstrip()
        if raw.upper().startswith("S/"):
            raw = sign + raw[2:].strip()

        if not raw:
            raise MoneyError("Ingrese un monto.")
        if re.search(r"\.\d{3,}$", raw):
            raise MoneyError("Monto inválido: tiene más de dos decimales.")
        if not _AMOUNT_RE.match(raw):
            raise MoneyError("Monto inválido: use el formato 1,234,567.89 (punto decimal, hasta dos decimales).")
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the regex already filters
            raise MoneyError("Monto inválido.") from exc
    # The range comes first: quantize() raises InvalidOperation on values with more digits than the
    # decimal context's precision (28), so a 27-digit amount must be refused before it is rounded.
    if value < 0 and not allow_negative:
        raise MoneyError("El monto no puede ser negativo.")
    if abs(value) > MAX_AMOUNT:
        raise MoneyError("El monto excede el máximo permitido (S/ 999,999,999,999.99).")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise MoneyError("Monto inválido: tiene más de dos decimales.")
    return value.quantize(CENT)


def to_cents(value: object) -> int:
    """Decimal soles → integer céntimos. Refuses more than two decimals and floats."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money must be Decimal or int, never float")
    dec = value if isinstance(value, Decimal) else Decimal(value)
    if not dec.is_finite():
        raise ValueError("money must be finite")
    cents = dec * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) * CENT).quantize(CENT)


def money_sum(expr):
    """SQL ``SUM`` of a money expression (integer céntimos), 0 when there are no rows, read back as exact
    ``Decimal`` soles on SQLite and PostgreSQL alike: the one way to add money up in a query."""
    from sqlalchemy import func, type_coerce

    from portfolio.db import Money

    return type_coerce(func.coalesce(func.sum(expr), 0), Money)


def round_money(value: Decimal) -> Decimal:
    """The one rounding rule for computed amounts: to the cent, half up."""
    if isinstance(value, float):
        raise TypeError("money must be Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split_by_shares(total: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` by percentage ``shares`` (summing to 100) so the parts sum exactly to ``total``.

    Each part but the last is rounded down to the cent; the last takes the remainder.
    """
    if not shares:
        raise ValueError("no shares")
    if sum(shares, Decimal(0)) != Decimal(100):
        raise MoneyError("Las participaciones deben sumar exactamente 100 %.")
    parts = [(total * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares[:-1]]
    parts.append(total - sum(parts, Decimal(0)))
    return parts


def format_money(value: Decimal | None, *, symbol: bool = True) -> str:
    """``S/ 1,234,567.89`` (es-PE uses comma thousands and point decimals for amounts in soles)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        raise TypeError("money must be Decimal, never float")
    value = Decimal(value).quantize(CENT)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"
    return f"{sign}S/\u00a0{text}" if symbol else f"{sign}{text}"
