"""Reference data: GB/T 4754-2017 industries and GB/T 2260 regions."""

from collections import Counter

import pytest

from huiqi.core.errors import ValidationFailedError
from huiqi.core.reference.industries import (
    DIVISIONS,
    SECTIONS,
    InvalidIndustryCodeError,
    industry_label,
    section_label,
    validate_industry_code,
)
from huiqi.core.reference.regions import (
    JINAN,
    JINAN_COUNTY_CODES,
    InvalidRegionCodeError,
    region_full_label,
    region_label,
    validate_region_code,
)


def test_classification_has_20_sections_and_97_divisions_numbered_01_to_97() -> None:
    assert list(SECTIONS) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert list(DIVISIONS) == [f"{n:02d}" for n in range(1, 98)]


def test_divisions_are_contiguous_within_their_section() -> None:
    """GB/T 4754-2017 numbers the divisions section after section, so the section letters of
    divisions 01..97 never go back."""
    letters = [section for section, _name in DIVISIONS.values()]
    assert letters == sorted(letters)
    counts = Counter(letters)
    assert counts["C"] == 31  # 制造业 has 31 divisions (13-43)
    assert set(counts) == set(SECTIONS)


@pytest.mark.parametrize(
    ("code", "section", "division"),
    [
        ("A01", "A", "农业"),
        ("B06", "B", "煤炭开采和洗选业"),
        ("C13", "C", "农副食品加工业"),
        ("C43", "C", "金属制品、机械和设备修理业"),
        ("D44", "D", "电力、热力生产和供应业"),
        ("E47", "E", "房屋建筑业"),
        ("F51", "F", "批发业"),
        ("G53", "G", "铁路运输业"),
        ("G59", "G", "装卸搬运和仓储业"),
        ("H62", "H", "餐饮业"),
        ("I65", "I", "软件和信息技术服务业"),
        ("J66", "J", "货币金融服务"),
        ("K70", "K", "房地产业"),
        ("L72", "L", "商务服务业"),
        ("M73", "M", "研究和试验发展"),
        ("N79", "N", "土地管理业"),
        ("O82", "O", "其他服务业"),
        ("P83", "P", "教育"),
        ("Q85", "Q", "社会工作"),
        ("R90", "R", "娱乐业"),
        ("S96", "S", "基层群众自治组织及其他组织"),
        ("T97", "T", "国际组织"),
    ],
)
def test_division_belongs_to_its_section(code: str, section: str, division: str) -> None:
    assert DIVISIONS[code[1:]] == (section, division)
    assert industry_label(code) == division


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("C39", "C39"), ("c391", "C391"), (" C 3911 ", "C3911"), ("ｉ６５１３", "I6513"), ("K7010", "K7010")],
)
def test_industry_code_is_normalised(raw: str, expected: str) -> None:
    assert validate_industry_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "行业代码不能为空"),
        ("  ", "行业代码不能为空"),
        ("C3", "格式错误"),
        ("C39111", "格式错误"),
        ("3911", "格式错误"),
        ("U39", "格式错误"),
        ("C-39", "格式错误"),
        ("C98", "大类“98”不存在"),
        ("C00", "大类“00”不存在"),
        ("A39", "门类与大类不符：大类39（计算机、通信和其他电子设备制造业）属于门类C（制造业），不属于门类A"),
        ("I6620", "属于门类J"),
    ],
)
def test_bad_industry_code_is_rejected_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidIndustryCodeError) as caught:
        validate_industry_code(raw)
    assert message in caught.value.message
    assert caught.value.field == "industry_code"
    assert isinstance(caught.value, ValidationFailedError)


def test_industry_label_falls_back_to_the_code() -> None:
    assert industry_label("C3911") == "计算机、通信和其他电子设备制造业"
    assert industry_label("X99") == "X99"
    assert section_label("c") == "制造业"
    assert section_label("Z") == "Z"


def test_jinan_has_its_twelve_districts_and_counties() -> None:
    assert JINAN["370100"] == "济南市"
    assert len(JINAN_COUNTY_CODES) == 12
    assert {JINAN[c] for c in JINAN_COUNTY_CODES} >= {"历下区", "莱芜区", "钢城区", "平阴县", "商河县"}
    assert all(code.startswith("3701") for code in JINAN)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("370000", "山东省"),
        ("370102", "历下区"),
        ("370112", "历城区"),
        ("370116", "莱芜区"),
        ("441900", "东莞市"),
        ("510603", "旌阳区"),
        ("510600", "德阳市"),
        ("442000", "中山市"),
        ("430300", "湘潭市"),
        ("440106", "天河区"),
        ("999999", "999999"),
    ],
)
def test_region_label_names_known_codes_and_falls_back_to_the_code(code: str, label: str) -> None:
    assert region_label(code) == label


def test_region_full_label_joins_the_levels() -> None:
    assert region_full_label("370102") == "山东省济南市历下区"
    assert region_full_label("370100") == "山东省济南市"
    assert region_full_label("441900") == "广东省东莞市"
    assert region_full_label("370000") == "山东省"
    assert region_full_label("abc") == "abc"


@pytest.mark.parametrize(
    ("raw", "expected"), [("370102", "370102"), (" 370102 ", "370102"), ("３７０１０２", "370102")]
)
def test_region_code_is_normalised(raw: str, expected: str) -> None:
    assert validate_region_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "区划代码不能为空"),
        ("37010", "应为6位数字"),
        ("3701020", "应为6位数字"),
        ("37010A", "应为6位数字"),
        ("990102", "前两位“99”不是GB/T 2260中的省级代码"),
        ("000000", "前两位“00”"),
    ],
)
def test_bad_region_code_is_rejected_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidRegionCodeError) as caught:
        validate_region_code(raw)
    assert message in caught.value.message
    assert caught.value.field == "region_code"
