"""GB 32100-2015 统一社会信用代码: normalisation, structure and the check character.

The valid codes below were computed independently of the module under test (check character =
ALPHABET[(31 - sum(value * 3**i mod 31)) mod 31], GB 32100-2015 4.3), one per registration
authority; 91110000600037341L is a published real code.
"""

import pytest

from huiqi.core.errors import ValidationFailedError
from huiqi.enterprises.errors import InvalidUsccError
from huiqi.enterprises.uscc import (
    REGISTRATION_AUTHORITIES,
    describe_uscc,
    is_valid_uscc,
    make_uscc,
    normalize_uscc,
    uscc_check_character,
)

VALID_CODES = [
    "11370100004221565Q",  # 机构编制 / 机关
    "12370000MB1571234A",  # 机构编制 / 事业单位
    "21110000MC0012345P",  # 外交
    "31370000MD0198765K",  # 司法行政 / 律师执业机构
    "41110000MC1234560W",  # 文化
    "51370100MJD1234568",  # 民政 / 社会团体
    "52370102MJE654321B",  # 民政 / 民办非企业单位
    "53100000500021676K",  # 民政 / 基金会
    "61110000MC0000019M",  # 旅游
    "71370100MC5555550B",  # 宗教
    "81370102MC1212126T",  # 工会
    "91370100MA3C5K7R26",  # 工商 / 企业
    "92370112MA3M1Q2W4Q",  # 工商 / 个体工商户
    "93370124MA3PXL0A1U",  # 工商 / 农民专业合作社
    "A1100000MB1234561K",  # 中央军委改革和编制办公室
    "N2370114MF0012345T",  # 农业 / 村级集体经济组织
    "N3370126MF9876542X",  # 农业 / 乡镇级集体经济组织
    "Y1370100MC00000286",  # 其他
    "91110000600037341L",  # a published real enterprise code
    "9137011292332146X8",  # from the shared contract sample
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_code_of_every_registration_authority_is_accepted_unchanged(code: str) -> None:
    assert normalize_uscc(code) == code
    assert is_valid_uscc(code)
    assert uscc_check_character(code[:17]) == code[17]
    assert make_uscc(code[:17]) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91110000600037341l", "91110000600037341L"),  # lower-case check character
        ("n2370114mf0012345t", "N2370114MF0012345T"),  # lower-case letters everywhere
        (" 9111 0000 6000 3734 1L ", "91110000600037341L"),  # ASCII spaces
        ("\t91110000600037341L\n", "91110000600037341L"),  # tab and newline
        ("9111\u30000000600037341L", "91110000600037341L"),  # full-width space U+3000
        ("9111\u00a00000600037341L", "91110000600037341L"),  # no-break space
        ("\ufeff91110000600037341L\u200b", "91110000600037341L"),  # BOM and zero-width space
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full-width digits and letter
    ],
)
def test_case_spaces_and_full_width_characters_are_normalised(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected
    assert is_valid_uscc(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "统一社会信用代码不能为空"),
        ("   \u3000", "统一社会信用代码不能为空"),
        ("9111000060003734", "统一社会信用代码应为18位，实为16位"),
        ("9111000060003734L", "统一社会信用代码应为18位，实为17位"),
        ("91110000600037341L0", "统一社会信用代码应为18位，实为19位"),
        (
            "9111000060003734IL",
            "统一社会信用代码第17位“I”不是允许的字符（只能是数字或除I、O、Z、S、V以外的大写字母）",
        ),
        ("911100006000373O1L", "统一社会信用代码第16位“O”不是允许的字符"),
        ("91110000Z00037341L", "统一社会信用代码第9位“Z”不是允许的字符"),
        ("911100006S0037341L", "统一社会信用代码第10位“S”不是允许的字符"),
        ("9111000060V037341L", "统一社会信用代码第11位“V”不是允许的字符"),
        ("91110000-600037341", "统一社会信用代码第9位“-”不是允许的字符"),
        ("B1110000600037341L", "统一社会信用代码第1位（登记管理部门代码）“B”无效"),
        ("01110000600037341L", "统一社会信用代码第1位（登记管理部门代码）“0”无效"),
        ("94110000600037341L", "统一社会信用代码第2位（机构类别代码）“4”与第1位登记管理部门“9”"),
        ("99110000600037341L", "应为1、2、3之一"),
        ("Y2370100MC0000028X", "统一社会信用代码第2位（机构类别代码）“2”与第1位登记管理部门“Y”"),
        ("A3100000MB1234561K", "统一社会信用代码第2位（机构类别代码）“3”与第1位登记管理部门“A”"),
        ("911A0000600037341L", "统一社会信用代码第3-8位（登记管理机关行政区划码）应为6位数字，实为“1A0000”"),
        ("9137010M600037341L", "实为“37010M”"),
        ("91110000600037341M", "统一社会信用代码校验位错误：应为 L，实为 M"),
        ("N2370114MF0012345U", "统一社会信用代码校验位错误：应为 T，实为 U"),
        ("9137011292332146X0", "统一社会信用代码校验位错误：应为 8，实为 0"),
    ],
)
def test_invalid_code_is_rejected_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidUsccError) as caught:
        normalize_uscc(raw)
    assert message in caught.value.message
    assert caught.value.field == "uscc"
    assert not is_valid_uscc(raw)


def test_invalid_uscc_error_is_a_validation_failure() -> None:
    assert issubclass(InvalidUsccError, ValidationFailedError)


def test_non_text_input_is_invalid_not_a_crash() -> None:
    assert not is_valid_uscc(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidUsccError, match="应为文本"):
        normalize_uscc(91110000600037341)  # type: ignore[arg-type]


def test_each_single_character_change_is_caught_by_the_check_character() -> None:
    code = "91370100MA3C5K7R26"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(8, 17):  # the organisation code segment, which has no other structure
        for char in alphabet:
            if char == code[position]:
                continue
            altered = code[:position] + char + code[position + 1 :]
            assert not is_valid_uscc(altered), altered


def test_every_authority_and_category_in_the_table_can_be_made() -> None:
    for authority, (_name, categories) in REGISTRATION_AUTHORITIES.items():
        for category in categories:
            code = make_uscc(f"{authority}{category}370100MA0000001")
            assert is_valid_uscc(code)


@pytest.mark.parametrize(
    ("first17", "message"),
    [
        ("9137010", "前17位，实为7位"),
        ("91370100MA3C5K7I2", "第16位“I”不是允许的字符"),
    ],
)
def test_check_character_needs_seventeen_valid_characters(first17: str, message: str) -> None:
    with pytest.raises(InvalidUsccError, match=message):
        uscc_check_character(first17)


def test_make_uscc_refuses_an_unknown_registration_authority() -> None:
    with pytest.raises(InvalidUsccError, match="第1位"):
        make_uscc("B1370100MA0000001")


def test_describe_uscc_names_the_parts() -> None:
    parts = describe_uscc("n2370114mf0012345t")
    assert parts == {
        "registration_authority": "农业",
        "institution_category": "村级集体经济组织",
        "region_code": "370114",
        "organisation_code": "MF0012345",
    }
