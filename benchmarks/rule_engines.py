"""Our items translated into the expression languages of two well-known per-row rules engines.

* zen-engine (GoRules ZEN, Rust core, Python binding ``zen``): ``zen.compile_expression`` expressions,
  evaluated once per enterprise and item with the enterprise's facts as the context;
* rule-engine (Spencer McIntyre's ``rule_engine``, pure Python): one ``rule_engine.Rule`` per
  expression, evaluated the same way.

Both compare ``null`` by raising an error, so the contract's three-valued logic is translated
explicitly: every node becomes two Boolean expressions, "is true" and "is false" (a leaf is true
when its fact is known and the comparison holds, false when the fact is known and it does not;
``all`` is true when every child is true and false when one is false; ``any`` the reverse; ``not``
swaps them), and the status is ``T ? eligible : (F ? ineligible : needs_info)``.  The amount is a
second expression, evaluated for eligible results only: the first tier whose ``when`` is true, null
when an earlier ``when`` is unknown, 0 when none is true; a formula is null when a fact it reads is
unknown; then the cap, then rounding half away from zero to the fen.

Where the semantics differ (reported, not hidden): zen computes with its decimal type from Python
floats (exact to about 15 significant digits); rule-engine with Python's ``Decimal`` (28 significant
digits, no rounding of intermediate products to 12 places); neither applies the 10^15 range rule; a
division by zero or arithmetic on an unknown value is an evaluation error, counted as needs_info.
Derived facts (``age_years``, ``rd_ratio``) are given to both in the context, computed by
``huiqi.rules.derived``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from huiqi.rules.fields import DEFAULT_REGISTRY, FieldType, Op
from huiqi.rules.formula import BinaryOp, Call, Expression, FieldRef, Negate, Number
from huiqi.rules.schema import AllOf, AnyOf, Condition, FixedAmount, ItemRules, Leaf, NotOf


class _Dialect:
    """The spelling of one engine's expression language."""

    null = "null"
    true = "true"
    false = "false"

    def string(self, value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def number(self, value: Decimal) -> str:
        text = format(value, "f")
        return f"({text})" if text.startswith("-") else text

    def date(self, value: date) -> str:
        raise NotImplementedError

    def field_date(self, name: str) -> str:
        return name

    def starts_with(self, name: str, prefix: str) -> str:
        raise NotImplementedError

    def contains(self, name: str, tag: str) -> str:
        raise NotImplementedError

    def member(self, name: str, values: list[str]) -> str:
        return f"{name} in [{', '.join(values)}]"

    def round(self, value: str, places: int) -> str:
        raise NotImplementedError

    def minimum(self, args: list[str]) -> str:
        raise NotImplementedError

    def maximum(self, args: list[str]) -> str:
        raise NotImplementedError


class ZenDialect(_Dialect):
    def date(self, value: date) -> str:
        return f'date("{value.isoformat()}")'

    def field_date(self, name: str) -> str:
        return f"date({name})"

    def starts_with(self, name: str, prefix: str) -> str:
        return f"startsWith({name}, {self.string(prefix)})"

    def contains(self, name: str, tag: str) -> str:
        return f"contains({name}, {self.string(tag)})"

    def round(self, value: str, places: int) -> str:
        return f"round({value}, {places})"  # half away from zero, as the contract

    def minimum(self, args: list[str]) -> str:
        return f"min([{', '.join(args)}])"

    def maximum(self, args: list[str]) -> str:
        return f"max([{', '.join(args)}])"


class RuleEngineDialect(_Dialect):
    def date(self, value: date) -> str:
        return f'd"{value.isoformat()}"'

    def starts_with(self, name: str, prefix: str) -> str:
        escaped = "".join(f"\\\\{char}" if not char.isalnum() else char for char in prefix)
        return f'{name} =~ "^{escaped}"'

    def contains(self, name: str, tag: str) -> str:
        return f"{self.string(tag)} in {name}"

    def round(self, value: str, places: int) -> str:
        # No round function: half away from zero with floor division.
        scale = 10**places
        return f"(({value}) >= 0 ? (({value}) * {scale} + 0.5) // 1 / {scale} : -((-({value}) * {scale} + 0.5) // 1) / {scale})"

    def minimum(self, args: list[str]) -> str:
        return f"$min([{', '.join(args)}])"

    def maximum(self, args: list[str]) -> str:
        return f"$max([{', '.join(args)}])"


class Translator:
    """Writes an item's status and amount expressions in one dialect."""

    def __init__(self, dialect: _Dialect) -> None:
        self.d = dialect

    def literal(self, field: str, value: Any) -> str:
        spec = DEFAULT_REGISTRY[field]
        if isinstance(value, bool):
            return self.d.true if value else self.d.false
        if isinstance(value, Decimal):
            return self.d.number(value)
        if isinstance(value, date):
            return self.d.date(value)
        assert spec.type is not FieldType.TAGS
        return self.d.string(str(value))

    def comparison(self, leaf: Leaf) -> str:
        """The leaf's test on a known value."""
        name, op, value = leaf.field, leaf.op, leaf.value
        spec = DEFAULT_REGISTRY[name]
        if spec.type is FieldType.TAGS:
            wanted = value if isinstance(value, tuple) else (value,)
            checks = [self.d.contains(name, tag) for tag in wanted]
            joiner = " or " if op is Op.CONTAINS_ANY else " and "
            return "(" + joiner.join(checks) + ")"
        subject = self.d.field_date(name) if spec.type is FieldType.DATE else name
        symbols = {Op.EQ: "==", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
        if op in symbols:
            return f"({subject} {symbols[op]} {self.literal(name, value)})"
        if op is Op.BETWEEN:
            assert isinstance(value, tuple)
            low, high = value
            return f"({subject} >= {self.literal(name, low)} and {subject} <= {self.literal(name, high)})"
        if op in (Op.IN, Op.NOT_IN):
            assert isinstance(value, tuple)
            if spec.type is FieldType.DATE or spec.is_numeric:
                member = "(" + " or ".join(f"{subject} == {self.literal(name, item)}" for item in value) + ")"
            else:
                member = "(" + self.d.member(subject, [self.literal(name, item) for item in value]) + ")"
            return member if op is Op.IN else f"(not {member})"
        if op is Op.STARTS_WITH:
            prefixes = value if isinstance(value, tuple) else (value,)
            return "(" + " or ".join(self.d.starts_with(name, str(prefix)) for prefix in prefixes) + ")"
        raise AssertionError(op)

    def truth(self, node: Condition, goal: bool) -> str:
        """An expression that is true exactly when the node's outcome is ``goal`` (never null)."""
        if isinstance(node, Leaf):
            spec = DEFAULT_REGISTRY[node.field]
            if spec.type is FieldType.TAGS and node.op in (Op.IS_NULL, Op.IS_NOT_NULL):
                holds = node.op is Op.IS_NOT_NULL  # tags are never null
                return self.d.true if holds == goal else self.d.false
            if node.op is Op.IS_NULL:
                return f"({node.field} {'==' if goal else '!='} {self.d.null})"
            if node.op is Op.IS_NOT_NULL:
                return f"({node.field} {'!=' if goal else '=='} {self.d.null})"
            test = self.comparison(node)
            if spec.type is FieldType.TAGS:
                return test if goal else f"(not {test})"
            known = f"{node.field} != {self.d.null}"
            return f"({known} and {test})" if goal else f"({known} and not {test})"
        if isinstance(node, NotOf):
            return self.truth(node.child, not goal)
        parts = [self.truth(child, goal) for child in node.children]
        every = isinstance(node, AllOf) == goal  # all true / any false need every child
        assert isinstance(node, AllOf | AnyOf)
        return "(" + (" and " if every else " or ").join(parts) + ")"

    def status(self, rules: ItemRules) -> str:
        yes, no = self.truth(rules.eligibility, True), self.truth(rules.eligibility, False)
        return f'{yes} ? "eligible" : ({no} ? "ineligible" : "needs_info")'

    def formula(self, node: Expression) -> str:
        if isinstance(node, Number):
            return self.d.number(node.value)
        if isinstance(node, FieldRef):
            return node.name
        if isinstance(node, Negate):
            return f"(-{self.formula(node.operand)})"
        if isinstance(node, BinaryOp):
            return f"({self.formula(node.left)} {node.op} {self.formula(node.right)})"
        assert isinstance(node, Call)
        args = [self.formula(arg) for arg in node.args]
        if node.function == "round":
            return self.d.round(args[0], node.places)
        return self.d.minimum(args) if node.function == "min" else self.d.maximum(args)

    def amount_of(self, amount: Any) -> str:
        if isinstance(amount, FixedAmount):
            return self.d.number(amount.amount)
        fields = sorted(amount.formula.fields)
        value = self.formula(amount.formula.root)
        if not fields:
            return value
        known = " and ".join(f"{name} != {self.d.null}" for name in fields)
        return f"(({known}) ? {value} : {self.d.null})"

    def amount(self, rules: ItemRules) -> str | None:
        """The amount before rounding to the fen, or null (needs_info); None without a reward."""
        reward = rules.reward
        if reward is None:
            return None
        if reward.tiers:
            value = "0"
            for tier in reversed(reward.tiers):
                yes, no = self.truth(tier.when, True), self.truth(tier.when, False)
                value = f"({yes} ? {self.amount_of(tier.amount)} : ({no} ? {value} : {self.d.null}))"
        else:
            value = self.amount_of(reward.amount)
        if reward.cap is not None:
            cap = self.d.number(reward.cap)
            value = f"(({value}) == {self.d.null} ? {self.d.null} : (({value}) > {cap} ? {cap} : ({value})))"
        return value


def _fen(value: Any) -> str | None:
    """An engine's amount rounded half away from zero to the fen, as text with two places."""
    if value is None:
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return f"{number.quantize(Decimal('0.01'), rounding='ROUND_HALF_UP'):.2f}"


Evaluator = Callable[[dict[str, Any]], tuple[str, str | None]]


def zen_evaluators(items: dict[str, ItemRules]) -> dict[str, Evaluator]:
    """One function per item: the context (zen's) -> (status, amount as text)."""
    import zen

    translator = Translator(ZenDialect())
    evaluators: dict[str, Evaluator] = {}
    for code, rules in items.items():
        status_expression = zen.compile_expression(translator.status(rules))
        amount_text = translator.amount(rules)
        amount_expression = zen.compile_expression(amount_text) if amount_text is not None else None

        def evaluate(
            context: dict[str, Any], status=status_expression, amount=amount_expression
        ) -> tuple[str, str | None]:
            status_value = status.evaluate(context)
            if status_value != "eligible" or amount is None:
                return status_value, None
            try:
                value = amount.evaluate(context)
            except RuntimeError:  # arithmetic on null, division by zero
                return "needs_info", None
            return ("needs_info", None) if value is None else ("eligible", _fen(value))

        evaluators[code] = evaluate
    return evaluators


def rule_engine_evaluators(items: dict[str, ItemRules]) -> dict[str, Evaluator]:
    import rule_engine

    translator = Translator(RuleEngineDialect())
    evaluators: dict[str, Evaluator] = {}
    for code, rules in items.items():
        status_rule = rule_engine.Rule(translator.status(rules))
        amount_text = translator.amount(rules)
        amount_rule = rule_engine.Rule(amount_text) if amount_text is not None else None

        def evaluate(
            context: dict[str, Any], status=status_rule, amount=amount_rule
        ) -> tuple[str, str | None]:
            status_value = status.evaluate(context)
            if status_value != "eligible" or amount is None:
                return status_value, None
            try:
                value = amount.evaluate(context)
            except (rule_engine.errors.EvaluationError, ArithmeticError):
                return "needs_info", None
            return ("needs_info", None) if value is None else ("eligible", _fen(value))

        evaluators[code] = evaluate
    return evaluators


def zen_context(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as zen's binding takes them: floats, ISO dates, lists of tags, None for unknown."""
    context: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif name == "tags":
            value = list(value or [])
        elif isinstance(value, str) and not value.strip():
            value = None
        context[name] = value
    return context


def rule_engine_context(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as rule-engine takes them: Decimal numbers, dates, a tuple of tags, None for unknown."""
    context: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        elif name == "tags":
            value = tuple(value or ())
        elif isinstance(value, str) and not value.strip():
            value = None
        context[name] = value
    return context
