"""Parsing and validating an item's rules: every fault collected, each with its path."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from huiqi.rules.errors import RuleError, RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldType, Op
from huiqi.rules.formula import parse_formula
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
    NotOf,
    Reward,
    Tier,
)
from huiqi.rules.schema.values import _InvalidValueError, _leaf_value, _number


# -------------------------------------------------------------------------------------- parsing
def parse_item_rules(data: Mapping[str, Any], *, registry: FieldRegistry = DEFAULT_REGISTRY) -> ItemRules:
    """Validate ``eligibility`` (required) and ``reward`` (optional) of an item mapping.

    Other keys of the mapping (code, title, examples, ...) are the policy library's business and are
    ignored here.  Raises :class:`RuleValidationError` listing every fault with its path.
    """
    errors: list[RuleError] = []
    if not isinstance(data, Mapping):
        raise RuleValidationError([_error("", "malformed_node", "条目须为映射", "item must be a mapping")])
    eligibility: Condition | None = None
    if "eligibility" not in data:
        errors.append(
            _error("eligibility", "missing_key", "缺少 eligibility（条件树）", "eligibility is missing")
        )
    else:
        eligibility = _Parser(registry, errors).condition(data["eligibility"], "eligibility", 0)
    reward: Reward | None = None
    if data.get("reward") is not None:
        reward = _Parser(registry, errors).reward(data["reward"], "reward")
    if errors:
        raise RuleValidationError(errors)
    assert eligibility is not None
    return ItemRules(eligibility, reward)


def parse_condition(
    data: Any, *, path: str = "eligibility", registry: FieldRegistry = DEFAULT_REGISTRY
) -> Condition:
    """Validate one condition tree; raise :class:`RuleValidationError` with every fault."""
    errors: list[RuleError] = []
    node = _Parser(registry, errors).condition(data, path, 0)
    if errors or node is None:
        raise RuleValidationError(errors)
    return node


def parse_reward(data: Any, *, path: str = "reward", registry: FieldRegistry = DEFAULT_REGISTRY) -> Reward:
    """Validate one reward specification; raise :class:`RuleValidationError` with every fault."""
    errors: list[RuleError] = []
    reward = _Parser(registry, errors).reward(data, path)
    if errors or reward is None:
        raise RuleValidationError(errors)
    return reward


def _error(path: str, code: str, message: str, message_en: str) -> RuleError:
    return RuleError(path, code, message, message_en)


_GROUP_KEYS = ("all", "any", "not")
_LEAF_KEYS = ("field", "op", "value")
_TYPE_NAMES = {
    FieldType.NUMBER: "数值",
    FieldType.INTEGER: "整数",
    FieldType.STRING: "文本",
    FieldType.DATE: "日期",
    FieldType.BOOL: "布尔值",
    FieldType.TAGS: "标签",
    FieldType.ENUM: "枚举",
}


class _Parser:
    def __init__(self, registry: FieldRegistry, errors: list[RuleError]) -> None:
        self.registry = registry
        self.errors = errors

    def fail(self, path: str, code: str, message: str, message_en: str) -> None:
        self.errors.append(_error(path, code, message, message_en))

    # -- conditions
    def condition(self, data: Any, path: str, depth: int) -> Condition | None:
        if depth > MAX_DEPTH:
            self.fail(
                path, "malformed_node", f"条件嵌套超过 {MAX_DEPTH} 层", f"nesting deeper than {MAX_DEPTH}"
            )
            return None
        if not isinstance(data, Mapping):
            self.fail(
                path,
                "malformed_node",
                "条件须为映射：{all: [...]}、{any: [...]}、{not: {...}} 或 {field, op, value}",
                "a condition must be a mapping: all, any, not or a leaf {field, op, value}",
            )
            return None
        keys = [str(key) for key in data]
        groups = [key for key in keys if key in _GROUP_KEYS]
        if len(groups) > 1:
            self.fail(
                path,
                "malformed_node",
                f"一个条件只能是 all、any、not 之一，这里同时有 {'、'.join(groups)}",
                f"a condition has exactly one of all/any/not, found {', '.join(groups)}",
            )
            return None
        if groups:
            key = groups[0]
            extra = [other for other in keys if other != key]
            if extra:
                self.fail(
                    path,
                    "malformed_node",
                    f"{key} 条件中不能有其他键：{'、'.join(extra)}",
                    f"unexpected keys beside {key}: {', '.join(extra)}",
                )
                return None
            if key == "not":
                child = self.condition(data["not"], f"{path}.not", depth + 1)
                return None if child is None else NotOf(child, path)
            return self.group(key, data[key], f"{path}.{key}", path, depth)
        return self.leaf(data, keys, path)

    def group(self, key: str, items: Any, items_path: str, path: str, depth: int) -> Condition | None:
        if not isinstance(items, list | tuple):
            self.fail(
                items_path, "malformed_node", f"{key} 需要一个条件列表", f"{key} needs a list of conditions"
            )
            return None
        if not items:
            self.fail(
                items_path,
                "malformed_node",
                f"{key} 的条件列表不能为空",
                f"{key} needs at least one condition",
            )
            return None
        children = [
            self.condition(item, f"{items_path}[{index}]", depth + 1) for index, item in enumerate(items)
        ]
        if any(child is None for child in children):
            return None
        kept = tuple(child for child in children if child is not None)
        return AllOf(kept, path) if key == "all" else AnyOf(kept, path)

    def leaf(self, data: Mapping[Any, Any], keys: list[str], path: str) -> Condition | None:
        extra = [key for key in keys if key not in _LEAF_KEYS]
        if extra:
            self.fail(
                path,
                "malformed_node",
                f"未知的键：{'、'.join(extra)}（条件须为 all、any、not 或 {{field, op, value}}）",
                f"unexpected keys: {', '.join(extra)}",
            )
            return None
        name = data.get("field")
        if name is None:
            self.fail(f"{path}.field", "missing_key", "缺少 field（字段名）", "field is missing")
            return None
        spec = self.registry.get(name) if isinstance(name, str) else None
        if spec is None:
            self.fail(
                f"{path}.field",
                "unknown_field",
                f"未知字段“{name}”，可用字段：{'、'.join(self.registry.names())}",
                f"unknown field {name!r}",
            )
            return None
        raw_op = data.get("op")
        if raw_op is None:
            self.fail(f"{path}.op", "missing_key", "缺少 op（运算符）", "op is missing")
            return None
        try:
            op = Op(raw_op)
        except ValueError:
            self.fail(
                f"{path}.op",
                "unknown_operator",
                f"未知运算符“{raw_op}”，可用：{'、'.join(str(item) for item in Op)}",
                f"unknown operator {raw_op!r}",
            )
            return None
        if op not in spec.operators:
            allowed = "、".join(str(item) for item in Op if item in spec.operators)
            self.fail(
                f"{path}.op",
                "invalid_operator",
                f"字段 {spec.name}（{spec.label}，{_TYPE_NAMES[spec.type]}）不能使用运算符 {op}，可用：{allowed}",
                f"operator {op} is not valid for {spec.type} field {spec.name}",
            )
            return None
        if op in (Op.IS_NULL, Op.IS_NOT_NULL):
            if data.get("value") is not None:
                self.fail(f"{path}.value", "invalid_value", f"{op} 不需要 value", f"{op} takes no value")
                return None
            return Leaf(spec.name, op, None, path)
        if "value" not in data:
            self.fail(f"{path}.value", "missing_key", f"运算符 {op} 需要 value", f"{op} needs a value")
            return None
        try:
            value = _leaf_value(spec, op, data["value"])
        except _InvalidValueError as invalid:
            self.fail(f"{path}.value{invalid.suffix}", "invalid_value", invalid.message, invalid.message_en)
            return None
        return Leaf(spec.name, op, value, path)

    # -- rewards
    def reward(self, data: Any, path: str) -> Reward | None:
        if not isinstance(data, Mapping):
            self.fail(
                path,
                "invalid_reward",
                "奖励须为映射：fixed、formula 或 tiers，可加 cap",
                "reward must be a mapping",
            )
            return None
        keys = [str(key) for key in data]
        extra = [key for key in keys if key not in ("fixed", "formula", "tiers", "cap")]
        if extra:
            self.fail(
                path,
                "invalid_reward",
                f"奖励中未知的键：{'、'.join(extra)}",
                f"unexpected keys: {', '.join(extra)}",
            )
            return None
        kinds = [key for key in keys if key in ("fixed", "formula", "tiers")]
        if len(kinds) != 1:
            self.fail(
                path,
                "invalid_reward",
                "奖励须且只能有 fixed、formula、tiers 之一"
                + (f"，这里有 {'、'.join(kinds)}" if kinds else ""),
                "reward needs exactly one of fixed, formula, tiers",
            )
            return None
        cap: Decimal | None = None
        if data.get("cap") is not None:
            cap = self.amount_number(data["cap"], f"{path}.cap", "封顶金额")
            if cap is None:
                return None
        elif "cap" in data:
            self.fail(f"{path}.cap", "invalid_reward", "cap 须为不小于 0 的数值", "cap must be a number >= 0")
            return None
        if kinds[0] == "tiers":
            tiers = self.tiers(data["tiers"], f"{path}.tiers")
            return None if tiers is None else Reward(None, tiers, cap, path)
        amount = self.amount(data, kinds[0], path)
        return None if amount is None else Reward(amount, (), cap, path)

    def tiers(self, items: Any, path: str) -> tuple[Tier, ...] | None:
        if not isinstance(items, list | tuple) or not items:
            self.fail(path, "invalid_reward", "tiers 须为非空列表", "tiers must be a non-empty list")
            return None
        tiers: list[Tier | None] = []
        for index, item in enumerate(items):
            tier_path = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(
                    tier_path,
                    "invalid_reward",
                    "档位须为映射：when 加 fixed 或 formula",
                    "a tier must be a mapping",
                )
                tiers.append(None)
                continue
            keys = [str(key) for key in item]
            extra = [key for key in keys if key not in ("when", "fixed", "formula")]
            kinds = [key for key in keys if key in ("fixed", "formula")]
            if extra:
                self.fail(
                    tier_path,
                    "invalid_reward",
                    f"档位中未知的键：{'、'.join(extra)}",
                    "unexpected keys in tier",
                )
                tiers.append(None)
                continue
            if "when" not in item:
                self.fail(f"{tier_path}.when", "missing_key", "档位缺少 when（条件）", "tier needs when")
                when = None
            else:
                when = self.condition(item["when"], f"{tier_path}.when", 0)
            if len(kinds) != 1:
                self.fail(
                    tier_path,
                    "invalid_reward",
                    "档位须且只能有 fixed、formula 之一",
                    "tier needs exactly one of fixed, formula",
                )
                tiers.append(None)
                continue
            amount = self.amount(item, kinds[0], tier_path)
            tiers.append(None if when is None or amount is None else Tier(when, amount, tier_path))
        if any(tier is None for tier in tiers):
            return None
        return tuple(tier for tier in tiers if tier is not None)

    def amount(self, data: Mapping[Any, Any], kind: str, path: str) -> Amount | None:
        if kind == "fixed":
            value = self.amount_number(data["fixed"], f"{path}.fixed", "固定金额")
            return None if value is None else FixedAmount(value)
        try:
            return FormulaAmount(
                parse_formula(data["formula"], path=f"{path}.formula", registry=self.registry)
            )
        except RuleValidationError as error:
            self.errors.extend(error.errors)
            return None

    def amount_number(self, raw: Any, path: str, what: str) -> Decimal | None:
        try:
            value = _number(raw)
        except _InvalidValueError as invalid:
            self.fail(path, "invalid_reward", f"{what}{invalid.message}", invalid.message_en)
            return None
        if value < 0:
            self.fail(path, "invalid_reward", f"{what}不能为负数", "must not be negative")
            return None
        return value
