"""The generator: rows of DATA-CONTRACT.md section 1 as a typed Polars frame, and the CSV file."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
from django.utils import timezone

from huiqi.enterprises.size_class import WAN
from huiqi.enterprises.synthetic import tables
from huiqi.enterprises.synthetic.codes import USCC_REFORM, mobile_expr, uscc_expr
from huiqi.enterprises.synthetic.draws import (
    IS_COMPANY,
    IS_COOPERATIVE,
    IS_SHOP,
    SIZES,
    IndustryTable,
    band_table,
    cumulative,
    pick,
    uniform,
)
from huiqi.enterprises.synthetic.names import name_expr, place_words, regions_for

CONTRACT_COLUMNS: tuple[str, ...] = (
    "uscc",
    "name",
    "region_code",
    "industry_code",
    "established_on",
    "ownership",
    "registered_capital",
    "employees",
    "revenue",
    "total_assets",
    "tax_paid",
    "rd_expense",
    "tags",
    "red_list",
    "contact_phone",
)

MONEY = pl.Decimal(20, 2)
CHUNK_ROWS = 500_000

_EARLIEST = date(1990, 1, 1)
# One independent uniform draw per row for each of these (changing the list changes every file).
_STREAMS: tuple[str, ...] = (
    "kind",
    "industry",
    "region",
    "size",
    "emp",
    "rev",
    "ast",
    "ratio1",
    "ratio2",
    "ratio3",
    "age",
    "capital",
    "tax",
    "rd",
    "tag_ht",
    "tag_ts",
    "tag_zj",
    "tag_sx",
    "tag_first",
    "red",
    "phone",
    "owner",
    "name1",
    "name2",
    "name_style",
    "null_ownership",
    "null_registered_capital",
    "null_employees",
    "null_revenue",
    "null_total_assets",
    "null_tax_paid",
    "null_rd_expense",
    "null_contact_phone",
)


def generate_enterprise_rows(
    count: int, *, seed: int = 0, region_prefix: str = "3701", as_of: date | None = None, offset: int = 0
) -> pl.DataFrame:
    """``count`` synthetic enterprises with the columns of DATA-CONTRACT.md section 1, typed
    (Decimal yuan with 2 places, Int64 employees, Date, Boolean; no tags is "", never null).
    These are rows ``offset .. offset+count-1`` of the sequence for this seed, so chunks
    concatenate to one file with unique USCCs. ``as_of`` (default today) bounds the founding dates.
    Raises ValueError for a region prefix with no known places."""
    if count < 0:
        raise ValueError("count must be >= 0")
    as_of = as_of or timezone.localdate()
    regions = regions_for(region_prefix)
    city, province = place_words(region_prefix)

    rows = pl.int_range(offset, offset + count, eager=True, dtype=pl.Int64).alias("row")
    u = {f"u_{name}": uniform(rows, seed, stream) for stream, name in enumerate(_STREAMS)}
    region_codes = list(regions)
    df = pl.DataFrame(
        {
            "row": rows,
            "kind": pick(u["u_kind"], cumulative([k[2] for k in tables.KINDS])),
            "region_code": pl.Series(region_codes, dtype=pl.String).gather(
                pick(u["u_region"], cumulative(list(regions.values())))
            ),
            "size_index": pick(u["u_size"], cumulative(tables.SIZE_SHARES)),
            **u,
        }
    )
    df = _with_industry(df)
    df = _with_size_facts(df)
    df = _with_founding(df, as_of)
    df = df.with_columns(
        uscc_expr(region_codes, seed).alias("uscc"),
        name_expr(city, province, region_codes),
        _tags_expr(as_of).alias("tags"),
        red_list=(pl.col("u_tag_sx") >= tables.DISHONEST_SHARE) & (pl.col("u_red") < tables.RED_LIST_SHARE),
    )
    return _contract_columns(df, seed)


def _with_industry(df: pl.DataFrame) -> pl.DataFrame:
    """Industry code, name word, technology intensity and size group, by kind of registration;
    N2 集体经济组织 are L7215 农村集体经济组织管理."""
    company, shop, coop = (
        IndustryTable.build(tables.COMPANY_INDUSTRIES),
        IndustryTable.build(tables.SHOP_INDUSTRIES),
        IndustryTable.build(tables.COOPERATIVE_INDUSTRIES),
    )
    picks = [pick(df["u_industry"], t.cumulative) for t in (company, shop, coop)]

    def by_kind(attribute: str) -> pl.Expr:
        return (
            pl.when(IS_COMPANY)
            .then(pl.lit(getattr(company, attribute)).gather(pl.lit(picks[0])))
            .when(IS_SHOP)
            .then(pl.lit(getattr(shop, attribute)).gather(pl.lit(picks[1])))
            .when(IS_COOPERATIVE)
            .then(pl.lit(getattr(coop, attribute)).gather(pl.lit(picks[2])))
        )

    return df.with_columns(
        industry_code=by_kind("code").fill_null("L7215"),
        word=by_kind("word").fill_null("村股份经济合作社"),
        tech=by_kind("tech").fill_null(0),
        group=by_kind("group").fill_null("leasing_business"),
    )


def _with_size_facts(df: pl.DataFrame) -> pl.DataFrame:
    """Size class (个体工商户 micro; cooperatives and collectives 85% micro, else small) and the
    employees, revenue and assets inside that class's band."""
    df = df.with_columns(
        size_index=pl.when(IS_COMPANY)
        .then(pl.col("size_index"))
        .when(IS_SHOP)
        .then(0)
        .otherwise((pl.col("u_size") > 0.85).cast(pl.UInt32))
    )
    df = df.with_columns(size=pl.lit(pl.Series(SIZES)).gather(pl.col("size_index")))
    df = df.join(band_table(), on=["group", "size"], how="left")

    def log_uniform(prefix: str, u_name: str) -> pl.Expr:
        low, high = pl.col(f"{prefix}_lo"), pl.col(f"{prefix}_hi")
        return low * (high / low).pow(pl.col(u_name))

    per_capita_revenue = 100_000.0 * pl.lit(6.0).pow(pl.col("u_ratio1"))  # 10万-60万 a person
    per_capita_for_staff = 150_000.0 * pl.lit(5.0).pow(pl.col("u_ratio2"))  # 15万-75万 a person
    df = df.with_columns(
        emp_band=log_uniform("x", "u_emp").floor(),
        rev_band=log_uniform("y", "u_rev"),
        ast_band=log_uniform("z", "u_ast"),
    )
    df = df.with_columns(revenue_yuan=pl.coalesce("rev_band", pl.col("emp_band") * per_capita_revenue))
    return df.with_columns(
        employees_n=pl.coalesce(
            "emp_band", (pl.col("revenue_yuan") / per_capita_for_staff).floor().clip(lower_bound=1)
        ).cast(pl.Int64),
        assets_yuan=pl.coalesce(
            "ast_band", pl.col("revenue_yuan") * 0.3 * pl.lit(8.0).pow(pl.col("u_ratio3"))
        ),
    )


def _with_founding(df: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Founding date skewed young (age = u^2 of the span; medium and large enterprises u^1)."""
    span_days = (as_of - _EARLIEST).days
    exponent = pl.when(pl.col("size_index") >= 2).then(1.0).otherwise(2.0)
    age_days = (pl.col("u_age").pow(exponent) * span_days).floor().cast(pl.Int64)
    df = df.with_columns(established_on=(pl.lit(as_of) - pl.duration(days=age_days)).cast(pl.Date))
    return df.with_columns(is_reformed=pl.col("established_on") >= pl.lit(USCC_REFORM))


def _tags_expr(as_of: date) -> pl.Expr:
    """Tags separated by ";" ("" for none); technology tags follow the industry's intensity."""
    tech, size = pl.col("tech"), pl.col("size_index")
    age_years = (pl.lit(as_of) - pl.col("established_on")).dt.total_days() / 365.25
    above_scale = pl.col("revenue_yuan") >= pl.col("group").replace_strict(
        {k: v * float(WAN) for k, v in tables.ABOVE_SCALE_REVENUE_WAN.items()},
        default=tables.ABOVE_SCALE_DEFAULT_WAN * float(WAN),
        return_dtype=pl.Float64,
    )
    high_tech_p = pl.when(tech == 2).then(0.20).when(tech == 1).then(0.06).otherwise(0.004)
    high_tech = IS_COMPANY & (age_years >= 1) & (pl.col("u_tag_ht") < high_tech_p * (1 + size))
    tech_sme_p = pl.when(tech == 2).then(0.22).when(tech == 1).then(0.07).otherwise(0.006)
    tech_sme = IS_COMPANY & (size <= 2) & (pl.col("u_tag_ts") < tech_sme_p)
    specialised = IS_COMPANY & size.is_between(1, 2) & (tech >= 1) & (pl.col("u_tag_zj") < 0.12)

    def tag(condition: pl.Expr, name: str) -> pl.Expr:
        return pl.when(condition).then(pl.lit(name))

    return pl.concat_str(
        [
            tag(high_tech, "高新技术企业"),
            tag(high_tech & (pl.col("u_tag_first") < 0.25), "首次认定"),
            tag(specialised, "专精特新中小企业"),
            tag(tech_sme, "科技型中小企业"),
            tag(high_tech & (age_years < 10) & (pl.col("u_tag_first") > 0.9), "瞪羚企业"),
            tag(IS_COMPANY & above_scale, "规上企业"),
            tag(pl.col("u_tag_sx") < tables.DISHONEST_SHARE, "失信被执行人"),
        ],
        separator=";",
        ignore_nulls=True,
    )


def _ownership_expr(df: pl.DataFrame) -> pl.Expr:
    names = [name for name, _share in tables.OWNERSHIP_SHARES]
    shares = cumulative([share for _name, share in tables.OWNERSHIP_SHARES])
    drawn = pl.lit(pl.Series(names)).gather(pl.lit(pick(df["u_owner"], shares)))
    return (
        pl.when(IS_COMPANY & (pl.col("size_index") == 3) & (pl.col("u_owner") < 0.2))
        .then(pl.lit("state"))
        .when(IS_COMPANY)
        .then(drawn)
        .when(IS_SHOP)
        .then(pl.lit("private"))
        .otherwise(pl.lit("collective"))
    )


def _contract_columns(df: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The final typed columns; money computed in whole fen so the Decimals are exact."""

    def fen(yuan: pl.Expr) -> pl.Expr:
        return yuan.mul(100).floor().cast(pl.Int64)

    def money(fen_expr: pl.Expr) -> pl.Expr:
        return (fen_expr.cast(pl.Decimal(22, 2)) / pl.lit(100, dtype=pl.Decimal(22, 2))).cast(MONEY)

    def unknown_or(column: str, value: pl.Expr) -> pl.Expr:
        share = tables.UNKNOWN_SHARES[column]
        return pl.when(pl.col(f"u_null_{column}") < share).then(None).otherwise(value).alias(column)

    capital = tables.REGISTERED_CAPITAL_CHOICES
    capital_flat = pl.Series([c for choices in capital for c in choices], dtype=pl.Int64)
    capital_offset = pl.Series([sum(len(c) for c in capital[:i]) for i in range(4)], dtype=pl.Int64)
    capital_len = pl.Series([len(c) for c in capital], dtype=pl.Int64)
    size = pl.col("size_index")
    capital_index = pl.lit(capital_offset).gather(size) + (
        pl.col("u_capital") * pl.lit(capital_len).gather(size)
    ).floor().cast(pl.Int64)
    revenue = pl.col("revenue_yuan")
    rd = (
        pl.when(pl.col("tech") == 2)
        .then(revenue * 0.02 * pl.lit(6.0).pow(pl.col("u_rd")))
        .when(pl.col("tech") == 1)
        .then(revenue * 0.005 * pl.lit(8.0).pow(pl.col("u_rd")))
        .otherwise(revenue * 0.01 * pl.col("u_rd"))
    )
    return df.select(
        "uscc",
        "name",
        "region_code",
        "industry_code",
        "established_on",
        unknown_or("ownership", _ownership_expr(df)),
        unknown_or("registered_capital", money(pl.lit(capital_flat).gather(capital_index) * 100)),
        unknown_or("employees", pl.col("employees_n")),
        unknown_or("revenue", money(fen(revenue))),
        unknown_or("total_assets", money(fen(pl.col("assets_yuan")))),
        unknown_or("tax_paid", money(fen(revenue * 0.002 * pl.lit(30.0).pow(pl.col("u_tax"))))),
        pl.when((pl.col("tech") == 0) & (pl.col("u_null_rd_expense") < 0.6))
        .then(None)
        .otherwise(unknown_or("rd_expense", money(fen(rd))))
        .alias("rd_expense"),
        "tags",
        "red_list",
        unknown_or("contact_phone", mobile_expr(seed)),
    )


def write_enterprises_csv(
    path: str | Path,
    count: int,
    *,
    seed: int = 0,
    region_prefix: str = "3701",
    as_of: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write a DATA-CONTRACT.md section-1 CSV (UTF-8, header row, empty cell = unknown, an empty
    tags cell = no tags) of ``count`` synthetic enterprises, chunk by chunk; returns the number of
    rows written. ``on_progress(rows)`` is called after each chunk."""
    as_of = as_of or timezone.localdate()
    regions_for(region_prefix)  # refuse a bad prefix before creating the file
    written = 0
    with open(path, "wb") as handle:
        if count == 0:
            handle.write((",".join(CONTRACT_COLUMNS) + "\n").encode())
        while written < count:
            size = min(chunk_rows, count - written)
            frame = generate_enterprise_rows(
                size, seed=seed, region_prefix=region_prefix, as_of=as_of, offset=written
            )
            frame.with_columns(pl.col("tags").replace("", None)).write_csv(
                handle, include_header=written == 0
            )
            written += size
            if on_progress is not None:
                on_progress(size)
    return written
