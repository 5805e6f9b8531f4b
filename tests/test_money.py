from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio.money import MoneyError, format_money, parse_money, round_money, split_by_shares, to_cents

amounts = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("text, expected", [
    ("1234.56", Decimal("1234.56")),
    ("1,234,567.89", Decimal("1234567.89")),
    ("S/ 1,234.50", Decimal("1234.50")),
    ("S/1234", Decimal("1234.00")),
    ("  7 ", Decimal("7.00")),
    ("0.1", Decimal("0.10")),
])
def test_parse_accepts_peruvian_formats(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["1.234", "0.001", "1e3", "1E-2", "NaN", "Infinity", "-inf", "abc", "", "1,23.45",
                                  "12,34", "1.2.3", "--1", "1 000"])
def test_parse_refuses_what_is_not_exact_money(text):
    with pytest.raises(MoneyError):
        parse_money(text)


def test_parse_refuses_negative_unless_allowed():
    with pytest.raises(MoneyError, match="negativo"):
        parse_money("-5.00")
    assert parse_money("-5.00", allow_negative=True) == Decimal("-5.00")


def test_floats_are_never_money():
    with pytest.raises(MoneyError):
        parse_money(0.1)
    with pytest.raises(TypeError):
        to_cents(0.1)
    with pytest.raises(TypeError):
        format_money(0.1)


def test_round_money_is_half_up():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert round_money(Decimal("-2.675")) == Decimal("-2.68")


@given(total=st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2),
       shares=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6))
def test_split_by_shares_sums_exactly(total, shares):
    scaled = [Decimal(s) for s in shares]
    factor = Decimal(100) / sum(scaled)
    pcts = [(s * factor).quantize(Decimal("0.0001")) for s in scaled[:-1]]
    pcts.append(Decimal(100) - sum(pcts, Decimal(0)))
    parts = split_by_shares(total, pcts)
    assert sum(parts, Decimal(0)) == total
    assert all(p.as_tuple().exponent == -2 for p in parts)


def test_split_refuses_shares_not_summing_100():
    with pytest.raises(MoneyError, match="100"):
        split_by_shares(Decimal("10.00"), [Decimal(50), Decimal(49)])


@given(amounts)
def test_format_then_parse_round_trips(value):
    assert parse_money(format_money(value), allow_negative=True) == value


def test_format_money_matches_peruvian_display():
    assert format_money(Decimal("1234567.89")) == "S/\u00a01,234,567.89"
    assert format_money(Decimal("-0.50")) == "-S/\u00a00.50"


def test_formatted_money_never_breaks_after_the_symbol_and_parses_back():
    """A no-break space (U+00A0) after «S/»: a browser never puts the number on the next line."""
    text = format_money(Decimal("559650000"))
    assert text == "S/\u00a0559,650,000.00" and " " not in text
    assert parse_money(text) == Decimal("559650000.00")
    assert format_money(None) == "—"
