"""The policy item file (DATA-CONTRACT.md section 2): reading, validating and writing YAML.

Reading is safe by construction: the loader is PyYAML's SafeLoader (what `yaml.safe_load` uses:
plain data only, no Python objects, no code), extended only to refuse a key written twice in one
mapping (a second `reward:` would otherwise silently replace the first). Every fault is reported with
its path from the file: `policies.yaml[1].eligibility.all[0].op` for the second item of a list,
`item.yaml.reward.formula` for a file that holds one item.

Keys of an item (the contract's example, in its order, then our optional extensions):

    code          required  text, unique and stable across versions; also the export's file name
    title         required  text
    policy        required  the title of the document the item comes from
    level         required  national | province | city | district
    region_code   required  6 digits as text (GB/T 2260), quoted in YAML
    department    required  the issuing department
    effective_from required date; effective_to optional date, not before effective_from
    auto_entitlement optional true/false (免申即享), default false
    eligibility   required  condition tree; reward optional (an item with no money attached)
    examples      optional  list of {profile, expect: {status, amount}}
    document_number, budget_amount, application_opens_on, application_closes_on: optional extensions

Unknown keys are refused (a misspelt optional key such as `rewards` would otherwise drop the reward).
Decisions where the contract is silent: an example's `expect.amount` is compared when the key is
present (null means "no amount"); a `profile` may name only fields of the registry.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from huiqi.rules.errors import ProfileValueError, RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldType
from huiqi.rules.profile import normalize_fact
from huiqi.rules.schema import ItemRules, parse_item_rules

LEVELS = ("national", "province", "city", "district")
STATUSES = ("eligible", "ineligible", "needs_info")
REQUIRED_KEYS = (
    "code",
    "title",
    "policy",
    "level",
    "region_code",
    "department",
    "effective_from",
    "eligibility",
)
OPTIONAL_KEYS = (
    "effective_to",
    "auto_entitlement",
    "reward",
    "examples",
    "document_number",
    "budget_amount",
    "application_opens_on",
    "application_closes_on",
)
KNOWN_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)
# The code names the export's file, so it is limited to letters, digits, "-", "_" and ".".
CODE_PATTERN = re.compile(r"^\w[\w.\-]{0,63}$")
REGION_PATTERN = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Fault:
    """One fault: `path` in the file (`policies.yaml[1].eligibility.all[0].op`) and why, in Chinese."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ItemFileError(Exception):
    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        super().__init__("; ".join(str(fault) for fault in faults))


@dataclass(frozen=True)
class RawItem:
    """One item mapping as read from a file, with where it came from and its own YAML text."""

    location: str
    data: Any
    text: str


@dataclass
class ItemData:
    """A validated item: the fields of a policy item version in stored (JSON-ready) form."""

    code: str
    title: str
    policy: str
    level: str
    region_code: str
    department: str
    effective_from: date
    eligibility: dict[str, Any]
    rules: ItemRules
    effective_to: date | None = None
    auto_entitlement: bool = False
    reward: dict[str, Any] | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    document_number: str = ""
    budget_amount: Decimal | None = None
    application_opens_on: date | None = None
    application_closes_on: date | None = None


def join_path(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if path.startswith("["):
        return f"{prefix}{path}"
    return f"{prefix}.{path}"


# ------------------------------------------------------------------------------------ reading
class _SafeLoader(yaml.SafeLoader):
    """SafeLoader (as yaml.safe_load) that refuses duplicate keys and aliases.

    Aliases (`*name`) are not needed by the format, and nested ones let a few lines expand into an
    exponentially large tree ("billion laughs"), so they are refused outright.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 别名（*引用）", event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # an unhashable key: the base constructor reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"键“{key}”重复出现 (duplicate key)",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def policy_files(path: Path) -> list[Path]:
    """The file itself, or every *.yaml / *.yml under a folder (recursively), in a stable order."""
    if path.is_dir():
        return sorted(
            candidate
            for candidate in path.rglob("*")
            if candidate.is_file() and candidate.suffix.lower() in (".yaml", ".yml")
        )
    return [path]


def _node_text(text: str, node: yaml.Node) -> str:
    """The YAML text of one node, as a standalone document (list items lose their indentation)."""
    start, end = node.start_mark, node.end_mark
    piece = text[start.index : end.index]
    return textwrap.dedent(" " * start.column + piece).strip("\n") + "\n"


def read_items(path: Path, *, display: str | None = None) -> list[RawItem]:
    """The item mappings of one file; raises ItemFileError for a file that cannot be read as a whole."""
    name = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ItemFileError([Fault(name, "文件不存在")]) from None
    except UnicodeDecodeError as error:
        raise ItemFileError([Fault(name, f"不是 UTF-8 编码的文本（第 {error.start + 1} 个字节）")]) from None
    except OSError as error:
        raise ItemFileError([Fault(name, f"无法读取：{error.strerror}")]) from None
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        problem = getattr(error, "problem", None) or str(error)
        raise ItemFileError([Fault(where, f"YAML 语法错误：{problem}")]) from None
    finally:
        loader.dispose()
    if data is None:
        raise ItemFileError([Fault(name, "文件中没有条目")])
    assert node is not None
    if isinstance(data, Mapping):
        return [RawItem(name, data, _node_text(text, node))]
    if isinstance(data, list):
        if not data:
            raise ItemFileError([Fault(name, "文件中没有条目（空列表）")])
        assert isinstance(node, yaml.SequenceNode)
        return [
            RawItem(f"{name}[{index}]", item, _node_text(text, item_node))
            for index, (item, item_node) in enumerate(zip(data, node.value, strict=True))
        ]
    raise ItemFileError([Fault(name, "文件须为一个条目（映射）或条目列表")])


# --------------------------------------------------------------------------------- validation
def _text(data: Mapping[str, Any], key: str, prefix: str, faults: list[Fault], *, required: bool) -> str:
    value = data.get(key)
    if value is None:
        if required:
            faults.append(Fault(join_path(prefix, key), f"缺少 {key}"))
        return ""
    if not isinstance(value, str) or not value.strip():
        hint = (
            '（代码请加引号，如 "370100"）'
            if isinstance(value, int | float) and not isinstance(value, bool)
            else ""
        )
        faults.append(Fault(join_path(prefix, key), f"须为非空文本，而不是 {value!r}{hint}"))
        return ""
    return value.strip()


def _date(
    data: Mapping[str, Any], key: str, prefix: str, faults: list[Fault], *, required: bool
) -> date | None:
    value = data.get(key)
    if value is None:
        if required:
            faults.append(Fault(join_path(prefix, key), f"缺少 {key}（日期 YYYY-MM-DD）"))
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    faults.append(Fault(join_path(prefix, key), f"须为日期 YYYY-MM-DD，而不是 {value!r}"))
    return None


def _rule_faults(error: RuleValidationError, prefix: str) -> list[Fault]:
    return [Fault(join_path(prefix, item.path), item.message) for item in error.errors]


def jsonable(value: Any) -> Any:
    """Rule data as stored in JSON: dates become ISO text, Decimals ints or floats, tuples lists."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _example(raw: Any, prefix: str, faults: list[Fault], registry: FieldRegistry) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        faults.append(Fault(prefix, "示例须为映射：{profile: {...}, expect: {status, amount}}"))
        return None
    extra = [str(key) for key in raw if key not in ("profile", "expect")]
    if extra:
        faults.append(Fault(prefix, f"示例中未知的键：{'、'.join(extra)}（只能有 profile 和 expect）"))
    count = len(faults)
    profile = raw.get("profile")
    if profile is None:
        profile = {}
    if not isinstance(profile, Mapping):
        faults.append(Fault(f"{prefix}.profile", "profile 须为映射：字段名: 值"))
        profile = {}
    for name, value in profile.items():
        spec = registry.get(name) if isinstance(name, str) else None
        if spec is None:
            faults.append(
                Fault(
                    f"{prefix}.profile.{name}", f"未知字段“{name}”，可用字段：{'、'.join(registry.names())}"
                )
            )
            continue
        try:
            normalize_fact(spec, value)
        except ProfileValueError as error:
            faults.append(Fault(f"{prefix}.profile.{name}", f"值 {value!r} 不能用作{spec.label}：{error}"))
    expect = raw.get("expect")
    if not isinstance(expect, Mapping):
        faults.append(
            Fault(f"{prefix}.expect", "缺少 expect：{status: eligible|ineligible|needs_info, amount}")
        )
        return None
    extra = [str(key) for key in expect if key not in ("status", "amount")]
    if extra:
        faults.append(
            Fault(f"{prefix}.expect", f"expect 中未知的键：{'、'.join(extra)}（只能有 status 和 amount）")
        )
    if expect.get("status") not in STATUSES:
        faults.append(
            Fault(
                f"{prefix}.expect.status", f"须为 {'、'.join(STATUSES)} 之一，而不是 {expect.get('status')!r}"
            )
        )
    amount = expect.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
        faults.append(Fault(f"{prefix}.expect.amount", f"须为数值（元）或 null，而不是 {amount!r}"))
    if len(faults) > count:
        return None
    result: dict[str, Any] = {"profile": jsonable(dict(profile)), "expect": {"status": expect["status"]}}
    if "amount" in expect:
        result["expect"]["amount"] = amount
    return result


def parse_item(raw: RawItem, *, registry: FieldRegistry = DEFAULT_REGISTRY) -> ItemData:
    """Validate one item mapping; raises ItemFileError listing every fault with its path."""
    prefix = raw.location
    data = raw.data
    if not isinstance(data, Mapping):
        raise ItemFileError([Fault(prefix, "条目须为映射（code、title、eligibility 等键）")])
    faults: list[Fault] = []
    unknown = [str(key) for key in data if key not in KNOWN_KEYS]
    for key in unknown:
        faults.append(
            Fault(
                join_path(prefix, key),
                f"未知的键“{key}”，可用的键：{'、'.join(REQUIRED_KEYS + OPTIONAL_KEYS)}",
            )
        )
    code = _text(data, "code", prefix, faults, required=True)
    if code and not CODE_PATTERN.match(code):
        faults.append(
            Fault(join_path(prefix, "code"), f"编码“{code}”只能含字母、数字、-、_、.，最长 64 个字符")
        )
    title = _text(data, "title", prefix, faults, required=True)
    policy = _text(data, "policy", prefix, faults, required=True)
    department = _text(data, "department", prefix, faults, required=True)
    level = data.get("level")
    if level is None:
        faults.append(Fault(join_path(prefix, "level"), f"缺少 level（{'、'.join(LEVELS)}）"))
    elif level not in LEVELS:
        faults.append(Fault(join_path(prefix, "level"), f"须为 {'、'.join(LEVELS)} 之一，而不是 {level!r}"))
    region_code = _text(data, "region_code", prefix, faults, required=True)
    if region_code and not REGION_PATTERN.match(region_code):
        faults.append(
            Fault(
                join_path(prefix, "region_code"),
                f"须为 6 位数字的区划代码（GB/T 2260），而不是 {region_code!r}",
            )
        )
    document_number = _text(data, "document_number", prefix, faults, required=False)
    effective_from = _date(data, "effective_from", prefix, faults, required=True)
    effective_to = _date(data, "effective_to", prefix, faults, required=False)
    if effective_from and effective_to and effective_to < effective_from:
        faults.append(
            Fault(join_path(prefix, "effective_to"), f"失效日期 {effective_to} 早于生效日期 {effective_from}")
        )
    opens_on = _date(data, "application_opens_on", prefix, faults, required=False)
    closes_on = _date(data, "application_closes_on", prefix, faults, required=False)
    if opens_on and closes_on and closes_on < opens_on:
        faults.append(
            Fault(join_path(prefix, "application_closes_on"), f"申报截止 {closes_on} 早于申报开始 {opens_on}")
        )
    auto_entitlement = data.get("auto_entitlement", False)
    if auto_entitlement is None:
        auto_entitlement = False
    if not isinstance(auto_entitlement, bool):
        faults.append(
            Fault(join_path(prefix, "auto_entitlement"), f"须为 true 或 false，而不是 {auto_entitlement!r}")
        )
    budget = data.get("budget_amount")
    budget_amount: Decimal | None = None
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0:
            faults.append(
                Fault(join_path(prefix, "budget_amount"), f"须为不小于 0 的金额（元），而不是 {budget!r}")
            )
        else:
            budget_amount = Decimal(repr(budget)) if isinstance(budget, float) else Decimal(budget)
            if budget_amount != budget_amount.quantize(Decimal("0.01")) or budget_amount >= Decimal(10) ** 14:
                faults.append(Fault(join_path(prefix, "budget_amount"), "金额最多两位小数，且小于 10^14 元"))
    rules: ItemRules | None = None
    try:
        rules = parse_item_rules(data, registry=registry)
    except RuleValidationError as error:
        faults.extend(_rule_faults(error, prefix))
    examples: list[dict[str, Any]] = []
    raw_examples = data.get("examples")
    if raw_examples is not None:
        if not isinstance(raw_examples, list):
            faults.append(Fault(join_path(prefix, "examples"), "examples 须为示例列表"))
        else:
            for index, raw_example in enumerate(raw_examples):
                example = _example(raw_example, join_path(prefix, f"examples[{index}]"), faults, registry)
                if example is not None:
                    examples.append(example)
    if faults:
        raise ItemFileError(faults)
    assert rules is not None
    assert effective_from is not None
    return ItemData(
        code=code,
        title=title,
        policy=policy,
        level=str(level),
        region_code=region_code,
        department=department,
        effective_from=effective_from,
        effective_to=effective_to,
        auto_entitlement=auto_entitlement,
        eligibility=jsonable(rules.eligibility.to_data()),
        reward=jsonable(rules.reward.to_data()) if rules.reward is not None else None,
        rules=rules,
        examples=examples,
        document_number=document_number,
        budget_amount=budget_amount,
        application_opens_on=opens_on,
        application_closes_on=closes_on,
    )


def stored_rules(eligibility: Any, reward: Any, *, registry: FieldRegistry = DEFAULT_REGISTRY) -> ItemRules:
    """The engine's rules of a stored version (raises RuleValidationError if they no longer validate)."""
    data: dict[str, Any] = {"eligibility": eligibility}
    if reward is not None:
        data["reward"] = reward
    return parse_item_rules(data, registry=registry)


# ------------------------------------------------------------------------------------ writing
class _Flow(dict[str, Any]):
    """A mapping written in flow style: `{field: revenue, op: ge, value: 10000000}`."""


class _Quoted(str):
    """Text written in double quotes (formulas, as in the contract's example)."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # Text that would read back as another type (a region code "370100", "true", a date) is written
    # in double quotes, as the contract's example does.
    tag = dumper.resolve(yaml.ScalarNode, value, (True, False))
    style = '"' if tag != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: _Dumper, value: _Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(
    _Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
)


def _flow_leaves(node: Any) -> Any:
    """Condition leaves in flow style, groups in block style (the contract's layout)."""
    if isinstance(node, Mapping):
        if "field" in node:
            return _Flow({key: _flow_leaves(value) for key, value in node.items()})
        return {
            key: _Quoted(value) if key == "formula" and isinstance(value, str) else _flow_leaves(value)
            for key, value in node.items()
        }
    if isinstance(node, list | tuple):
        return [_flow_leaves(item) for item in node]
    if isinstance(node, Decimal):
        return _number(node)
    return node


def _typed_profile(profile: Mapping[str, Any], registry: FieldRegistry) -> dict[str, Any]:
    """Stored example facts with dates back as dates (they are ISO text in JSON)."""
    result: dict[str, Any] = {}
    for name, value in profile.items():
        spec = registry.get(name)
        if spec is not None and spec.type is FieldType.DATE and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        result[name] = value
    return result


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def item_mapping(
    *,
    code: str,
    title: str,
    policy: str,
    document_number: str,
    level: str,
    region_code: str,
    department: str,
    effective_from: date,
    effective_to: date | None,
    auto_entitlement: bool,
    budget_amount: Decimal | None,
    application_opens_on: date | None,
    application_closes_on: date | None,
    eligibility: Any,
    reward: Any,
    examples: list[dict[str, Any]],
    registry: FieldRegistry = DEFAULT_REGISTRY,
) -> dict[str, Any]:
    """An item as the contract writes it, keys in the contract's order; optional keys only when set."""
    rules = stored_rules(eligibility, reward, registry=registry)
    data: dict[str, Any] = {"code": code, "title": title, "policy": policy}
    if document_number:
        data["document_number"] = document_number
    data.update(level=level, region_code=region_code, department=department, effective_from=effective_from)
    if effective_to is not None:
        data["effective_to"] = effective_to
    if auto_entitlement:
        data["auto_entitlement"] = True
    if budget_amount is not None:
        data["budget_amount"] = _number(budget_amount)
    if application_opens_on is not None:
        data["application_opens_on"] = application_opens_on
    if application_closes_on is not None:
        data["application_closes_on"] = application_closes_on
    data["eligibility"] = _flow_leaves(rules.eligibility.to_data())
    if rules.reward is not None:
        data["reward"] = _flow_leaves(rules.reward.to_data())
    if examples:
        data["examples"] = [
            {
                "profile": _Flow(_typed_profile(example.get("profile") or {}, registry)),
                "expect": _Flow(example.get("expect") or {}),
            }
            for example in examples
        ]
    return data


def dump_item(mapping: Mapping[str, Any], *, header: str = "") -> str:
    body = yaml.dump(
        mapping, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False
    )
    return (f"# {header}\n" if header else "") + body
