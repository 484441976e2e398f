"""The field registry: which profile facts rules may read, with their types and Chinese labels.

A condition tree is validated against a registry before it is saved (unknown field, operator not
valid for the type, value of the wrong type), the visual condition builder lists the registry's
fields by label, and explanations name facts by label and unit ("研发费用占比需 ≥ 3%，当前 2.1%").

The default registry holds every column of the enterprise file (DATA-CONTRACT.md section 1) and the
derived facts ``size_class`` (国统字〔2017〕213号), ``age_years`` and ``rd_ratio``.  A registry is
immutable; :meth:`FieldRegistry.extended` returns a new one with more fields (later profile facts such
as 纳税信用等级 are added that way).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    STRING = "string"
    DATE = "date"
    BOOL = "bool"
    TAGS = "tags"
    ENUM = "enum"


class Op(StrEnum):
    """Condition operators of DATA-CONTRACT.md section 2."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"
    STARTS_WITH = "starts_with"
    CONTAINS = "contains"
    CONTAINS_ANY = "contains_any"
    CONTAINS_ALL = "contains_all"
    IS_NULL = "is_null"
    IS_NOT_NULL = "is_not_null"


_NULL_OPS = frozenset({Op.IS_NULL, Op.IS_NOT_NULL})
_ORDER_OPS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN, Op.IN, Op.NOT_IN})

#: Which operators each field type accepts.  Ordering (lt, between, ...) is offered for numbers and
#: dates only; text is matched by equality, lists and prefixes (region and industry codes are
#: hierarchical, so ``starts_with`` selects a city or an industry division).
OPERATORS_BY_TYPE: dict[FieldType, frozenset[Op]] = {
    FieldType.NUMBER: _ORDER_OPS | _NULL_OPS,
    FieldType.INTEGER: _ORDER_OPS | _NULL_OPS,
    FieldType.DATE: _ORDER_OPS | _NULL_OPS,
    FieldType.STRING: frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.STARTS_WITH}) | _NULL_OPS,
    FieldType.ENUM: frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN}) | _NULL_OPS,
    FieldType.BOOL: frozenset({Op.EQ, Op.NE}) | _NULL_OPS,
    FieldType.TAGS: frozenset({Op.CONTAINS, Op.CONTAINS_ANY, Op.CONTAINS_ALL}) | _NULL_OPS,
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One profile fact.

    ``unit`` is shown after values ("元", "人", "年"); ``is_percent`` shows a ratio as a percentage
    (0.021 as "2.1%"); ``enum_values`` pairs each allowed value of an enum field with its label.
    """

    name: str
    type: FieldType
    label: str
    unit: str = ""
    is_derived: bool = False
    enum_values: tuple[tuple[str, str], ...] = ()
    is_percent: bool = False
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in (FieldType.NUMBER, FieldType.INTEGER)

    @property
    def operators(self) -> frozenset[Op]:
        return OPERATORS_BY_TYPE[self.type]

    @property
    def allowed_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.enum_values)

    def value_label(self, value: str) -> str:
        """The Chinese label of an enum value (the value itself when it has none)."""
        for candidate, label in self.enum_values:
            if candidate == value:
                return label
        return value


class FieldRegistry:
    """An immutable, ordered set of :class:`FieldSpec` by name."""

    def __init__(self, specs: Iterable[FieldSpec]) -> None:
        self._specs: dict[str, FieldSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"duplicate field {spec.name!r}")
            if spec.type is FieldType.ENUM and not spec.enum_values:
                raise ValueError(f"enum field {spec.name!r} needs enum_values")
            self._specs[spec.name] = spec

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, name: str) -> FieldSpec:
        return self._specs[name]

    def get(self, name: str) -> FieldSpec | None:
        return self._specs.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def extended(self, *specs: FieldSpec) -> FieldRegistry:
        """A new registry with these fields added after the existing ones."""
        return FieldRegistry([*self._specs.values(), *specs])


OWNERSHIP_VALUES = (
    ("private", "私营"),
    ("state", "国有"),
    ("foreign", "外资"),
    ("hmt", "港澳台"),
    ("collective", "集体"),
    ("other", "其他"),
)
SIZE_CLASS_VALUES = (("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型"))

DEFAULT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("uscc", FieldType.STRING, "统一社会信用代码", description="GB 32100-2015"),
    FieldSpec("name", FieldType.STRING, "企业名称"),
    FieldSpec("region_code", FieldType.STRING, "区划代码", description="GB/T 2260, 6 digits"),
    FieldSpec("industry_code", FieldType.STRING, "行业代码", description="GB/T 4754-2017, e.g. C3911"),
    FieldSpec("established_on", FieldType.DATE, "成立日期"),
    FieldSpec("ownership", FieldType.ENUM, "经济类型", enum_values=OWNERSHIP_VALUES),
    FieldSpec("registered_capital", FieldType.NUMBER, "注册资本", unit="元"),
    FieldSpec("employees", FieldType.INTEGER, "从业人员", unit="人"),
    FieldSpec("revenue", FieldType.NUMBER, "上年营业收入", unit="元", description="last full year"),
    FieldSpec("total_assets", FieldType.NUMBER, "资产总额", unit="元"),
    FieldSpec("tax_paid", FieldType.NUMBER, "上年纳税额", unit="元", description="last full year"),
    FieldSpec("rd_expense", FieldType.NUMBER, "上年研发费用", unit="元", description="last full year"),
    FieldSpec("tags", FieldType.TAGS, "企业标签"),
    FieldSpec("red_list", FieldType.BOOL, "红名单"),
    FieldSpec("contact_phone", FieldType.STRING, "联系电话"),
    FieldSpec(
        "size_class",
        FieldType.ENUM,
        "企业规模",
        is_derived=True,
        enum_values=SIZE_CLASS_VALUES,
        description="国统字〔2017〕213号, from industry, employees, revenue and assets",
    ),
    FieldSpec("age_years", FieldType.NUMBER, "成立年限", unit="年", is_derived=True),
    FieldSpec("rd_ratio", FieldType.NUMBER, "研发费用占比", is_derived=True, is_percent=True),
)

DEFAULT_REGISTRY = FieldRegistry(DEFAULT_FIELDS)
