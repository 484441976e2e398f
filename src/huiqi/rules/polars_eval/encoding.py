"""The registry frame re-encoded for the bulk evaluator's leaf tests (see :mod:`.bulk`).

Each leaf becomes a nullable Boolean column computed from the cheapest exact encoding of its field:
dictionary codes for text with few values, a bit mask of the tags the rules mention, integers at the
column's own scale for numbers, and per-founding-date decisions for the derived ``age_years``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.evaluate import leaf_test
from huiqi.rules.fields import FieldRegistry, FieldSpec, FieldType, Op
from huiqi.rules.polars_eval.arithmetic import I128, fixed_divide
from huiqi.rules.polars_eval.conditions import leaf_expression
from huiqi.rules.polars_eval.frame import age_years_fixed, normalised_columns, to_fixed
from huiqi.rules.schema import Leaf

#: A text field with at most this many distinct values is dictionary-encoded.
DICTIONARY_LIMIT = 20_000
#: Above this many true runs over the sorted founding dates, an age leaf uses a set test.
_DATE_RUNS = 8
_TAG_WORD = 63


class Encoded:
    """The registry frame re-encoded for leaf tests (see the module docstring)."""

    def __init__(
        self,
        frame: pl.DataFrame,
        *,
        registry: FieldRegistry,
        as_of: date | None,
        leaves: Sequence[Leaf],
        formula_fields: set[str],
        id_column: str,
    ) -> None:
        self.registry = registry
        self.as_of = as_of
        self.schema = frame.schema
        self.rows = frame.height
        fields = {leaf.field for leaf in leaves} | formula_fields
        derived_age = self._derives("age_years")
        derived_ratio = self._derives("rd_ratio")
        inputs = set(fields)
        if derived_ratio and "rd_ratio" in fields:
            inputs.update(("rd_expense", "revenue"))
        if derived_age and "age_years" in fields:
            inputs.add("established_on")
        # Normalise the columns rules read (as prepare_frame does), except dictionary-encoded text.
        self.dictionaries: dict[str, list[str | None]] = {}
        self.numeric: dict[str, int] = {}  # field -> scale of its comparison column
        columns: list[pl.Expr] = [pl.col(id_column)] if id_column in self.schema else []
        for name in sorted(inputs):
            spec = registry.get(name)
            if spec is None or name not in self.schema:
                continue
            columns.extend(self._column(frame, spec))
        base = frame.select(columns)
        extra: list[pl.Expr] = []
        if derived_ratio and "rd_ratio" in fields:
            ratio = _ratio(self.numeric.get("rd_expense"), self.numeric.get("revenue"))
            extra.append(ratio.alias(cmp_column("rd_ratio")))
            self.numeric["rd_ratio"] = numbers.SCALE
        self.ages = pl.DataFrame(schema={"established_on": pl.Date, "age": I128})
        if derived_age and "age_years" in fields and "established_on" in base.columns:
            assert as_of is not None
            # The Polars twin of huiqi.rules.derived.age_years_fixed (tested equal), on each distinct date.
            days = base.select(pl.col("established_on").drop_nulls().unique())
            self.ages = days.select(
                "established_on", age_years_fixed(pl.col("established_on"), as_of).alias("age")
            ).sort("established_on")
            if "age_years" in formula_fields and self.ages.height:
                extra.append(
                    pl.col("established_on")
                    .replace_strict(
                        self.ages["established_on"], self.ages["age"], default=None, return_dtype=I128
                    )
                    .alias(cmp_column("age_years"))
                )
                self.numeric["age_years"] = numbers.SCALE
        self.base = base.with_columns(extra) if extra else base
        self.tag_words: list[list[str]] = []
        self._tag_masks(leaves)

    def _derives(self, name: str) -> bool:
        """Whether ``name`` is derived here (as prepare_frame does: only given ``as_of``)."""
        if self.as_of is None or name in self.schema:
            return False
        inputs = ("established_on",) if name == "age_years" else ("rd_expense", "revenue")
        return all(column in self.schema for column in inputs)

    def _column(self, frame: pl.DataFrame, spec: FieldSpec) -> list[pl.Expr]:
        dtype = self.schema[spec.name]
        if spec.is_numeric:
            return [self._numeric(spec.name, dtype)]
        if spec.type in (FieldType.STRING, FieldType.ENUM) and dtype != pl.Null:
            text = frame.get_column(spec.name).cast(pl.String)
            values = text.drop_nulls().unique()
            if len(values) <= DICTIONARY_LIMIT:
                ordered = sorted(values.to_list())
                # Blank text is unknown (null), as in prepare_frame and Profile.
                self.dictionaries[spec.name] = [value if value.strip() else None for value in ordered]
                codes = pl.col(spec.name).cast(pl.String).cast(pl.Enum(ordered)).to_physical()
                return [codes.alias(_code(spec.name))]
        return normalised_columns(spec, dtype)

    def _numeric(self, name: str, dtype: pl.DataType) -> pl.Expr:
        """The comparison column: value * 10^scale as Int64 when exact, else the fixed Int128."""
        column = pl.col(name)
        limit = numbers.LIMIT
        if dtype.is_integer():
            self.numeric[name] = 0
            return pl.when(column.abs() < limit).then(column).cast(pl.Int64).alias(cmp_column(name))
        if isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 3:
            scale = dtype.scale or 0
            self.numeric[name] = scale
            # A Decimal(p, s) is physically an Int128 holding value * 10^s; in range that is below 10^18.
            scaled = column.to_physical()
            inside = pl.when(scaled.abs() < pl.lit(limit * 10**scale, dtype=I128)).then(scaled)
            return inside.cast(pl.Int64).alias(cmp_column(name))
        self.numeric[name] = numbers.SCALE
        return to_fixed(name, dtype).alias(cmp_column(name))

    def _tag_masks(self, leaves: Sequence[Leaf]) -> None:
        wanted: set[str] = set()
        for leaf in leaves:
            if leaf.field == "tags" and leaf.op not in (Op.IS_NULL, Op.IS_NOT_NULL):
                values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                wanted.update(str(value) for value in values)
        if not wanted:
            return
        ordered = sorted(wanted)
        self.tag_words = [ordered[start : start + _TAG_WORD] for start in range(0, len(ordered), _TAG_WORD)]
        if "tags" not in self.schema or self.schema["tags"] == pl.Null:
            masks = [
                pl.lit(0, dtype=pl.UInt64).alias(_tag_word(index)) for index in range(len(self.tag_words))
            ]
            self.base = self.base.with_columns(masks)
            return
        tags = pl.col("tags")  # normalised to List(String) in the base frame
        masks = []
        for index, word in enumerate(self.tag_words):
            bits = [1 << position for position in range(len(word))]
            mask = tags.list.eval(
                pl.element().replace_strict(word, bits, default=0, return_dtype=pl.UInt64).bitwise_or()
            ).list.first()
            masks.append(mask.fill_null(0).alias(_tag_word(index)))
        self.base = self.base.with_columns(masks)

    # ------------------------------------------------------------------------------- leaves
    def leaf(self, leaf: Leaf) -> pl.Expr:
        spec = self.registry[leaf.field]
        if spec.type is FieldType.TAGS:
            return self._tags_leaf(leaf)
        if leaf.field in self.dictionaries:
            return self._dictionary_leaf(leaf)
        if leaf.field == "age_years" and self._derives("age_years"):
            return self._age_leaf(leaf)
        if spec.is_numeric:
            if leaf.field not in self.numeric:
                return _unknown(leaf)
            return _numeric_leaf(leaf, pl.col(cmp_column(leaf.field)), self.numeric[leaf.field])
        if spec.name not in self.schema:
            return _unknown(leaf)
        return leaf_expression(leaf, spec)

    def _dictionary_leaf(self, leaf: Leaf) -> pl.Expr:
        values = self.dictionaries[leaf.field]
        codes = pl.col(_code(leaf.field))
        unknown = [code for code, value in enumerate(values) if value is None]
        if leaf.op in (Op.IS_NULL, Op.IS_NOT_NULL):
            missing = codes.is_null() | codes.is_in(unknown) if unknown else codes.is_null()
            return missing if leaf.op is Op.IS_NULL else ~missing
        test = leaf_test(leaf)
        true = [code for code, value in enumerate(values) if value is not None and test(value)]
        known = len(values) - len(unknown)
        result: pl.Expr
        if not true:
            result = pl.when(codes.is_not_null()).then(pl.lit(False))
        elif len(true) == known:
            result = pl.when(codes.is_not_null()).then(pl.lit(True))
        elif len(true) == 1:
            result = codes == true[0]
        else:
            result = codes.is_in(true)
        if unknown:
            result = pl.when(codes.is_in(unknown)).then(pl.lit(None, dtype=pl.Boolean)).otherwise(result)
        return result

    def _age_leaf(self, leaf: Leaf) -> pl.Expr:
        founded = pl.col("established_on")
        if leaf.op is Op.IS_NULL:
            return founded.is_null()
        if leaf.op is Op.IS_NOT_NULL:
            return founded.is_not_null()
        days = self.ages.get_column("established_on").to_list()
        decided = self.ages.select(_numeric_leaf(leaf, pl.col("age"), numbers.SCALE).fill_null(False))
        outcome = decided.to_series().to_list()
        runs = _runs(days, outcome)
        if not runs:
            return pl.when(founded.is_not_null()).then(pl.lit(False))
        if len(runs) > _DATE_RUNS:
            return founded.is_in([day for day, value in zip(days, outcome, strict=True) if value])
        return pl.any_horizontal([founded.is_between(low, high) for low, high in runs])

    def _tags_leaf(self, leaf: Leaf) -> pl.Expr:
        if leaf.op is Op.IS_NULL:
            return pl.lit(False)
        if leaf.op is Op.IS_NOT_NULL:
            return pl.lit(True)
        wanted = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        checks: list[pl.Expr] = []
        for index, word in enumerate(self.tag_words):
            mask = sum(1 << position for position, tag in enumerate(word) if tag in wanted)
            if not mask:
                continue
            masked = pl.col(_tag_word(index)) & pl.lit(mask, dtype=pl.UInt64)
            checks.append(
                masked == pl.lit(mask, dtype=pl.UInt64) if leaf.op is Op.CONTAINS_ALL else masked != 0
            )
        if leaf.op is Op.CONTAINS_ANY:
            return pl.any_horizontal(checks)
        return pl.all_horizontal(checks)


def _runs(days: list[date], outcome: list[bool]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    start: date | None = None
    for index, (day, value) in enumerate(zip(days, outcome, strict=True)):
        if value and start is None:
            start = day
        if start is not None and (not value or index == len(days) - 1):
            runs.append((start, day if value else days[index - 1]))
            start = None
    return runs


def cmp_column(name: str) -> str:
    """The comparison column of a numeric field (value * 10^scale)."""
    return f"__cmp__{name}"


def _code(name: str) -> str:
    return f"__code__{name}"


def _tag_word(index: int) -> str:
    return f"__tags__{index}"


def _unknown(leaf: Leaf) -> pl.Expr:
    """A leaf on a fact no row has: unknown, except the null tests."""
    if leaf.op is Op.IS_NULL:
        return pl.lit(True)
    if leaf.op is Op.IS_NOT_NULL:
        return pl.lit(False)
    return pl.lit(None, dtype=pl.Boolean)


def _scaled_bounds(value: Decimal, scale: int) -> tuple[int, int]:
    """``value * 10^scale`` rounded down and up (equal when it is a whole number)."""
    scaled = value.scaleb(scale)
    return math.floor(scaled), math.ceil(scaled)


def _numeric_leaf(leaf: Leaf, column: pl.Expr, scale: int) -> pl.Expr:
    """A comparison on a column holding value * 10^scale (integers): exact for any threshold."""
    dtype = pl.Int64 if scale < numbers.SCALE else I128
    op = leaf.op
    if op is Op.IS_NULL:
        return column.is_null()
    if op is Op.IS_NOT_NULL:
        return column.is_not_null()

    def lit(number: int) -> pl.Expr:
        return pl.lit(number, dtype=dtype)

    def compare(op: Op, value: Decimal) -> pl.Expr:
        low, high = _scaled_bounds(value, scale)
        if op is Op.GE:
            return column >= lit(high)
        if op is Op.GT:
            return column > lit(low)
        if op is Op.LE:
            return column <= lit(low)
        if op is Op.LT:
            return column < lit(high)
        if low != high:  # eq with a threshold finer than the column: never equal
            return pl.when(column.is_not_null()).then(pl.lit(op is Op.NE))
        return column == lit(low) if op is Op.EQ else column != lit(low)

    value = leaf.value
    if op is Op.BETWEEN:
        assert isinstance(value, tuple)
        low, high = value
        assert isinstance(low, Decimal)
        assert isinstance(high, Decimal)
        return pl.all_horizontal(compare(Op.GE, low), compare(Op.LE, high))
    if op in (Op.IN, Op.NOT_IN):
        assert isinstance(value, tuple)
        member = pl.any_horizontal([compare(Op.EQ, item) for item in value if isinstance(item, Decimal)])
        return member if op is Op.IN else ~member
    assert isinstance(value, Decimal)
    return compare(op, value)


def _ratio(expense_scale: int | None, revenue_scale: int | None) -> pl.Expr:
    """``rd_ratio`` (:func:`huiqi.rules.derived.rd_ratio`) from the comparison columns.

    On integer columns (fen) the quotient is ``expense * 10^(12 + s_r - s_e) / revenue`` rounded half
    away from zero, the same rational number as :func:`huiqi.rules.numbers.div` divides, with one
    128-bit division instead of the long division ``fixed_divide`` needs for any fixed values.
    """
    if expense_scale is None or revenue_scale is None:
        return pl.lit(None, dtype=I128)
    if max(expense_scale, revenue_scale) == numbers.SCALE:
        return fixed_divide(_fixed("rd_expense", expense_scale), _fixed("revenue", revenue_scale))
    expense = pl.col(cmp_column("rd_expense")).cast(I128)
    revenue = pl.col(cmp_column("revenue")).cast(I128)
    numerator = expense.abs() * pl.lit(10 ** (numbers.SCALE + revenue_scale - expense_scale), dtype=I128)
    divisor = pl.when(revenue == 0).then(pl.lit(1, dtype=I128)).otherwise(revenue.abs())
    quotient = numerator // divisor
    remainder = numerator - quotient * divisor
    magnitude = quotient + pl.when(remainder * 2 >= divisor).then(pl.lit(1, dtype=I128)).otherwise(
        pl.lit(0, dtype=I128)
    )
    negative = (expense < 0) != (revenue < 0)
    result = pl.when(negative).then(pl.lit(0, dtype=I128) - magnitude).otherwise(magnitude)
    return pl.when((revenue != 0) & (magnitude < pl.lit(numbers.LIMIT_FIXED, dtype=I128))).then(result)


def _fixed(name: str, scale: int | None) -> pl.Expr:
    """The engine's fixed value (Int128, * 10^12) of a numeric field from its comparison column."""
    if scale is None:
        return pl.lit(None, dtype=I128)
    column = pl.col(cmp_column(name)).cast(I128)
    return column if scale == numbers.SCALE else column * pl.lit(10 ** (numbers.SCALE - scale), dtype=I128)
