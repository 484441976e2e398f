"""Condition trees and reward specifications (DATA-CONTRACT.md section 2) as typed, immutable nodes.

Rules are data: a policy editor's item is YAML or JSON, and this module is the one gate it passes
before it is saved.  :func:`parse_item_rules`, :func:`parse_condition` and :func:`parse_reward` check
the data against the field registry and return frozen nodes; every fault is collected (not only the
first) into a :class:`~huiqi.rules.errors.RuleValidationError` whose entries name their path in the
item (``eligibility.all[1].any[0].value``) and say, in Chinese and English, what was expected.

Decisions where the contract is silent: ``all`` and ``any`` need at least one child (an empty group is
refused as malformed, since its meaning would surprise an editor); list values (``in``,
``contains_any``, ...) need at least one element; ``between`` needs ``low <= high``; numbers may have
at most 12 decimal places and must lie below 10^15 in size (:mod:`huiqi.rules.numbers`); a text field's
value must be text (an unquoted ``370100`` in YAML is refused, with a hint to quote it); a ``fixed``
reward and a ``cap`` may not be negative; ``reward`` may be absent (a non-monetary item: eligible
enterprises get no amount); trees are limited to 32 levels of nesting.

Modules: ``nodes`` (the frozen nodes and their data form), ``parsing`` (the validating parser),
``values`` (a leaf's value for its field and operator).
"""

from huiqi.rules.schema.nodes import (
    MAX_DEPTH,
    AllOf,
    Amount,
    AnyOf,
    Condition,
    FixedAmount,
    FormulaAmount,
    ItemRules,
    Leaf,
    LeafValue,
    NotOf,
    Reward,
    ScalarValue,
    Tier,
    iter_leaves,
)
from huiqi.rules.schema.parsing import parse_condition, parse_item_rules, parse_reward

__all__ = [
    "MAX_DEPTH",
    "AllOf",
    "Amount",
    "AnyOf",
    "Condition",
    "FixedAmount",
    "FormulaAmount",
    "ItemRules",
    "Leaf",
    "LeafValue",
    "NotOf",
    "Reward",
    "ScalarValue",
    "Tier",
    "iter_leaves",
    "parse_condition",
    "parse_item_rules",
    "parse_reward",
]
