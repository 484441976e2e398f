"""企业规模 by 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号).

THRESHOLDS is the standard's 附表 retyped here in its own units (persons, 万元), independently of
the module's table, and every lower bound of every indicator of every group is tested just below
and at the bound.
"""

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.core.reference.industries import InvalidIndustryCodeError
from huiqi.enterprises.enums import SizeClass
from huiqi.enterprises.size_class import GROUPS, classify_size, size_groups_for

LARGE, MEDIUM, SMALL, MICRO = "large", "medium", "small", "micro"
LOWER = {LARGE: MEDIUM, MEDIUM: SMALL, SMALL: MICRO}

# group -> (an industry code of the group, {indicator: (large, medium, small) lower bounds}).
# Indicators: X 从业人员 (persons), Y 营业收入 (万元), Z 资产总额 (万元).
THRESHOLDS: dict[str, tuple[str, dict[str, tuple[int, int, int]]]] = {
    "农、林、牧、渔业": ("A0111", {"Y": (20000, 500, 50)}),
    "工业": ("C3911", {"X": (1000, 300, 20), "Y": (40000, 2000, 300)}),
    "建筑业": ("E4710", {"Y": (80000, 6000, 300), "Z": (80000, 5000, 300)}),
    "批发业": ("F5171", {"X": (200, 20, 5), "Y": (40000, 5000, 1000)}),
    "零售业": ("F5211", {"X": (300, 50, 10), "Y": (20000, 500, 100)}),
    "交通运输业": ("G5430", {"X": (1000, 300, 20), "Y": (30000, 3000, 200)}),
    "仓储业": ("G5920", {"X": (200, 100, 20), "Y": (30000, 1000, 100)}),
    "邮政业": ("G6020", {"X": (1000, 300, 20), "Y": (30000, 2000, 100)}),
    "住宿业": ("H6110", {"X": (300, 100, 10), "Y": (10000, 2000, 100)}),
    "餐饮业": ("H6210", {"X": (300, 100, 10), "Y": (10000, 2000, 100)}),
    "信息传输业": ("I6421", {"X": (2000, 100, 10), "Y": (100000, 1000, 100)}),
    "软件和信息技术服务业": ("I6513", {"X": (300, 100, 10), "Y": (10000, 1000, 50)}),
    "房地产开发经营": ("K7010", {"Y": (200000, 1000, 100), "Z": (10000, 5000, 2000)}),
    "物业管理": ("K7020", {"X": (1000, 300, 100), "Y": (5000, 1000, 500)}),
    "租赁和商务服务业": ("L7211", {"X": (300, 100, 10), "Z": (120000, 8000, 100)}),
    "其他未列明行业": ("M7320", {"X": (300, 100, 10)}),
}
ARGUMENT = {"X": "employees", "Y": "revenue", "Z": "total_assets"}
WAN = Decimal(10000)


def _facts(indicators: dict[str, tuple[int, int, int]], **override: Decimal | int) -> dict[str, object]:
    """Every listed indicator far above its large bound, unlisted ones unknown, then overrides."""
    facts: dict[str, object] = {"employees": None, "revenue": None, "total_assets": None}
    for indicator, (large, _medium, _small) in indicators.items():
        facts[ARGUMENT[indicator]] = large * 10 if indicator == "X" else Decimal(large * 10) * WAN
    facts.update(override)
    return facts


def _boundary_cases() -> list[tuple[str, str, str, Decimal | int, str]]:
    cases = []
    for group, (code, indicators) in THRESHOLDS.items():
        for indicator, bounds in indicators.items():
            for size, bound in zip((LARGE, MEDIUM, SMALL), bounds, strict=True):
                if indicator == "X":
                    at: Decimal | int = bound
                    below: Decimal | int = bound - 1
                else:  # money: one fen below the bound in yuan
                    at = Decimal(bound) * WAN
                    below = at - Decimal("0.01")
                cases.append((group, code, indicator, at, size))
                cases.append((group, code, indicator, below, LOWER[size]))
    return cases


BOUNDARY_CASES = _boundary_cases()


def test_the_test_table_covers_every_group_of_the_module() -> None:
    assert {g.name for g in GROUPS.values()} == set(THRESHOLDS)
    assert len(BOUNDARY_CASES) == 2 * 3 * sum(len(i) for _c, i in THRESHOLDS.values())


@pytest.mark.parametrize(
    ("group", "code", "indicator", "value", "expected"),
    BOUNDARY_CASES,
    ids=[f"{g}-{i}-{v}" for g, _c, i, v, _e in BOUNDARY_CASES],
)
def test_each_bound_is_inclusive_and_one_unit_below_drops_a_class(
    group: str, code: str, indicator: str, value: Decimal | int, expected: str
) -> None:
    indicators = THRESHOLDS[group][1]
    facts = _facts(indicators, **{ARGUMENT[indicator]: value})
    assert classify_size(industry_code=code, **facts) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("group", list(THRESHOLDS))
def test_all_indicators_at_their_bounds_give_that_class(group: str) -> None:
    code, indicators = THRESHOLDS[group]
    for index, size in enumerate((LARGE, MEDIUM, SMALL)):
        facts = _facts(
            indicators,
            **{
                ARGUMENT[i]: (b[index] if i == "X" else Decimal(b[index]) * WAN)
                for i, b in indicators.items()
            },
        )
        assert classify_size(industry_code=code, **facts) == size  # type: ignore[arg-type]


@pytest.mark.parametrize("group", [g for g, (_c, i) in THRESHOLDS.items() if len(i) == 2])
def test_class_is_the_lowest_reached_by_any_indicator(group: str) -> None:
    """须同时满足所列指标的下限，否则下划一档: large on one indicator, small on the other -> small."""
    code, indicators = THRESHOLDS[group]
    first, second = indicators
    small_value = indicators[second][2] if second == "X" else Decimal(indicators[second][2]) * WAN
    facts = _facts(indicators, **{ARGUMENT[second]: small_value})
    assert classify_size(industry_code=code, **facts) == SMALL  # type: ignore[arg-type]
    assert facts[ARGUMENT[first]] is not None


@pytest.mark.parametrize("group", list(THRESHOLDS))
def test_one_known_indicator_below_small_is_micro_even_if_others_are_unknown(group: str) -> None:
    """微型企业只须满足所列指标中的一项即可: micro is knowable from one indicator."""
    code, indicators = THRESHOLDS[group]
    for indicator, (_large, _medium, small) in indicators.items():
        facts: dict[str, object] = {"employees": None, "revenue": None, "total_assets": None}
        facts[ARGUMENT[indicator]] = small - 1 if indicator == "X" else Decimal(small) * WAN - 1
        assert classify_size(industry_code=code, **facts) == MICRO  # type: ignore[arg-type]


@pytest.mark.parametrize("group", list(THRESHOLDS))
def test_unknown_listed_indicator_makes_a_non_micro_class_unknown(group: str) -> None:
    code, indicators = THRESHOLDS[group]
    for indicator in indicators:
        facts = _facts(indicators, **{ARGUMENT[indicator]: None})  # type: ignore[arg-type]
        assert classify_size(industry_code=code, **facts) is None  # type: ignore[arg-type]


def test_indicators_the_group_does_not_list_are_ignored() -> None:
    # 建筑业 uses revenue and assets only; 农林牧渔业 revenue only; 其他未列明行业 employees only.
    assert (
        classify_size(industry_code="E4710", employees=None, revenue=WAN * 300, total_assets=WAN * 300)
        == SMALL
    )
    assert (
        classify_size(industry_code="E4710", employees=1, revenue=WAN * 300, total_assets=WAN * 300) == SMALL
    )
    assert classify_size(industry_code="A0111", employees=1, revenue=WAN * 20000, total_assets=None) == LARGE
    assert (
        classify_size(industry_code="M7320", employees=300, revenue=Decimal(0), total_assets=Decimal(0))
        == LARGE
    )


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("A", None),
        ("A01", "农、林、牧、渔业"),
        ("A0511", "农、林、牧、渔业"),
        ("B0610", "工业"),
        ("C13", "工业"),
        ("C4320", "工业"),
        ("D4411", "工业"),
        ("D46", "工业"),
        ("E50", "建筑业"),
        ("F51", "批发业"),
        ("F52", "零售业"),
        ("G54", "交通运输业"),
        ("G5630", "交通运输业"),
        ("G57", "交通运输业"),
        ("G5821", "交通运输业"),
        ("G591", "交通运输业"),  # 装卸搬运
        ("G5910", "交通运输业"),
        ("G592", "仓储业"),
        ("G5990", "仓储业"),
        ("G60", "邮政业"),
        ("H61", "住宿业"),
        ("H62", "餐饮业"),
        ("I63", "信息传输业"),
        ("I64", "信息传输业"),
        ("I65", "软件和信息技术服务业"),
        ("K701", "房地产开发经营"),
        ("K7020", "物业管理"),
        ("K7030", "其他未列明行业"),
        ("K7090", "其他未列明行业"),
        ("L71", "租赁和商务服务业"),
        ("L7251", "租赁和商务服务业"),
        ("M74", "其他未列明行业"),
        ("N77", "其他未列明行业"),
        ("O81", "其他未列明行业"),
        ("Q85", "其他未列明行业"),
        ("R88", "其他未列明行业"),
    ],
)
def test_industry_code_maps_to_the_group_of_the_standard(code: str, group: str | None) -> None:
    if group is None:
        with pytest.raises(InvalidIndustryCodeError):
            size_groups_for(code)
        return
    groups = size_groups_for(code)
    assert [g.name if g else None for g in groups] == [group]


@pytest.mark.parametrize(
    "code",
    ["J66", "J6620", "J69", "P83", "P8341", "Q84", "Q8411", "S92", "S9421", "T97", "G53", "G5311", "K7040"],
)
def test_industry_outside_the_standard_has_no_size_class(code: str) -> None:
    for employees in (1, 5000):
        value = Decimal(10) ** 12 if employees > 1 else Decimal(1)
        assert (
            classify_size(industry_code=code, employees=employees, revenue=value, total_assets=value) is None
        )


def test_coarse_code_is_classified_only_when_every_candidate_group_agrees() -> None:
    # G59 covers 装卸搬运 (交通运输业) and 仓储业: both micro below 20 persons.
    assert classify_size(industry_code="G59", employees=19, revenue=None, total_assets=None) == MICRO
    # 150 persons and 500万: 交通运输业 small, 仓储业 small -> small.
    assert classify_size(industry_code="G59", employees=150, revenue=WAN * 500, total_assets=None) == SMALL
    # 150 persons and 2000万: 交通运输业 small (needs 300 persons for medium), 仓储业 medium -> unknown.
    assert classify_size(industry_code="G59", employees=150, revenue=WAN * 2000, total_assets=None) is None
    # K70 includes 自有房地产经营活动, which the standard does not cover.
    assert (
        classify_size(industry_code="K70", employees=1, revenue=Decimal(1), total_assets=Decimal(1)) is None
    )


def test_code_is_normalised_and_a_malformed_code_is_an_error() -> None:
    assert classify_size(industry_code=" c 3911 ", employees=5, revenue=None, total_assets=None) == MICRO
    for bad in ("", "C1", "C39111", "X3911", "A39", "39"):
        with pytest.raises(InvalidIndustryCodeError):
            classify_size(industry_code=bad, employees=5, revenue=None, total_assets=None)


def test_result_is_a_size_class_value() -> None:
    result = classify_size(industry_code="C3911", employees=1000, revenue=WAN * 40000, total_assets=None)
    assert result == SizeClass.LARGE.value
    assert type(result) is str


SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "contract-samples"


@pytest.mark.skipif(
    not (SAMPLES / "expected-enterprises.csv").exists(), reason="../shared/contract-samples absent"
)
def test_contract_sample_size_classes_agree_exactly() -> None:
    with open(SAMPLES / "expected-enterprises.csv", encoding="utf-8-sig", newline="") as f:
        expected = {row["uscc"]: row["size_class"] for row in csv.DictReader(f)}
    with open(SAMPLES / "enterprises.csv", encoding="utf-8-sig", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["uscc"] in expected]
    assert len(rows) == len(expected)

    def money(text: str) -> Decimal | None:
        return Decimal(text) if text else None

    got = {
        row["uscc"]: classify_size(
            industry_code=row["industry_code"],
            employees=int(row["employees"]) if row["employees"] else None,
            revenue=money(row["revenue"]),
            total_assets=money(row["total_assets"]),
        )
        or ""
        for row in rows
    }
    assert got == expected
