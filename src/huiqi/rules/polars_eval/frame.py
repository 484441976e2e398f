"""Normalising a registry frame for the Polars evaluator (see the package docstring for the layout)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, FieldType
from huiqi.rules.polars_eval.arithmetic import I128, ONE, bounded, fixed_column, fixed_divide, int_literal


def prepare_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    registry: FieldRegistry = DEFAULT_REGISTRY,
    as_of: date | None = None,
) -> pl.LazyFrame:
    """Normalise a registry frame for :func:`compile_item` (see the package docstring).

    Raises ``TypeError`` for a column whose type cannot be read exactly (e.g. a float revenue).
    """
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    columns: list[pl.Expr] = []
    derived: list[pl.Expr] = []
    for spec in registry:
        if spec.name in schema:
            columns.extend(normalised_columns(spec, schema[spec.name]))
        elif as_of is not None and spec.name == "age_years" and "established_on" in schema:
            derived.append(age_years_fixed(pl.col("established_on"), as_of).alias(fixed_column("age_years")))
        elif as_of is not None and spec.name == "rd_ratio" and {"rd_expense", "revenue"} <= set(schema):
            ratio = fixed_divide(pl.col(fixed_column("rd_expense")), pl.col(fixed_column("revenue")))
            derived.append(ratio.alias(fixed_column("rd_ratio")))
        else:
            columns.extend(_null_column(spec))
    lazy = lazy.with_columns(columns)
    if derived:
        lazy = lazy.with_columns(derived)
    return lazy


def _null_column(spec: FieldSpec) -> list[pl.Expr]:
    if spec.is_numeric:
        return [pl.lit(None, dtype=I128).alias(fixed_column(spec.name))]
    if spec.type is FieldType.TAGS:
        return [pl.lit([], dtype=pl.List(pl.String)).alias(spec.name)]
    dtype: pl.DataType = {FieldType.DATE: pl.Date(), FieldType.BOOL: pl.Boolean()}.get(spec.type, pl.String())
    return [pl.lit(None, dtype=dtype).alias(spec.name)]


def normalised_columns(spec: FieldSpec, dtype: pl.DataType) -> list[pl.Expr]:
    column = pl.col(spec.name)
    if spec.is_numeric:
        return [to_fixed(spec.name, dtype).alias(fixed_column(spec.name))]
    if spec.type is FieldType.TAGS:
        if dtype == pl.String:
            tags = (
                column.str.split(";")
                .list.eval(pl.element().str.strip_chars())
                .list.eval(pl.element().filter(pl.element() != ""))
            )
        elif isinstance(dtype, pl.List):
            tags = column.cast(pl.List(pl.String))
        else:
            raise TypeError(f"column {spec.name}: tags must be List(String) or String, not {dtype}")
        return [tags.fill_null(pl.lit([], dtype=pl.List(pl.String))).alias(spec.name)]
    if spec.type is FieldType.DATE:
        if dtype == pl.Date:
            return [column]
        if isinstance(dtype, pl.Datetime):
            return [column.dt.date().alias(spec.name)]
        if dtype == pl.String:
            return [column.str.strip_chars().str.to_date("%Y-%m-%d").alias(spec.name)]
        raise TypeError(f"column {spec.name}: a Date column is expected, not {dtype}")
    if spec.type is FieldType.BOOL:
        if dtype == pl.Boolean:
            return [column]
        if dtype == pl.String:
            text = column.str.strip_chars().str.to_lowercase()
            return [pl.when(text == "true").then(True).when(text == "false").then(False).alias(spec.name)]
        raise TypeError(f"column {spec.name}: a Boolean column is expected, not {dtype}")
    if dtype == pl.Null:
        return [column.cast(pl.String)]
    text = column.cast(pl.String)
    return [pl.when(text.str.strip_chars() != "").then(text).alias(spec.name)]


def to_fixed(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Null:
        return pl.lit(None, dtype=I128)
    if dtype.is_integer():
        return bounded(column.cast(I128) * int_literal(ONE))
    if isinstance(dtype, pl.Decimal):
        scale = dtype.scale or 0
        if scale > numbers.SCALE:
            column = column.round(numbers.SCALE, mode="half_away_from_zero")
        inside = pl.when(column.abs() < pl.lit(Decimal(numbers.LIMIT))).then(column)
        # A Decimal(38, 12) is physically the value times 10^12: the fixed representation itself.
        return inside.cast(pl.Decimal(38, numbers.SCALE)).to_physical().cast(I128)
    raise TypeError(
        f"column {name}: numbers must be Decimal or integer columns, not {dtype} (floats are not exact)"
    )


def _is_leap(year: pl.Expr) -> pl.Expr:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def _anniversary(established_on: pl.Expr, year: pl.Expr) -> pl.Expr:
    # A 29 February founding has its anniversary on 1 March in common years (contract section 1).
    moved = (established_on.dt.month() == 2) & (established_on.dt.day() == 29) & ~_is_leap(year)
    month = pl.when(moved).then(3).otherwise(established_on.dt.month())
    day = pl.when(moved).then(1).otherwise(established_on.dt.day())
    return pl.date(year, month, day)


def age_years_fixed(established_on: pl.Expr, as_of: date) -> pl.Expr:
    """``age_years`` as fixed integers, the same arithmetic as :func:`huiqi.rules.derived.age_years_fixed`."""
    on = pl.lit(as_of)
    year = established_on.dt.year().cast(pl.Int32)
    whole_guess = pl.lit(as_of.year, dtype=pl.Int32) - year
    whole = (
        pl.when(_anniversary(established_on, year + whole_guess) > on)
        .then(whole_guess - 1)
        .otherwise(whole_guess)
    )
    last = _anniversary(established_on, year + whole)
    following = _anniversary(established_on, year + whole + 1)
    days = (on - last).dt.total_days().cast(pl.Int64)
    span = (following - last).dt.total_days().cast(pl.Int64)
    fraction = (days * (2 * ONE) + span) // (span * 2)
    return whole.cast(I128) * int_literal(ONE) + fraction.cast(I128)
