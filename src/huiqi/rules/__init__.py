"""The rules engine: policy eligibility and rewards as data, evaluated by pure Python, Polars or SQL.

Rules are data (DATA-CONTRACT.md section 2): a condition tree and a reward specification, validated
against a field registry before they are saved, and evaluated without Django by three evaluators that
agree on every status and on every amount to the fen:

* :func:`evaluate` — one enterprise, with an explanation trace (``huiqi.rules.evaluate``);
* ``huiqi.rules.polars_eval`` — the whole registry as a Polars frame, vectorised;
* ``huiqi.rules.sql`` — compiled to SQL with sqlglot for PostgreSQL and Spark/Hive.

Modules: ``fields`` (registry), ``schema`` (nodes, parsing, validation), ``formula`` (the formula
grammar), ``numbers`` (the exact arithmetic every evaluator shares), ``derived`` (age_years,
rd_ratio), ``profile`` (reading an enterprise's facts), ``explain`` (Chinese wording).  The Polars and
SQL modules are not imported here, so validating or evaluating one item does not load them.
"""

from huiqi.rules.derived import age_years, rd_ratio
from huiqi.rules.errors import ProfileValueError, RuleError, RuleValidationError
from huiqi.rules.evaluate import LeafTrace, Result, RewardTrace, Status, Trace, evaluate
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, FieldType, Op
from huiqi.rules.formula import Formula, parse_formula
from huiqi.rules.profile import Profile
from huiqi.rules.schema import (
    AllOf,
    AnyOf,
    Condition,
    FixedAmount,
    FormulaAmount,
    ItemRules,
    Leaf,
    NotOf,
    Reward,
    Tier,
    parse_condition,
    parse_item_rules,
    parse_reward,
)

__all__ = [
    "DEFAULT_REGISTRY",
    "AllOf",
    "AnyOf",
    "Condition",
    "FieldRegistry",
    "FieldSpec",
    "FieldType",
    "FixedAmount",
    "Formula",
    "FormulaAmount",
    "ItemRules",
    "Leaf",
    "LeafTrace",
    "NotOf",
    "Op",
    "Profile",
    "ProfileValueError",
    "Result",
    "Reward",
    "RewardTrace",
    "RuleError",
    "RuleValidationError",
    "Status",
    "Tier",
    "Trace",
    "age_years",
    "evaluate",
    "parse_condition",
    "parse_formula",
    "parse_item_rules",
    "parse_reward",
    "rd_ratio",
]
