"""行政区划代码 GB/T 2260: the codes the platform names.

A code is six digits: province (2), prefecture (2), county (2). The registry accepts any
well-formed code of a real province (DATA-CONTRACT.md section 1 requires only 6 digits); this table
names the demo city 济南市 with all its districts and counties, every province, the other
prefectures of 山东省, and the places used in the shared contract samples. Other codes are shown
as the code itself.
"""

import unicodedata

from huiqi.core.errors import ValidationFailedError


class InvalidRegionCodeError(ValidationFailedError):
    """A region code that is not six digits of a GB/T 2260 province."""


PROVINCES: dict[str, str] = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "710000": "台湾省",
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
}

DEMO_CITY_CODE = "370100"

# 济南市 and its 10 districts and 2 counties (莱芜区, 钢城区 since the 2019 merger of 莱芜市).
JINAN: dict[str, str] = {
    "370100": "济南市",
    "370102": "历下区",
    "370103": "市中区",
    "370104": "槐荫区",
    "370105": "天桥区",
    "370112": "历城区",
    "370113": "长清区",
    "370114": "章丘区",
    "370115": "济阳区",
    "370116": "莱芜区",
    "370117": "钢城区",
    "370124": "平阴县",
    "370126": "商河县",
}

SHANDONG_PREFECTURES: dict[str, str] = {
    "370200": "青岛市",
    "370300": "淄博市",
    "370400": "枣庄市",
    "370500": "东营市",
    "370600": "烟台市",
    "370700": "潍坊市",
    "370800": "济宁市",
    "370900": "泰安市",
    "371000": "威海市",
    "371100": "日照市",
    "371300": "临沂市",
    "371400": "德州市",
    "371500": "聊城市",
    "371600": "滨州市",
    "371700": "菏泽市",
}

# Places in ../shared/contract-samples (enterprise files and policy items).
OTHER_PLACES: dict[str, str] = {
    "440100": "广州市",
    "440106": "天河区",
    "441900": "东莞市",
    "442000": "中山市",
    "510600": "德阳市",
    "510603": "旌阳区",
    "430300": "湘潭市",
}

REGIONS: dict[str, str] = {**PROVINCES, **JINAN, **SHANDONG_PREFECTURES, **OTHER_PLACES}

JINAN_COUNTY_CODES: tuple[str, ...] = tuple(code for code in JINAN if code != DEMO_CITY_CODE)


def _clean(code: str) -> str:
    return "".join(unicodedata.normalize("NFKC", code).split())


def validate_region_code(code: str) -> str:
    """Return the normalised six-digit code or raise InvalidRegionCodeError saying why."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidRegionCodeError("区划代码不能为空", field="region_code")
    cleaned = _clean(code)
    if len(cleaned) != 6 or not cleaned.isascii() or not cleaned.isdigit():
        raise InvalidRegionCodeError(
            f"区划代码“{cleaned}”应为6位数字（GB/T 2260），例如 370102", field="region_code"
        )
    if cleaned[:2] + "0000" not in PROVINCES:
        raise InvalidRegionCodeError(
            f"区划代码“{cleaned}”的前两位“{cleaned[:2]}”不是GB/T 2260中的省级代码", field="region_code"
        )
    return cleaned


def region_label(code: str) -> str:
    """The Chinese name of a region code, or the code itself when the table does not name it."""
    return REGIONS.get(_clean(code) if isinstance(code, str) else code, code)


def region_full_label(code: str) -> str:
    """Province, prefecture and county names joined (``山东省济南市历下区``), skipping levels the table
    does not name; the code itself when none is named."""
    cleaned = _clean(code) if isinstance(code, str) else ""
    if len(cleaned) != 6 or not cleaned.isdigit():
        return code
    levels = dict.fromkeys((cleaned[:2] + "0000", cleaned[:4] + "00", cleaned))
    names = [REGIONS[level] for level in levels if level in REGIONS]
    return "".join(names) or code
