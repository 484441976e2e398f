"""Places and Chinese names of synthetic enterprises."""

import polars as pl

from huiqi.core.reference.regions import PROVINCES, REGIONS, region_label, validate_region_code
from huiqi.enterprises.synthetic import tables
from huiqi.enterprises.synthetic.draws import IS_COMPANY, IS_COOPERATIVE, IS_SHOP, choose


def regions_for(prefix: str) -> dict[str, float]:
    """Region codes (with weights) under a GB/T 2260 prefix of 2, 4 or 6 digits; ValueError when
    the prefix is malformed or no known place lies under it."""
    if not prefix.isdigit() or len(prefix) not in (2, 4, 6):
        raise ValueError(f"区划前缀“{prefix}”应为2、4或6位数字，例如 3701")
    if len(prefix) == 6:
        return {validate_region_code(prefix): 1.0}
    if prefix == "3701":
        return {code: float(w) for code, w in tables.JINAN_REGION_WEIGHTS.items()}
    known = [code for code in REGIONS if code.startswith(prefix) and code not in PROVINCES]
    chosen = [code for code in known if not code.endswith("00")] or known
    if not chosen:
        raise ValueError(f"区划前缀“{prefix}”下没有已知的区划代码（见 huiqi.core.reference.regions）")
    return dict.fromkeys(chosen, 1.0)


def short_place(label: str) -> str:
    """济南市 -> 济南, 山东省 -> 山东, 广西壮族自治区 -> 广西 (as places appear in company names)."""
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if label.endswith(suffix) and len(label) > len(suffix) + 1:
            return label[: -len(suffix)]
    return label


def place_words(region_prefix: str) -> tuple[str, str]:
    """(city, province) short names for company names, e.g. (济南, 山东)."""
    province_label = region_label(region_prefix[:2] + "0000")
    province = "" if province_label.isdigit() else short_place(province_label)
    city_label = region_label(region_prefix[:4] + "00") if len(region_prefix) >= 4 else ""
    city = short_place(city_label) if city_label and not city_label.isdigit() else province
    return city, province


def name_expr(city: str, province: str, region_codes: list[str]) -> pl.Expr:
    """Company names like 济南瑞丰电子科技有限公司 / 山东鑫源商贸有限公司 / 华泰建设（济南）有限公司,
    个体工商户 like 历下区瑞丰便利店, cooperatives like 章丘区鑫源蔬菜种植专业合作社, collectives like
    历城区华家村股份经济合作社."""
    first = choose(tables.TRADE_NAME_FIRST, pl.col("u_name1"))
    trade = pl.concat_str([first, choose(tables.TRADE_NAME_SECOND, pl.col("u_name2"))])
    district_names = {code: region_label(code) for code in region_codes}
    district = pl.col("region_code").replace_strict(
        {code: ("" if label.isdigit() else label) for code, label in district_names.items()},
        return_dtype=pl.String,
    )
    style, size, word = pl.col("u_name_style"), pl.col("size_index"), pl.col("word")
    suffix = (
        pl.when((size == 3) & (style < 0.35))
        .then(pl.lit("集团有限公司"))
        .when((size >= 2) & (style > 0.7))
        .then(pl.lit("股份有限公司"))
        .when(style > 0.95)
        .then(pl.lit("有限责任公司"))
        .otherwise(pl.lit("有限公司"))
    )
    place = (
        pl.when(style < 0.62)
        .then(pl.lit(city))
        .when(style < 0.88)
        .then(pl.lit(province))
        .otherwise(pl.lit(""))
    )
    company = (
        pl.when(style.is_between(0.88, 0.93) & pl.lit(bool(city)))
        .then(pl.concat_str([trade, word, pl.lit(f"（{city}）"), suffix]))
        .otherwise(pl.concat_str([place, trade, word, suffix]))
    )
    return (
        pl.when(IS_COMPANY)
        .then(company)
        .when(IS_SHOP)
        .then(pl.concat_str([district, trade, word]))
        .when(IS_COOPERATIVE)
        .then(pl.concat_str([district, trade, word, pl.lit("专业合作社")]))
        .otherwise(pl.concat_str([district, first, pl.lit("家"), word]))
        .alias("name")
    )
