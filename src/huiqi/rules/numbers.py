"""Exact decimal arithmetic shared by the three evaluators (Python, Polars, SQL).

The single-enterprise evaluator, the Polars evaluator and the compiled SQL must agree on every amount
to the fen (分), so the arithmetic of rule values and formulas is defined here once, in terms that each
evaluator can reproduce exactly with integers:

* Every number is a decimal with at most ``SCALE`` (12) decimal places.  A profile fact with more
  places is rounded half away from zero to 12 places when it is read; a number written in a rule may
  not have more than 12 (validation refuses it).
* ``+`` and ``-`` are exact.  ``*`` and ``/`` give the exact result rounded half away from zero to 12
  decimal places.  ``x / 0`` has no value: it is treated like an unknown fact (the item needs
  information), in line with the contract's ``rd_ratio``, which is null when revenue is 0.
* Every value, fact or intermediate result, must lie strictly between ``-LIMIT`` and ``LIMIT``
  (10^15 yuan, far above any enterprise's revenue).  A fact outside the range is read as unknown; a
  formula whose intermediate result leaves the range has no value (the item needs information).
  The bound keeps the Polars evaluator inside 128-bit integers.
* Rounding is half away from zero everywhere ("half-up" in the contract: ``Decimal.ROUND_HALF_UP``,
  PostgreSQL's ``round(numeric, n)``, Spark's ``ROUND``): ``round(x)`` to a whole yuan,
  ``round(x, n)`` to n places, and the final amount to the fen after the cap.

Internally a value is a Python ``int`` scaled by 10^12 ("fixed"); :func:`to_fixed` and
:func:`from_fixed` convert to and from ``Decimal``.  Comparisons of fixed integers are exact, so a
condition such as ``age_years lt 2`` or ``rd_ratio ge 0.03`` is decided without any binary floating
point.
"""

from __future__ import annotations

from decimal import Context, Decimal

SCALE = 12
ONE = 10**SCALE
LIMIT = 10**15
LIMIT_FIXED = LIMIT * ONE
FEN_STEP = 10 ** (SCALE - 2)

_EXACT = Context(prec=200)


def div_half_away(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero to an integer (denominator != 0)."""
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if 2 * remainder >= abs(denominator):
        quotient += 1
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def bounded(value: int | None) -> int | None:
    """The fixed value itself when it lies inside the representable range, else None."""
    if value is None or -LIMIT_FIXED < value < LIMIT_FIXED:
        return value
    return None


def to_fixed(value: Decimal | int) -> int | None:
    """A decimal as a fixed integer (rounded half away from zero to 12 places); None out of range."""
    if isinstance(value, int):
        return bounded(value * ONE)
    if not value.is_finite():
        return None
    numerator, denominator = value.as_integer_ratio()
    return bounded(div_half_away(numerator * ONE, denominator))


def from_fixed(value: int) -> Decimal:
    """The Decimal with 12 decimal places that a fixed integer stands for."""
    return Decimal(value).scaleb(-SCALE, context=_EXACT)


def add(left: int, right: int) -> int | None:
    return bounded(left + right)


def sub(left: int, right: int) -> int | None:
    return bounded(left - right)


def mul(left: int, right: int) -> int | None:
    return bounded(div_half_away(left * right, ONE))


def div(left: int, right: int) -> int | None:
    """Quotient rounded half away from zero to 12 places; None for division by zero or overflow."""
    if right == 0:
        return None
    return bounded(div_half_away(left * ONE, right))


def round_places(value: int, places: int) -> int:
    """Round a fixed value half away from zero to ``places`` decimal places (0 <= places <= 12)."""
    step = 10 ** (SCALE - places)
    return div_half_away(value, step) * step


def to_fen(value: int) -> int:
    """A fixed value in yuan as a whole number of fen, rounded half away from zero."""
    return div_half_away(value, FEN_STEP)


def fen_to_decimal(fen: int) -> Decimal:
    """Whole fen as a yuan Decimal with exactly two places (``Decimal('200000.00')``)."""
    return Decimal(fen).scaleb(-2, context=_EXACT)


def decimal_places(value: Decimal) -> int:
    """How many decimal places a finite Decimal needs (``Decimal('1.50')`` needs 1)."""
    exponent = value.normalize(_EXACT).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)
