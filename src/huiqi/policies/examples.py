"""An item's example cases (DATA-CONTRACT.md section 2: "checked on import and before publishing").

Like OpenFisca's YAML tests, examples are rules' tests written as data by the policy editor: each
gives a profile and the result it must produce. In a profile an absent field is unknown (null),
except `tags`, which is then the empty set; derived fields (`size_class`, `age_years`, `rd_ratio`)
are given directly and never computed from other facts (the contract says absent means null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiqi.rules.errors import ProfileValueError
from huiqi.rules.evaluate import evaluate
from huiqi.rules.schema import ItemRules

_FEN = Decimal("0.01")


@dataclass(frozen=True)
class ExampleFailure:
    """An example whose result differs from what it expects."""

    index: int
    expected_status: str
    expected_amount: Decimal | None
    checks_amount: bool
    got_status: str
    got_amount: Decimal | None
    explanation: str

    @property
    def path(self) -> str:
        return f"examples[{self.index}]"

    def describe(self) -> str:
        def shown(status: str, amount: Decimal | None, with_amount: bool) -> str:
            if not with_amount:
                return status
            return f"{status}、金额 {amount if amount is not None else '无'}"

        expected = shown(self.expected_status, self.expected_amount, self.checks_amount)
        got = shown(self.got_status, self.got_amount, self.checks_amount or self.got_amount is not None)
        why = f"（{self.explanation}）" if self.explanation else ""
        return f"示例 {self.index + 1} 不通过：期望 {expected}，实际 {got}{why}"


def _expected_amount(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    return value.quantize(_FEN, rounding=ROUND_HALF_UP)


def run_examples(rules: ItemRules, examples: Sequence[Mapping[str, Any]]) -> list[ExampleFailure]:
    """Every failing example (an empty list when all pass)."""
    failures = []
    for index, example in enumerate(examples):
        profile = dict(example.get("profile") or {})
        expect = example.get("expect") or {}
        checks_amount = "amount" in expect
        try:
            result = evaluate(rules, profile)
        except ProfileValueError as error:
            failures.append(
                ExampleFailure(
                    index, str(expect.get("status")), None, False, "error", None, f"示例数据有误：{error}"
                )
            )
            continue
        checks_amount = "amount" in expect
        expected_amount = _expected_amount(expect.get("amount"))
        status_ok = result.status.value == expect.get("status")
        amount_ok = not checks_amount or result.amount == expected_amount
        if not (status_ok and amount_ok):
            failures.append(
                ExampleFailure(
                    index=index,
                    expected_status=str(expect.get("status")),
                    expected_amount=expected_amount,
                    checks_amount=checks_amount,
                    got_status=result.status.value,
                    got_amount=result.amount,
                    explanation=result.explanation
                    or (result.trace.reward.note if result.trace.reward is not None else ""),
                )
            )
    return failures
