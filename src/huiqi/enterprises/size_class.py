"""企业规模 (size class) by 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号).

The standard's 附表 gives, for each industry group, one to three indicators (从业人员 X in persons,
营业收入 Y and 资产总额 Z in 万元) and the lower bounds of large, medium and small. Its 说明 1:
"大型、中型和小型企业须同时满足所列指标的下限，否则下划一档；微型企业只须满足所列指标中的一项即可。"
So the class is the LOWEST class reached by any listed indicator: each indicator on its own reaches
large, medium, small or (below the small bound) micro, and the enterprise gets the minimum.

Unknown facts (a null cell) — our decision, the standard is silent:
- an indicator the group does not list is irrelevant (建筑业 ignores employees);
- if any KNOWN listed indicator is below the small bound, the enterprise is micro whatever the
  unknown ones are (micro needs only one indicator), so micro is returned;
- otherwise, if any listed indicator is unknown, the class is null: the unknown one could still be
  below the small bound (micro) or pull the class down a step.

Industry groups (说明 2: scope by GB/T 4754-2017; 带*的项为行业组合类别):
  农林牧渔业 A; 工业* B C D (采矿业，制造业，电力、热力、燃气及水生产和供应业); 建筑业 E;
  批发业 F51; 零售业 F52; 交通运输业* G54-G58 and 装卸搬运 G591, not 铁路运输业 G53;
  仓储业* G592-G599 (通用、低温、危险品、农产品、中药材和其他仓储); 邮政业 G60; 住宿业 H61;
  餐饮业 H62; 信息传输业* I63-I64; 软件和信息技术服务业 I65; 房地产开发经营 K701;
  物业管理 K702; 租赁和商务服务业 L; 其他未列明行业* M, N, O, Q85 社会工作, R, and
  房地产中介服务 K703, 其他房地产业 K709 — not 自有房地产经营活动 (K704, 房地产租赁经营 in the 2017
  classification).
Not covered (null): J 金融业, P 教育, Q84 卫生, S 公共管理、社会保障和社会组织, T 国际组织,
G53 铁路运输业, K704.
A code too coarse to decide (G59 spans 装卸搬运 and 仓储; K70 spans several groups, one of them not
covered) is classified under every candidate group; the result stands only if they all agree.
"""

from dataclasses import dataclass
from decimal import Decimal

from huiqi.core.reference.industries import validate_industry_code
from huiqi.enterprises.enums import SizeClass

WAN = Decimal(10000)  # the standard's thresholds are in 万元; the registry stores yuan

_ORDER = (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE)


@dataclass(frozen=True)
class Bounds:
    """Lower bounds of large, medium and small for one indicator, in persons or yuan."""

    large: Decimal
    medium: Decimal
    small: Decimal

    def reached(self, value: Decimal | int) -> SizeClass:
        if value >= self.large:
            return SizeClass.LARGE
        if value >= self.medium:
            return SizeClass.MEDIUM
        if value >= self.small:
            return SizeClass.SMALL
        return SizeClass.MICRO


def _persons(large: int, medium: int, small: int) -> Bounds:
    return Bounds(Decimal(large), Decimal(medium), Decimal(small))


def _wan(large: int, medium: int, small: int) -> Bounds:
    return Bounds(large * WAN, medium * WAN, small * WAN)


@dataclass(frozen=True)
class SizeGroup:
    """One row group of the 附表: its name and the bounds of each indicator it lists."""

    key: str
    name: str
    employees: Bounds | None = None
    revenue: Bounds | None = None
    total_assets: Bounds | None = None


# 国统字〔2017〕213号 附表 统计上大中小微型企业划分标准.
GROUPS: dict[str, SizeGroup] = {
    g.key: g
    for g in (
        SizeGroup("agriculture", "农、林、牧、渔业", revenue=_wan(20000, 500, 50)),
        SizeGroup("industry", "工业", employees=_persons(1000, 300, 20), revenue=_wan(40000, 2000, 300)),
        SizeGroup(
            "construction", "建筑业", revenue=_wan(80000, 6000, 300), total_assets=_wan(80000, 5000, 300)
        ),
        SizeGroup("wholesale", "批发业", employees=_persons(200, 20, 5), revenue=_wan(40000, 5000, 1000)),
        SizeGroup("retail", "零售业", employees=_persons(300, 50, 10), revenue=_wan(20000, 500, 100)),
        SizeGroup(
            "transport", "交通运输业", employees=_persons(1000, 300, 20), revenue=_wan(30000, 3000, 200)
        ),
        SizeGroup("warehousing", "仓储业", employees=_persons(200, 100, 20), revenue=_wan(30000, 1000, 100)),
        SizeGroup("postal", "邮政业", employees=_persons(1000, 300, 20), revenue=_wan(30000, 2000, 100)),
        SizeGroup(
            "accommodation", "住宿业", employees=_persons(300, 100, 10), revenue=_wan(10000, 2000, 100)
        ),
        SizeGroup("catering", "餐饮业", employees=_persons(300, 100, 10), revenue=_wan(10000, 2000, 100)),
        SizeGroup(
            "information_transmission",
            "信息传输业",
            employees=_persons(2000, 100, 10),
            revenue=_wan(100000, 1000, 100),
        ),
        SizeGroup(
            "software",
            "软件和信息技术服务业",
            employees=_persons(300, 100, 10),
            revenue=_wan(10000, 1000, 50),
        ),
        SizeGroup(
            "real_estate_development",
            "房地产开发经营",
            revenue=_wan(200000, 1000, 100),
            total_assets=_wan(10000, 5000, 2000),
        ),
        SizeGroup(
            "property_management",
            "物业管理",
            employees=_persons(1000, 300, 100),
            revenue=_wan(5000, 1000, 500),
        ),
        SizeGroup(
            "leasing_business",
            "租赁和商务服务业",
            employees=_persons(300, 100, 10),
            total_assets=_wan(120000, 8000, 100),
        ),
        SizeGroup("other", "其他未列明行业", employees=_persons(300, 100, 10)),
    )
}

_SECTION_GROUPS = {
    "A": "agriculture",
    "B": "industry",
    "C": "industry",
    "D": "industry",
    "E": "construction",
    "L": "leasing_business",
    "M": "other",
    "N": "other",
    "O": "other",
    "R": "other",
}
_DIVISION_GROUPS = {
    "51": "wholesale",
    "52": "retail",
    "54": "transport",
    "55": "transport",
    "56": "transport",
    "57": "transport",
    "58": "transport",
    "60": "postal",
    "61": "accommodation",
    "62": "catering",
    "63": "information_transmission",
    "64": "information_transmission",
    "65": "software",
    "85": "other",  # 社会工作
}
# K70 房地产业 by group (中类): 701 开发经营, 702 物业管理, 703 中介 and 709 其他 are 其他未列明行业;
# 704 (自有房地产经营活动 / 房地产租赁经营) is outside the standard.
_REAL_ESTATE_GROUPS: dict[str, str | None] = {
    "701": "real_estate_development",
    "702": "property_management",
    "703": "other",
    "704": None,
    "709": "other",
}


def size_groups_for(industry_code: str) -> tuple[SizeGroup | None, ...]:
    """The candidate groups of the 附表 for a GB/T 4754-2017 code; one element when the code decides
    it, several when the code is too coarse, ``(None,)`` when the industry is outside the standard."""
    code = validate_industry_code(industry_code)
    section, digits = code[0], code[1:]
    division = digits[:2]
    key: str | None
    if section in _SECTION_GROUPS:
        key = _SECTION_GROUPS[section]
    elif division in _DIVISION_GROUPS:
        key = _DIVISION_GROUPS[division]
    elif division == "59":  # 装卸搬运和仓储业: 591 装卸搬运 is 交通运输业, the rest 仓储业
        if len(digits) == 2:
            return (GROUPS["transport"], GROUPS["warehousing"])
        key = "transport" if digits[:3] == "591" else "warehousing"
    elif division == "70":
        if len(digits) == 2:
            candidates = dict.fromkeys(_REAL_ESTATE_GROUPS.values())
            return tuple(GROUPS[k] if k else None for k in candidates)
        key = _REAL_ESTATE_GROUPS.get(digits[:3])
    else:  # J, P, Q84, S, T, G53
        key = None
    return (GROUPS[key] if key else None,)


def _classify_in_group(
    group: SizeGroup, *, employees: int | None, revenue: Decimal | None, total_assets: Decimal | None
) -> SizeClass | None:
    reached: list[SizeClass] = []
    unknown = False
    for bounds, value in (
        (group.employees, employees),
        (group.revenue, revenue),
        (group.total_assets, total_assets),
    ):
        if bounds is None:
            continue
        if value is None:
            unknown = True
        else:
            reached.append(bounds.reached(value))
    if SizeClass.MICRO in reached:  # 微型企业只须满足所列指标中的一项即可
        return SizeClass.MICRO
    if unknown:
        return None
    return min(reached, key=_ORDER.index)  # 须同时满足所列指标的下限，否则下划一档


def classify_size(
    *,
    industry_code: str,
    employees: int | None,
    revenue: Decimal | None,
    total_assets: Decimal | None,
) -> str | None:
    """The SizeClass value (``large``/``medium``/``small``/``micro``) of an enterprise, or None when
    the industry is outside the standard or a needed fact is unknown (see the module docstring).
    Revenue and assets are in yuan. Raises InvalidIndustryCodeError for a malformed code."""
    results = {
        None
        if group is None
        else _classify_in_group(group, employees=employees, revenue=revenue, total_assets=total_assets)
        for group in size_groups_for(industry_code)
    }
    if len(results) != 1:
        return None
    (result,) = results
    return None if result is None else str(result.value)
