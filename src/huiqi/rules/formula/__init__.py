"""Reward formulas: our own small grammar, parsed by a tokenizer and a recursive-descent parser.

A policy editor writes formulas such as ``round(revenue * 0.0005)`` or
``min(rd_expense * 0.1, 500000)``.  The text is never given to ``eval``, ``exec`` or ``compile``:
it is parsed into the immutable nodes below and evaluated by :mod:`huiqi.rules.evaluate`,
:mod:`huiqi.rules.polars_eval` and :mod:`huiqi.rules.sql`.  The grammar (DATA-CONTRACT.md section 2)::

    formula := sum
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | FIELD | FUNCTION "(" sum ("," sum)* ")" | "(" sum ")"
    NUMBER  := digits ["." digits]          (at most 12 decimal places, below 10^15)
    FIELD   := a numeric field of the registry (revenue, employees, rd_ratio, ...)
    FUNCTION:= min | max | round            (round(x) or round(x, n), n a whole number 0..12)

Anything else is refused with its 1-based position: other names, attribute access, strings, ``**``,
comparisons, keywords, exponents (``1e6``).  Formulas are limited to 500 characters and 30 levels of
nesting so a hostile text cannot exhaust the parser.

Modules: ``nodes`` (the parsed tree and the limits), ``parser`` (tokenizer and parser), ``evaluation``
(the Python evaluation).
"""

from huiqi.rules.formula.evaluation import FormulaOutcome, evaluate_formula
from huiqi.rules.formula.nodes import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    BinaryOp,
    Call,
    Expression,
    FieldRef,
    Formula,
    Negate,
    Number,
)
from huiqi.rules.formula.parser import parse_formula

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BinaryOp",
    "Call",
    "Expression",
    "FieldRef",
    "Formula",
    "FormulaOutcome",
    "Negate",
    "Number",
    "evaluate_formula",
    "parse_formula",
]
