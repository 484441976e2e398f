"""Compile items to SQL with sqlglot, for PostgreSQL and for a Spark/Hive data platform.

The province's enterprise data lives in a Spark/Hive platform and ours in PostgreSQL; compiling the
rules to SQL lets either database evaluate them where the data is.  Each item becomes a ``status``
``CASE`` expression and an ``amount`` expression with the semantics of :mod:`huiqi.rules.evaluate`:

* SQL's three-valued logic (``AND``/``OR``/``NOT`` with ``NULL``) is exactly the contract's;
* numbers stay exact decimals: ``*`` is ``ROUND(a * b, 12)``, ``/`` is an exact integer division
  (``DIV``) rounded half away from zero to 12 places, ``NULL`` for division by zero; every value is
  clamped to ±10^15 yuan with ``NULLIF(NULLIF(GREATEST(LEAST(x, L), -L), L), -L)`` (NULL outside);
  ``ROUND`` is half away from zero in both PostgreSQL (``numeric``) and Spark (``DECIMAL``).

Table layout expected: one row per enterprise, one column per registry field (``column_names`` maps
a field to another column name); numbers ``numeric``/``DECIMAL`` with at most 12 decimal places (or
integers); ``established_on`` a ``date``; ``red_list`` a ``boolean``; ``tags`` a ``text[]`` in
PostgreSQL or ``array<string>`` in Spark/Hive (NULL is the empty set); text and enum fields text
(empty or blank text is unknown).  Given ``as_of``, ``age_years`` and ``rd_ratio`` are computed inline
from ``established_on``, ``rd_expense`` and ``revenue`` exactly as :mod:`huiqi.rules.derived` does
(``MAKE_DATE``: PostgreSQL, Spark 3; on Hive, provide them as columns); without ``as_of`` they are read
from columns of those names.

Exactness is tested against PostgreSQL (``tests/rules/test_sql.py``, ``test_agreement.py``).  For
Spark the same expressions are generated; Spark's ``DECIMAL`` holds 38 digits, so intermediate values
beyond that become NULL there (needs_info) rather than exact.

Modules: ``compiler`` (trees, formulas and rewards to sqlglot expressions); this module assembles
the item's query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry
from huiqi.rules.schema import ItemRules
from huiqi.rules.sql.compiler import _Compiler, _status_amount

DIALECTS = ("postgres", "spark", "hive")


@dataclass(frozen=True, slots=True)
class CompiledItem:
    """One item as SQL text (``status``, ``amount``) and as sqlglot expressions."""

    status: str
    amount: str
    status_expression: exp.Expr
    amount_expression: exp.Expr


def compile_item(
    item_rules: ItemRules,
    *,
    dialect: str = "postgres",
    registry: FieldRegistry = DEFAULT_REGISTRY,
    column_names: Mapping[str, str] | None = None,
    table: str | None = None,
    as_of: date | None = None,
) -> CompiledItem:
    """Compile one item; ``status`` and ``amount`` are SQL expressions over one enterprise row."""
    compiler = _Compiler(registry, dialect, column_names or {}, table, as_of)
    status, amount = compiler.item(item_rules)
    return CompiledItem(status.sql(dialect=dialect), amount.sql(dialect=dialect), status, amount)


def select_sql(
    items: Mapping[str, ItemRules],
    *,
    table: str,
    id_column: str = "uscc",
    dialect: str = "postgres",
    registry: FieldRegistry = DEFAULT_REGISTRY,
    column_names: Mapping[str, str] | None = None,
    as_of: date | None = None,
    statuses: Sequence[str] | None = ("eligible", "needs_info"),
) -> str:
    """One query returning ``id_column, item_code, status, amount`` for every item and row.

    ``statuses`` keeps only those results (``None`` keeps all), as :func:`polars_eval.evaluate_items`.
    """
    names = dict(column_names or {})
    source: exp.Expr = exp.alias_(exp.to_table(table), "e", table=True)
    if as_of is not None:
        # Derive age_years and rd_ratio once per row in a subquery, not once per leaf.
        deriving = _Compiler(registry, dialect, names, "d", as_of)
        derived = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier("d")),
            exp.alias_(deriving.age_years(), "age_years"),
            exp.alias_(deriving.number_field("rd_ratio"), "rd_ratio"),
        ).from_(exp.alias_(exp.to_table(table), "d", table=True))
        source = exp.alias_(exp.Subquery(this=derived), "e", table=True)
        names.pop("age_years", None)
        names.pop("rd_ratio", None)
    selects: list[exp.Expr] = []
    for code, item_rules in items.items():
        # Formula steps are computed layer by layer in subqueries (a step reads its operands several
        # times, so nesting them in one expression would grow the text exponentially); the
        # eligibility and the raw amount are computed once per row in the innermost query, and the
        # outer query derives status and amount from them.
        compiler = _Compiler(registry, dialect, names, None, None)
        compiler.stages = []
        eligible = compiler.condition(item_rules.eligibility)
        raw_amount = None if item_rules.reward is None else compiler.reward(item_rules.reward)
        layered = source.copy()
        for index, layer in enumerate(compiler.stages):
            step = exp.select(exp.Star(), *layer).from_(layered)
            layered = exp.alias_(exp.Subquery(this=step), f"s{index}", table=True)
        parts = [exp.alias_(exp.column(id_column), id_column), exp.alias_(eligible, "eligible")]
        if raw_amount is not None:
            parts.append(exp.alias_(raw_amount, "raw_amount"))
        inner = exp.select(*parts).from_(layered)
        raw = None if item_rules.reward is None else exp.column("raw_amount", table="i")
        status, amount = _status_amount(exp.column("eligible", table="i"), raw, item_rules.reward)
        query = exp.select(
            exp.alias_(exp.column(id_column, table="i"), id_column),
            exp.alias_(exp.Literal.string(code), "item_code"),
            exp.alias_(status, "status"),
            exp.alias_(amount, "amount"),
        ).from_(exp.alias_(exp.Subquery(this=inner), "i", table=True))
        selects.append(query)
    if not selects:
        raise ValueError("select_sql needs at least one item")
    union: exp.Expr = selects[0]
    for following in selects[1:]:
        union = exp.union(union, following, distinct=False)
    outer = exp.select("*").from_(exp.alias_(exp.Subquery(this=union), "r", table=True))
    if statuses is not None:
        outer = outer.where(
            exp.In(this=exp.column("status"), expressions=[exp.Literal.string(s) for s in statuses])
        )
    return outer.sql(dialect=dialect)
