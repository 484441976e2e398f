"""统一社会信用代码 (USCC) by GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》.

Why this module exists rather than calling ``stdnum.cn.uscc.validate``: python-stdnum's validator
requires positions 1-8 to be digits, so it rejects real codes whose registration authority is a
letter (A 中央军委改革和编制办公室, N 农业, Y 其他). We keep its check-character arithmetic
(``calc_check_digit``, the standard's weights modulo 31) and validate the structure ourselves:

    position 1     登记管理部门代码 (registration authority), GB 32100-2015 附录A
    position 2     机构类别代码 (institution category), allowed values depend on position 1
    positions 3-8  登记管理机关行政区划码, six digits (GB/T 2260)
    positions 9-17 主体标识码 (organisation code)
    position 18    校验码, computed from positions 1-17

Normalisation (what people paste from spreadsheets and web pages): Unicode NFKC (full-width
"９１３７…" becomes ASCII), every whitespace character removed (including U+3000 and NBSP) along
with zero-width characters, then upper case. Hyphens and other punctuation are NOT removed: a code
containing them is rejected with the position of the offending character.

Every failure raises InvalidUsccError with a Chinese message that names the rule broken.
"""

import unicodedata

from stdnum.cn import uscc as _stdnum_uscc

from huiqi.enterprises.errors import InvalidUsccError

USCC_LENGTH = 18

# GB 32100-2015 4.2: the code uses digits and upper-case letters except I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ALPHABET_SET = frozenset(ALPHABET)

# GB 32100-2015 附录A 表A.1: registration authority (position 1) -> (name, {category (position 2): name}).
REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_FORBIDDEN_LETTERS = "I、O、Z、S、V"


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).translate(_ZERO_WIDTH)
    return "".join(text.split()).upper()


def _check_characters(code: str, *, what: str = "统一社会信用代码") -> None:
    for position, char in enumerate(code, start=1):
        if char not in _ALPHABET_SET:
            raise InvalidUsccError(
                f"{what}第{position}位“{char}”不是允许的字符（只能是数字或除{_FORBIDDEN_LETTERS}以外的大写字母）",
                field="uscc",
            )


def uscc_check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters, by GB 32100-2015 4.3
    (weights 3^i mod 31, computed by python-stdnum). Case and whitespace are normalised."""
    body = _clean(first17)
    if len(body) != USCC_LENGTH - 1:
        raise InvalidUsccError(f"计算校验位需要统一社会信用代码的前17位，实为{len(body)}位", field="uscc")
    _check_characters(body, what="统一社会信用代码前17位中")
    return _stdnum_uscc.calc_check_digit(body)


def normalize_uscc(raw: str) -> str:
    """Return the canonical form (18 upper-case characters) of a USCC, or raise InvalidUsccError
    saying which GB 32100-2015 rule it breaks."""
    if not isinstance(raw, str):
        raise InvalidUsccError("统一社会信用代码应为文本", field="uscc")
    code = _clean(raw)
    if not code:
        raise InvalidUsccError("统一社会信用代码不能为空", field="uscc")
    if len(code) != USCC_LENGTH:
        raise InvalidUsccError(f"统一社会信用代码应为18位，实为{len(code)}位", field="uscc")
    _check_characters(code)

    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        allowed = "、".join(REGISTRATION_AUTHORITIES)
        raise InvalidUsccError(
            f"统一社会信用代码第1位（登记管理部门代码）“{code[0]}”无效，应为{allowed}之一", field="uscc"
        )
    authority_name, categories = authority
    if code[1] not in categories:
        allowed = "、".join(categories)
        raise InvalidUsccError(
            f"统一社会信用代码第2位（机构类别代码）“{code[1]}”与第1位登记管理部门“{code[0]}”（{authority_name}）"
            f"不符，应为{allowed}之一",
            field="uscc",
        )
    region = code[2:8]
    if not region.isdigit():
        raise InvalidUsccError(
            f"统一社会信用代码第3-8位（登记管理机关行政区划码）应为6位数字，实为“{region}”", field="uscc"
        )
    expected = _stdnum_uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise InvalidUsccError(f"统一社会信用代码校验位错误：应为 {expected}，实为 {code[17]}", field="uscc")
    return code


def make_uscc(first17: str) -> str:
    """The full, valid code for the first 17 characters (appends the check character and checks
    the structure, so it never returns a code that normalize_uscc would reject)."""
    body = _clean(first17)
    return normalize_uscc(body + uscc_check_character(body))


def is_valid_uscc(raw: str) -> bool:
    """True if ``raw`` normalises to a valid GB 32100-2015 code."""
    try:
        normalize_uscc(raw)
    except InvalidUsccError:
        return False
    return True


def describe_uscc(code: str) -> dict[str, str]:
    """The parts of a valid code with their meaning (for the detail page): registration authority,
    institution category, region segment and organisation code."""
    code = normalize_uscc(code)
    authority_name, categories = REGISTRATION_AUTHORITIES[code[0]]
    return {
        "registration_authority": authority_name,
        "institution_category": categories[code[1]],
        "region_code": code[2:8],
        "organisation_code": code[8:17],
    }
