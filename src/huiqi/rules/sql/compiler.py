"""The compiler from condition trees, formulas and rewards to sqlglot expressions (see the package
docstring for the semantics)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlglot import exp

from huiqi.rules import numbers
from huiqi.rules.fields import FieldRegistry, FieldSpec, FieldType, Op
from huiqi.rules.formula import BinaryOp, Call, Expression, FieldRef, Negate, Number
from huiqi.rules.schema import AllOf, Amount, AnyOf, Condition, FixedAmount, ItemRules, Leaf, NotOf, Reward


def _number(value: Decimal | int, *, decimal: bool = False) -> exp.Expr:
    """A numeric literal; ``decimal`` writes a decimal point so the database computes in numeric /
    DECIMAL, never in bigint (whose overflow is an error, not NULL)."""
    text = format(Decimal(value), "f")
    if decimal and "." not in text:
        text += ".0"
    if text.startswith("-"):
        return exp.Neg(this=exp.Literal.number(text[1:]))
    return exp.Literal.number(text)


# A decimal literal: clamping an integer column against it makes every number numeric / DECIMAL.
_LIMIT = _number(numbers.LIMIT, decimal=True)
_SCALE_FACTOR = _number(numbers.ONE)
_UNIT = _number(Decimal(1).scaleb(-numbers.SCALE))


def _paren(expression: exp.Expr) -> exp.Expr:
    return exp.Paren(this=expression)


def _bounded(value: exp.Expr) -> exp.Expr:
    """NULL unless -10^15 < value < 10^15; NULL stays NULL (LEAST/GREATEST skip NULL, NULLIF catches it)."""
    clamped = exp.Greatest(
        this=exp.Least(this=value, expressions=[_LIMIT.copy()]), expressions=[exp.Neg(this=_LIMIT.copy())]
    )
    return exp.Nullif(
        this=exp.Nullif(this=clamped, expression=_LIMIT.copy()), expression=exp.Neg(this=_LIMIT.copy())
    )


def _case(ifs: list[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    case = exp.Case(ifs=[exp.If(this=condition, true=value) for condition, value in ifs])
    if default is not None:
        case.set("default", default)
    return case


def _is_null(value: exp.Expr) -> exp.Expr:
    # Parenthesised: ``NOT x IS NULL`` would read as ``NOT (x IS NULL)``.
    return exp.Is(this=_paren(value), expression=exp.Null())


class _Compiler:
    def __init__(
        self,
        registry: FieldRegistry,
        dialect: str,
        column_names: Mapping[str, str],
        table: str | None,
        as_of: date | None,
    ) -> None:
        self.registry = registry
        self.dialect = dialect
        self.column_names = column_names
        self.table = table
        self.as_of = as_of
        self.stages: list[list[exp.Expr]] | None = None

    # -- columns
    def column(self, name: str) -> exp.Expr:
        return exp.column(self.column_names.get(name, name), table=self.table)

    def number_field(self, name: str) -> exp.Expr:
        if self.as_of is not None and name == "age_years":
            return self.age_years()
        if self.as_of is not None and name == "rd_ratio":
            return self.divide(self.number_field("rd_expense"), self.number_field("revenue"))
        return _bounded(self.column(name))

    def text_field(self, name: str) -> exp.Expr:
        column = self.column(name)
        blank = exp.EQ(this=exp.Trim(this=column.copy()), expression=exp.Literal.string(""))
        return _case([(blank, exp.Null())], column)

    # -- derived age_years, as huiqi.rules.derived.age_years_fixed
    def _anniversary(self, month_day: exp.Expr, year: int) -> exp.Expr:
        """The founding anniversary in a known year: 29 February moves to 1 March in common years."""
        established_on = self.column("established_on")
        month: exp.Expr = exp.cast(exp.Month(this=established_on.copy()), "INT")
        day: exp.Expr = exp.cast(exp.Day(this=established_on.copy()), "INT")
        if not calendar.isleap(year):
            moved = exp.EQ(this=month_day.copy(), expression=_number(229))
            month = _case([(moved, _number(3))], month)
            day = _case([(moved.copy(), _number(1))], day)
        return exp.Anonymous(this="MAKE_DATE", expressions=[_number(year), month, day])

    def _days(self, later: exp.Expr, earlier: exp.Expr) -> exp.Expr:
        if self.dialect == "postgres":
            return _paren(exp.Sub(this=later, expression=earlier))
        return exp.DateDiff(this=later, expression=earlier, unit=exp.var("DAY"))

    def age_years(self) -> exp.Expr:
        """Whole years plus days since the last anniversary over days to the next (contract section 1).

        The evaluation year is known, so the last anniversary is in that year or the one before, and
        whether each is a leap year is decided here rather than in SQL.
        """
        assert self.as_of is not None
        on = self.as_of
        established_on = self.column("established_on")
        month_day = exp.Add(
            this=exp.Mul(
                this=exp.cast(exp.Month(this=established_on.copy()), "INT"), expression=_number(100)
            ),
            expression=exp.cast(exp.Day(this=established_on.copy()), "INT"),
        )
        this_year = _paren(month_day.copy())
        if not calendar.isleap(on.year):
            this_year = _case(
                [(exp.EQ(this=month_day.copy(), expression=_number(229)), _number(301))], month_day
            )
        late = exp.GT(this=this_year, expression=_number(on.month * 100 + on.day))
        last = _case(
            [(late, self._anniversary(month_day, on.year - 1))], self._anniversary(month_day, on.year)
        )
        following = _case(
            [(late.copy(), self._anniversary(month_day, on.year))], self._anniversary(month_day, on.year + 1)
        )
        whole = exp.Sub(
            this=exp.Sub(
                this=_number(on.year), expression=exp.cast(exp.Year(this=established_on.copy()), "INT")
            ),
            expression=_case([(late.copy(), _number(1))], _number(0)),
        )
        as_of = exp.cast(exp.Literal.string(on.isoformat()), "DATE")
        days = self._days(as_of, last)
        span = self._days(following, last.copy())
        numerator = exp.Add(this=exp.Mul(this=days, expression=_number(2 * numbers.ONE)), expression=span)
        fraction = exp.IntDiv(this=numerator, expression=exp.Mul(this=_number(2), expression=span.copy()))
        return exp.Add(this=_paren(whole), expression=exp.Mul(this=_paren(fraction), expression=_UNIT.copy()))

    # -- arithmetic
    def divide(self, left: exp.Expr, right: exp.Expr) -> exp.Expr:
        """Exact quotient rounded half away from zero to 12 places; NULL for a zero divisor.

        ``DIV`` truncates toward zero, so adding half the divisor with the sign of the quotient before
        dividing rounds half away from zero: DIV(2a·10^12 + sign(a)·|b|, 2b).
        """
        divisor = exp.Nullif(this=right, expression=_number(0))
        sign_of_left = _case(
            [(exp.LT(this=left.copy(), expression=_number(0)), exp.Neg(this=_number(1)))], _number(1)
        )
        numerator = exp.Add(
            this=exp.Mul(
                this=exp.Mul(this=_number(2), expression=_paren(left)), expression=_SCALE_FACTOR.copy()
            ),
            expression=exp.Mul(this=exp.Abs(this=divisor.copy()), expression=sign_of_left),
        )
        quotient = exp.IntDiv(this=numerator, expression=exp.Mul(this=_number(2), expression=_paren(divisor)))
        return _bounded(exp.Mul(this=_paren(quotient), expression=_UNIT.copy()))

    def staged(self, expression: exp.Expr, stage: int) -> tuple[exp.Expr, int]:
        """In a staged query, compute ``expression`` into a column of the next layer (see select_sql)."""
        if self.stages is None:
            return expression, stage
        name = f"__t{sum(len(layer) for layer in self.stages)}"
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append(exp.alias_(expression, name))
        return exp.column(name), stage + 1

    def formula(self, node: Expression) -> tuple[exp.Expr, int]:
        if isinstance(node, Number):
            return _number(node.value, decimal=True), 0
        if isinstance(node, FieldRef):
            return self.number_field(node.name), 0
        if isinstance(node, Negate):
            operand, stage = self.formula(node.operand)
            return exp.Neg(this=_paren(operand)), stage
        if isinstance(node, BinaryOp):
            (left, left_stage), (right, right_stage) = self.formula(node.left), self.formula(node.right)
            stage = max(left_stage, right_stage)
            if node.op == "+":
                return self.staged(_bounded(exp.Add(this=left, expression=right)), stage)
            if node.op == "-":
                return self.staged(_bounded(exp.Sub(this=left, expression=_paren(right))), stage)
            if node.op == "*":
                product = exp.Mul(this=_paren(left), expression=_paren(right))
                return self.staged(_bounded(exp.Round(this=product, decimals=_number(numbers.SCALE))), stage)
            return self.staged(self.divide(left, right), stage)
        assert isinstance(node, Call)
        parts = [self.formula(arg) for arg in node.args]
        args = [arg for arg, _stage in parts]
        stage = max(arg_stage for _arg, arg_stage in parts)
        if node.function == "round":
            return self.staged(_bounded(exp.Round(this=args[0], decimals=_number(node.places))), stage)
        any_null = exp.or_(*[_is_null(arg.copy()) for arg in args])
        kind = exp.Least if node.function == "min" else exp.Greatest
        return self.staged(_case([(any_null, exp.Null())], kind(this=args[0], expressions=args[1:])), stage)

    # -- conditions
    def condition(self, node: Condition) -> exp.Expr:
        if isinstance(node, AllOf):
            return _paren(exp.and_(*[self.condition(child) for child in node.children]))
        if isinstance(node, AnyOf):
            return _paren(exp.or_(*[self.condition(child) for child in node.children]))
        if isinstance(node, NotOf):
            return exp.Not(this=_paren(self.condition(node.child)))
        return _paren(self.leaf(node, self.registry[node.field]))

    def literal(self, spec: FieldSpec, value: object) -> exp.Expr:
        if isinstance(value, Decimal):
            return _number(value)
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, date):
            return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
        return exp.Literal.string(str(value))

    def leaf(self, node: Leaf, spec: FieldSpec) -> exp.Expr:
        op, value = node.op, node.value
        if spec.type is FieldType.TAGS:
            if op in (Op.IS_NULL, Op.IS_NOT_NULL):
                return exp.Boolean(this=op is Op.IS_NOT_NULL)
            wanted = value if isinstance(value, tuple) else (value,)
            checks = [
                exp.Coalesce(
                    this=exp.ArrayContains(
                        this=self.column(spec.name), expression=exp.Literal.string(str(tag))
                    ),
                    expressions=[exp.false()],
                )
                for tag in wanted
            ]
            return exp.or_(*checks) if op is Op.CONTAINS_ANY else exp.and_(*checks)
        if spec.is_numeric:
            column = self.number_field(spec.name)
        elif spec.type in (FieldType.STRING, FieldType.ENUM):
            column = self.text_field(spec.name)
        else:
            column = self.column(spec.name)
        if op is Op.IS_NULL:
            return _is_null(column)
        if op is Op.IS_NOT_NULL:
            return exp.not_(_is_null(column))
        comparisons: dict[Op, type[exp.Binary]] = {
            Op.EQ: exp.EQ,
            Op.NE: exp.NEQ,
            Op.LT: exp.LT,
            Op.LE: exp.LTE,
            Op.GT: exp.GT,
            Op.GE: exp.GTE,
        }
        if op in comparisons:
            return comparisons[op](this=column, expression=self.literal(spec, value))
        if op is Op.BETWEEN:
            assert isinstance(value, tuple)
            low, high = value
            return exp.and_(
                exp.GTE(this=column, expression=self.literal(spec, low)),
                exp.LTE(this=column.copy(), expression=self.literal(spec, high)),
            )
        if op in (Op.IN, Op.NOT_IN):
            assert isinstance(value, tuple)
            member = exp.In(this=column, expressions=[self.literal(spec, item) for item in value])
            return member if op is Op.IN else exp.Not(this=_paren(member))
        if op is Op.STARTS_WITH:
            prefixes = value if isinstance(value, tuple) else (value,)
            return exp.or_(
                *[
                    exp.EQ(
                        this=exp.Substring(
                            this=column.copy(), start=_number(1), length=_number(len(str(prefix)))
                        ),
                        expression=exp.Literal.string(str(prefix)),
                    )
                    for prefix in prefixes
                ]
            )
        raise AssertionError(f"operator {op} not compiled")  # pragma: no cover - validation prevents it

    # -- rewards and status
    def amount(self, amount: Amount) -> exp.Expr:
        if isinstance(amount, FixedAmount):
            return _number(amount.amount, decimal=True)
        return self.formula(amount.formula.root)[0]

    def reward(self, reward: Reward) -> exp.Expr:
        if not reward.tiers:
            assert reward.amount is not None
            return self.amount(reward.amount)
        ifs: list[tuple[exp.Expr, exp.Expr]] = []
        for tier in reward.tiers:
            when = self.condition(tier.when)
            ifs.append((_is_null(when), exp.Null()))
            ifs.append((when.copy(), self.amount(tier.amount)))
        return _case(ifs, _number(0))

    def item(self, item_rules: ItemRules) -> tuple[exp.Expr, exp.Expr]:
        raw = None if item_rules.reward is None else self.reward(item_rules.reward)
        return _status_amount(self.condition(item_rules.eligibility), raw, item_rules.reward)


def _status_amount(
    eligible: exp.Expr, raw: exp.Expr | None, reward: Reward | None
) -> tuple[exp.Expr, exp.Expr]:
    """Status and amount from the eligibility and the amount before the cap (NULL: needs_info)."""
    ifs: list[tuple[exp.Expr, exp.Expr]] = [
        (_is_null(eligible), exp.Literal.string("needs_info")),
        (exp.Not(this=_paren(eligible.copy())), exp.Literal.string("ineligible")),
    ]
    if reward is None or raw is None:
        return _case(ifs, exp.Literal.string("eligible")), exp.cast(exp.Null(), "DECIMAL(20, 2)")
    ifs.append((_is_null(raw), exp.Literal.string("needs_info")))
    status = _case(ifs, exp.Literal.string("eligible"))
    capped = raw.copy()
    if reward.cap is not None:
        capped = exp.Least(this=capped, expressions=[_number(reward.cap)])
    rounded = exp.cast(exp.Round(this=capped, decimals=_number(2)), "DECIMAL(20, 2)")
    known = exp.and_(eligible.copy(), exp.not_(_is_null(raw.copy())))
    return status, _case([(known, rounded)])
