"""Bulk evaluation over a Polars frame of the whole registry: vectorised, no Python loop per enterprise.

Two ways in, with exactly the semantics of :mod:`huiqi.rules.evaluate`:

* :func:`evaluate_items` — many items against every row (the all-against-all match): each distinct
  condition of the library is evaluated once, on the cheapest exact encoding of its field, then each
  item's tree combines those columns and its reward is computed only for the rows that need one
  (:mod:`huiqi.rules.polars_eval.bulk`);
* :func:`compile_item` / :func:`evaluate_frame` — one item as an :class:`ItemPlan` (a few stages of
  temporary columns, then a status and an amount expression) over a :func:`prepare_frame` frame.

Both rest on:

* three-valued logic as Polars' own Kleene logic on nullable booleans (``null`` is unknown;
  ``all_horizontal``/``any_horizontal``/``~`` treat it as SQL does);
* numbers compared and computed exactly, never as floats: as 128-bit integers scaled by 10^12 (the
  fixed representation of :mod:`huiqi.rules.numbers`); ``*`` and ``/`` are split into parts that
  cannot overflow 128 bits, rounded half away from zero, and a result outside ±10^15 yuan becomes
  null, like the Python evaluator's ``None``.  Amounts are therefore identical to the fen.

Input frame: one row per enterprise, one column per registry field (absent fields are unknown):
numbers as ``Decimal`` or integer columns (floats are refused: they are not exact), text and enum
fields as ``String``/``Categorical`` (empty text is unknown), ``established_on`` as ``Date``,
``red_list`` as ``Boolean``, ``tags`` as ``List(String)`` (or text separated by ``;``; null is the
empty set).  Given ``as_of``, the derived ``age_years`` and ``rd_ratio`` are computed exactly as
:mod:`huiqi.rules.derived` computes them when the frame does not give them; ``size_class`` comes from
the registry (国统字〔2017〕213号 is the enterprises app's business).

Modules: ``arithmetic`` (fixed-point columns), ``frame`` (normalising a frame), ``conditions`` (trees
as expressions), ``items`` (one item's plan), ``encoding`` and ``bulk`` (all items at once).
"""

from huiqi.rules.polars_eval.arithmetic import fixed_column, fixed_divide, fixed_multiply
from huiqi.rules.polars_eval.bulk import evaluate_items
from huiqi.rules.polars_eval.conditions import condition_expression, tree_expression
from huiqi.rules.polars_eval.frame import prepare_frame
from huiqi.rules.polars_eval.items import AMOUNT_DTYPE, STATUS_DTYPE, ItemPlan, compile_item, evaluate_frame

__all__ = [
    "AMOUNT_DTYPE",
    "STATUS_DTYPE",
    "ItemPlan",
    "compile_item",
    "condition_expression",
    "evaluate_frame",
    "evaluate_items",
    "fixed_column",
    "fixed_divide",
    "fixed_multiply",
    "prepare_frame",
    "tree_expression",
]
