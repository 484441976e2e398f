"""Condition trees as nullable Boolean Polars expressions over a :func:`prepare_frame` frame."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, FieldType, Op
from huiqi.rules.polars_eval.arithmetic import fixed_column, int_literal
from huiqi.rules.schema import AllOf, AnyOf, Condition, Leaf, NotOf


def literal(spec: FieldSpec, value: object) -> pl.Expr:
    if spec.is_numeric:
        assert isinstance(value, Decimal)
        fixed = numbers.to_fixed(value)
        assert fixed is not None
        return int_literal(fixed)
    if isinstance(value, date):
        return pl.lit(value, dtype=pl.Date)
    if isinstance(value, bool):
        return pl.lit(value, dtype=pl.Boolean)
    return pl.lit(value, dtype=pl.String)


def condition_expression(node: Condition, registry: FieldRegistry = DEFAULT_REGISTRY) -> pl.Expr:
    """A condition tree as a nullable Boolean expression (null = unknown)."""
    return tree_expression(node, lambda leaf: leaf_expression(leaf, registry[leaf.field]))


def tree_expression(node: Condition, leaf: Callable[[Leaf], pl.Expr]) -> pl.Expr:
    """A condition tree in Kleene logic (Polars' own, as SQL's) over the expressions ``leaf`` gives."""
    if isinstance(node, AllOf):
        return pl.all_horizontal([tree_expression(child, leaf) for child in node.children])
    if isinstance(node, AnyOf):
        return pl.any_horizontal([tree_expression(child, leaf) for child in node.children])
    if isinstance(node, NotOf):
        return ~tree_expression(node.child, leaf)
    return leaf(node)


def leaf_expression(node: Leaf, spec: FieldSpec) -> pl.Expr:
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
        return column == literal(spec, value)
    if op is Op.NE:
        return column != literal(spec, value)
    if op is Op.LT:
        return column < literal(spec, value)
    if op is Op.LE:
        return column <= literal(spec, value)
    if op is Op.GT:
        return column > literal(spec, value)
    if op is Op.GE:
        return column >= literal(spec, value)
    if op is Op.BETWEEN:
        assert isinstance(value, tuple)
        low, high = value
        return pl.all_horizontal(column >= literal(spec, low), column <= literal(spec, high))
    if op in (Op.IN, Op.NOT_IN):
        assert isinstance(value, tuple)
        member = pl.any_horizontal([column == literal(spec, item) for item in value])
        return member if op is Op.IN else ~member
    if op is Op.STARTS_WITH:
        prefixes = value if isinstance(value, tuple) else (value,)
        return pl.any_horizontal([column.str.starts_with(str(prefix)) for prefix in prefixes])
    raise AssertionError(f"operator {op} not compiled")  # pragma: no cover - validation prevents it
