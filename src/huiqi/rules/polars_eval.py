"""Bulk evaluation over a Polars frame of the whole registry: vectorised, no Python loop per enterprise.

Each item compiles to an :class:`ItemPlan` (a few stages of temporary columns, then a status and an
amount expression) that Polars runs multi-threaded over every row.  The semantics are exactly those of :mod:`huiqi.rules.evaluate`:

* three-valued logic is Polars' own Kleene logic on nullable booleans (``null`` is unknown;
  ``all_horizontal``/``any_horizontal``/``~`` treat it as SQL does);
* numbers are compared and computed as 128-bit integers scaled by 10^12 (the fixed representation of
  :mod:`huiqi.rules.numbers`), never as floats; ``*`` and ``/`` are split into parts that cannot
  overflow 128 bits, rounded half away from zero, and a result outside ±10^15 yuan becomes null,
  like the Python evaluator's ``None``.  Amounts are therefore identical to the fen.

Input frame: one row per enterprise, one column per registry field (absent fields are unknown):
numbers as ``Decimal`` or integer columns (floats are refused: they are not exact), text and enum
fields as ``String``/``Categorical`` (empty text is unknown), ``established_on`` as ``Date``,
``red_list`` as ``Boolean``, ``tags`` as ``List(String)`` (or text separated by ``;``; null is the
empty set).  :func:`prepare_frame` adds the fixed-point columns and, given ``as_of``, the derived
``age_years`` and ``rd_ratio`` exactly as :mod:`huiqi.rules.derived` computes them; ``size_class``
comes from the registry (国统字〔2017〕213号 is the enterprises app's business).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, FieldType, Op
from huiqi.rules.formula import BinaryOp, Call, Expression, FieldRef, Negate, Number
from huiqi.rules.schema import AllOf, Amount, AnyOf, Condition, FixedAmount, ItemRules, Leaf, NotOf, Reward

STATUS_DTYPE = pl.Enum(["eligible", "ineligible", "needs_info"])
AMOUNT_DTYPE = pl.Decimal(38, 2)
_FIXED_PREFIX = "__fixed__"
_I128 = pl.Int128
_ONE = numbers.ONE
_HALF = 10**6


def fixed_column(name: str) -> str:
    """Name of the hidden fixed-point column of a numeric field."""
    return f"{_FIXED_PREFIX}{name}"


def _int(value: int) -> pl.Expr:
    return pl.lit(value, dtype=_I128)


def _bounded(value: pl.Expr) -> pl.Expr:
    return pl.when(value.abs() < _int(numbers.LIMIT_FIXED)).then(value)


# ------------------------------------------------------------------------------ frame preparation
def prepare_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    registry: FieldRegistry = DEFAULT_REGISTRY,
    as_of: date | None = None,
) -> pl.LazyFrame:
    """Normalise a registry frame for :func:`item_expressions` (see the module docstring).

    Raises ``TypeError`` for a column whose type cannot be read exactly (e.g. a float revenue).
    """
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    columns: list[pl.Expr] = []
    derived: list[pl.Expr] = []
    for spec in registry:
        if spec.name in schema:
            columns.extend(_normalised(spec, schema[spec.name]))
        elif as_of is not None and spec.name == "age_years" and "established_on" in schema:
            derived.append(_age_years_fixed(pl.col("established_on"), as_of).alias(fixed_column("age_years")))
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
        return [pl.lit(None, dtype=_I128).alias(fixed_column(spec.name))]
    if spec.type is FieldType.TAGS:
        return [pl.lit([], dtype=pl.List(pl.String)).alias(spec.name)]
    dtype: pl.DataType = {FieldType.DATE: pl.Date(), FieldType.BOOL: pl.Boolean()}.get(spec.type, pl.String())
    return [pl.lit(None, dtype=dtype).alias(spec.name)]


def _normalised(spec: FieldSpec, dtype: pl.DataType) -> list[pl.Expr]:
    column = pl.col(spec.name)
    if spec.is_numeric:
        return [_to_fixed(spec.name, dtype).alias(fixed_column(spec.name))]
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


def _to_fixed(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Null:
        return pl.lit(None, dtype=_I128)
    if dtype.is_integer():
        return _bounded(column.cast(_I128) * _int(_ONE))
    if isinstance(dtype, pl.Decimal):
        scale = dtype.scale or 0
        if scale > numbers.SCALE:
            column = column.round(numbers.SCALE, mode="half_away_from_zero")
        inside = pl.when(column.abs() < pl.lit(Decimal(numbers.LIMIT))).then(column)
        whole = inside.cast(_I128)
        fraction = ((inside - whole.cast(pl.Decimal(38, 0))) * pl.lit(Decimal(_ONE))).cast(_I128)
        return whole * _int(_ONE) + fraction
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


def _age_years_fixed(established_on: pl.Expr, as_of: date) -> pl.Expr:
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
    fraction = (days * (2 * _ONE) + span) // (span * 2)
    return whole.cast(_I128) * _int(_ONE) + fraction.cast(_I128)


# ------------------------------------------------------------------------------------- arithmetic
def _sign_applied(magnitude: pl.Expr, negative: pl.Expr) -> pl.Expr:
    return pl.when(negative).then(_int(0) - magnitude).otherwise(magnitude)


def fixed_multiply(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """``left * right`` on fixed columns, rounded half away from zero; null outside the range."""
    a, b = left.abs(), right.abs()
    high_a, low_a = a // _int(_ONE), a % _int(_ONE)
    high_b, low_b = b // _int(_ONE), b % _int(_ONE)
    highs = high_a * high_b  # below 10^30: each high part is below 10^15
    magnitude = (
        highs * _int(_ONE) + high_a * low_b + low_a * high_b + (low_a * low_b + _int(_ONE // 2)) // _int(_ONE)
    )
    result = _sign_applied(magnitude, (left < _int(0)) != (right < _int(0)))
    ok = (highs < _int(numbers.LIMIT)) & (magnitude < _int(numbers.LIMIT_FIXED))
    return pl.when(ok).then(result)


def fixed_divide(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """``left / right`` on fixed columns: long division in two 6-digit steps, no 128-bit overflow."""
    a = left.abs()
    b = pl.when(right == _int(0)).then(_int(1)).otherwise(right.abs())
    whole = a // b
    step = (a % b) * _int(_HALF)
    first = step // b
    step = (step % b) * _int(_HALF)
    second = step // b
    carry = pl.when((step % b) * _int(2) >= b).then(_int(1)).otherwise(_int(0))
    magnitude = whole * _int(_ONE) + first * _int(_HALF) + second + carry
    result = _sign_applied(magnitude, (left < _int(0)) != (right < _int(0)))
    ok = (right != _int(0)) & (whole < _int(numbers.LIMIT)) & (magnitude < _int(numbers.LIMIT_FIXED))
    return pl.when(ok).then(result)


def _round_places(value: pl.Expr, places: int) -> pl.Expr:
    step = 10 ** (numbers.SCALE - places)
    if step == 1:
        return value
    magnitude = (value.abs() + _int(step // 2)) // _int(step) * _int(step)
    return _bounded(_sign_applied(magnitude, value < _int(0)))


class _Stages:
    """Intermediate formula values as temporary columns, added stage by stage.

    ``fixed_multiply`` and ``fixed_divide`` read their operands several times; nesting them as plain
    expressions would grow the expression exponentially with the depth of the formula.  Each operation
    is therefore computed into a temporary column in the stage after its operands, and the next
    operation reads that column.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.stages: list[list[pl.Expr]] = []
        self.names: list[str] = []

    def column(self, expression: pl.Expr, stage: int) -> tuple[pl.Expr, int]:
        name = f"__{self.prefix}t{len(self.names)}"
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append(expression.alias(name))
        self.names.append(name)
        return pl.col(name), stage + 1

    def formula(self, node: Expression) -> tuple[pl.Expr, int]:
        """The formula as an Int128 fixed expression and the first stage at which it can be read."""
        if isinstance(node, Number):
            return _int(node.fixed), 0
        if isinstance(node, FieldRef):
            return pl.col(fixed_column(node.name)), 0
        if isinstance(node, Negate):
            operand, stage = self.formula(node.operand)
            return _int(0) - operand, stage
        if isinstance(node, BinaryOp):
            (left, left_stage), (right, right_stage) = self.formula(node.left), self.formula(node.right)
            stage = max(left_stage, right_stage)
            if node.op == "+":
                return self.column(_bounded(left + right), stage)
            if node.op == "-":
                return self.column(_bounded(left - right), stage)
            if node.op == "*":
                return self.column(fixed_multiply(left, right), stage)
            return self.column(fixed_divide(left, right), stage)
        assert isinstance(node, Call)
        parts = [self.formula(arg) for arg in node.args]
        args = [arg for arg, _stage in parts]
        stage = max(arg_stage for _arg, arg_stage in parts)
        if node.function == "round":
            return self.column(_round_places(args[0], node.places), stage)
        any_null = pl.any_horizontal([arg.is_null() for arg in args])
        chosen = pl.min_horizontal(args) if node.function == "min" else pl.max_horizontal(args)
        return self.column(pl.when(~any_null).then(chosen), stage)


# ------------------------------------------------------------------------------------- conditions
def _literal(spec: FieldSpec, value: object) -> pl.Expr:
    if spec.is_numeric:
        assert isinstance(value, Decimal)
        fixed = numbers.to_fixed(value)
        assert fixed is not None
        return _int(fixed)
    if isinstance(value, date):
        return pl.lit(value, dtype=pl.Date)
    if isinstance(value, bool):
        return pl.lit(value, dtype=pl.Boolean)
    return pl.lit(value, dtype=pl.String)


def condition_expression(node: Condition, registry: FieldRegistry = DEFAULT_REGISTRY) -> pl.Expr:
    """A condition tree as a nullable Boolean expression (null = unknown)."""
    if isinstance(node, AllOf):
        return pl.all_horizontal([condition_expression(child, registry) for child in node.children])
    if isinstance(node, AnyOf):
        return pl.any_horizontal([condition_expression(child, registry) for child in node.children])
    if isinstance(node, NotOf):
        return ~condition_expression(node.child, registry)
    return _leaf_expression(node, registry[node.field])


def _leaf_expression(node: Leaf, spec: FieldSpec) -> pl.Expr:
    column = pl.col(fixed_column(spec.name) if spec.is_numeric else spec.name)
    op, value = node.op, node.value
    if spec.type is FieldType.TAGS:
        if op is Op.IS_NULL:
            return pl.lit(False)
        if op is Op.IS_NOT_NULL:
            return pl.lit(True)
        wanted = value if isinstance(value, tuple) else (value,)
        checks = [column.list.contains(pl.lit(tag, dtype=pl.String)) for tag in wanted]
        return pl.any_horizontal(checks) if op is Op.CONTAINS_ANY else pl.all_horizontal(checks)
    if op is Op.IS_NULL:
        return column.is_null()
    if op is Op.IS_NOT_NULL:
        return column.is_not_null()
    if op is Op.EQ:
        return column == _literal(spec, value)
    if op is Op.NE:
        return column != _literal(spec, value)
    if op is Op.LT:
        return column < _literal(spec, value)
    if op is Op.LE:
        return column <= _literal(spec, value)
    if op is Op.GT:
        return column > _literal(spec, value)
    if op is Op.GE:
        return column >= _literal(spec, value)
    if op is Op.BETWEEN:
        assert isinstance(value, tuple)
        low, high = value
        return pl.all_horizontal(column >= _literal(spec, low), column <= _literal(spec, high))
    if op in (Op.IN, Op.NOT_IN):
        assert isinstance(value, tuple)
        member = pl.any_horizontal([column == _literal(spec, item) for item in value])
        return member if op is Op.IN else ~member
    if op is Op.STARTS_WITH:
        prefixes = value if isinstance(value, tuple) else (value,)
        return pl.any_horizontal([column.str.starts_with(str(prefix)) for prefix in prefixes])
    raise AssertionError(f"operator {op} not compiled")  # pragma: no cover - validation prevents it


# ---------------------------------------------------------------------------------------- rewards
@dataclass(frozen=True, slots=True)
class ItemPlan:
    """One compiled item: stages of temporary columns, then the ``status`` and ``amount`` expressions."""

    stages: tuple[tuple[pl.Expr, ...], ...]
    status: pl.Expr
    amount: pl.Expr
    temporary: tuple[str, ...]

    def apply(self, prepared: pl.LazyFrame, keep: Sequence[str] = ()) -> pl.LazyFrame:
        """``keep`` columns, ``status`` and ``amount`` for every row of a :func:`prepare_frame` frame."""
        frame = prepared
        for stage in self.stages:
            frame = frame.with_columns(stage)
        return frame.select(
            [*(pl.col(name) for name in keep), self.status.alias("status"), self.amount.alias("amount")]
        )


def _amount(stages: _Stages, amount: Amount) -> tuple[pl.Expr, int]:
    if isinstance(amount, FixedAmount):
        fixed = numbers.to_fixed(amount.amount)
        assert fixed is not None
        return _int(fixed), 0
    return stages.formula(amount.formula.root)


def _reward(stages: _Stages, reward: Reward, registry: FieldRegistry) -> tuple[pl.Expr, int]:
    """The amount before the cap as a fixed expression; null means needs_info."""
    if not reward.tiers:
        assert reward.amount is not None
        return _amount(stages, reward.amount)
    amounts = [_amount(stages, tier.amount) for tier in reward.tiers]
    result: pl.Expr = _int(0)  # every tier false: eligible with 0.00
    for tier, (amount, _stage) in zip(reversed(reward.tiers), reversed(amounts), strict=True):
        when = condition_expression(tier.when, registry)
        result = (
            pl.when(when.is_null()).then(pl.lit(None, dtype=_I128)).when(when).then(amount).otherwise(result)
        )
    return result, max(stage for _amount_expr, stage in amounts)


def compile_item(
    item_rules: ItemRules, registry: FieldRegistry = DEFAULT_REGISTRY, *, prefix: str = ""
) -> ItemPlan:
    """Compile one item for :meth:`ItemPlan.apply` (``prefix`` keeps temporary names apart)."""
    stages = _Stages(prefix)
    reward = item_rules.reward
    if reward is None:
        eligible, stage = stages.column(condition_expression(item_rules.eligibility, registry), 0)
        decided = (
            pl.when(eligible.is_null()).then(pl.lit("needs_info")).when(~eligible).then(pl.lit("ineligible"))
        )
        return ItemPlan(
            tuple(tuple(stage) for stage in stages.stages),
            decided.otherwise(pl.lit("eligible")).cast(STATUS_DTYPE),
            pl.lit(None, dtype=AMOUNT_DTYPE),
            tuple(stages.names),
        )
    raw_expression, stage = _reward(stages, reward, registry)
    raw, stage = stages.column(raw_expression, stage)
    eligible, _ = stages.column(condition_expression(item_rules.eligibility, registry), stage - 1)
    status = (
        pl.when(eligible.is_null())
        .then(pl.lit("needs_info"))
        .when(~eligible)
        .then(pl.lit("ineligible"))
        .when(raw.is_null())
        .then(pl.lit("needs_info"))
        .otherwise(pl.lit("eligible"))
    )
    capped = raw
    if reward.cap is not None:
        cap = numbers.to_fixed(reward.cap)
        assert cap is not None
        capped = pl.when(raw > _int(cap)).then(_int(cap)).otherwise(raw)
    fen_magnitude = (capped.abs() + _int(numbers.FEN_STEP // 2)) // _int(numbers.FEN_STEP)
    fen = _sign_applied(fen_magnitude, capped < _int(0))
    amount = (fen.cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))).cast(AMOUNT_DTYPE)
    is_eligible = eligible.fill_null(False) & raw.is_not_null()
    return ItemPlan(
        tuple(tuple(stage) for stage in stages.stages),
        status.cast(STATUS_DTYPE),
        pl.when(is_eligible).then(amount),
        tuple(stages.names),
    )


def evaluate_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    item_rules: ItemRules,
    *,
    registry: FieldRegistry = DEFAULT_REGISTRY,
    as_of: date | None = None,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Evaluate one item for every row: the ``keep`` columns, then ``status`` and ``amount``."""
    prepared = prepare_frame(frame, registry=registry, as_of=as_of)
    return compile_item(item_rules, registry).apply(prepared, keep).collect()


def evaluate_items(
    frame: pl.DataFrame | pl.LazyFrame,
    items: Mapping[str, ItemRules],
    *,
    id_column: str = "uscc",
    registry: FieldRegistry = DEFAULT_REGISTRY,
    as_of: date | None = None,
    statuses: Sequence[str] | None = ("eligible", "needs_info"),
) -> pl.DataFrame:
    """All items against all rows: ``id_column, item_code, status, amount`` (long format).

    ``statuses`` keeps only those results (default: eligible and needs_info, as ``match_policies``
    writes without ``--all``); ``None`` keeps every result.  The items run as one Polars query plan,
    in parallel.
    """
    prepared = prepare_frame(frame, registry=registry, as_of=as_of).collect().lazy()
    parts: list[pl.LazyFrame] = []
    for code, item_rules in items.items():
        part = (
            compile_item(item_rules, registry)
            .apply(prepared, [id_column])
            .select(pl.col(id_column), pl.lit(code, dtype=pl.String).alias("item_code"), "status", "amount")
        )
        if statuses is not None:
            part = part.filter(pl.col("status").is_in(list(statuses)))
        parts.append(part)
    if not parts:
        return pl.DataFrame(
            schema={
                id_column: pl.String,
                "item_code": pl.String,
                "status": STATUS_DTYPE,
                "amount": AMOUNT_DTYPE,
            }
        )
    return pl.concat(parts).collect()
