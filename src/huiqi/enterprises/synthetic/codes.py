"""Identifiers of synthetic enterprises, computed column-wise: the USCC with its check character
(GB 32100-2015) and a mobile number, both unique per row."""

from datetime import date

import polars as pl

from huiqi.enterprises.synthetic import tables
from huiqi.enterprises.synthetic.draws import choose
from huiqi.enterprises.uscc import ALPHABET

USCC_REFORM = date(2015, 10, 1)  # 统一社会信用代码 replaced the old registration numbers from here

_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # GB 32100-2015 4.3: 3^(i-1) mod 31
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # 组织机构代码 check character


def uscc_expr(region_codes: list[str], seed: int) -> pl.Expr:
    """The 18-character code of each row, from the columns row, kind, region_code, is_reformed.

    Organisation code (positions 9-17): after the reform "MA" + 7 base-31 characters of a bijection
    of the row number modulo 31^7; before it, 8 digits of a bijection modulo 10^8 plus the GB 11714
    check character (weights 3 7 9 10 5 8 4 2; 10 -> X, 11 -> 0). The two sets are disjoint, so the
    code is unique per row whatever the region and kind.
    """
    alphabet = pl.lit(pl.Series(list(ALPHABET)))
    kind_values = [(ALPHABET.index(k[0]), ALPHABET.index(k[1])) for k in tables.KINDS]
    authority = pl.lit(pl.Series([a for a, _c in kind_values], dtype=pl.Int64)).gather(pl.col("kind"))
    category = pl.lit(pl.Series([c for _a, c in kind_values], dtype=pl.Int64)).gather(pl.col("kind"))
    region_sum = {
        code: sum(int(d) * w for d, w in zip(code, _USCC_WEIGHTS[2:8], strict=True)) for code in region_codes
    }
    region_part = pl.col("region_code").replace_strict(region_sum, return_dtype=pl.Int64)

    # 2654435761 is coprime to 31 and 48271117 to 10, so both maps are bijections.
    p = (pl.col("row") * 2_654_435_761 + (seed * 1_000_003 + 9_876_543_210)) % 31**7
    new_chars = [pl.lit(ALPHABET.index("M")), pl.lit(ALPHABET.index("A"))]
    new_chars += [(p // (31 ** (6 - k))) % 31 for k in range(7)]
    q = (pl.col("row") * 48_271_117 + (seed * 7_919 + 12_345_679)) % 100_000_000
    old_digits = [(q // (10 ** (7 - k))) % 10 for k in range(8)]
    gb11714 = 11 - sum((d * w for d, w in zip(old_digits, _GB11714_WEIGHTS, strict=True)), pl.lit(0)) % 11
    old_check = (
        pl.when(gb11714 == 11).then(0).when(gb11714 == 10).then(ALPHABET.index("X")).otherwise(gb11714)
    )
    reformed = pl.col("is_reformed")
    body = [
        pl.when(reformed).then(new).otherwise(old).cast(pl.Int64)
        for new, old in zip(new_chars, [*old_digits, old_check], strict=True)
    ]

    weighted = authority * _USCC_WEIGHTS[0] + category * _USCC_WEIGHTS[1] + region_part
    for value, weight in zip(body, _USCC_WEIGHTS[8:], strict=True):
        weighted = weighted + value * weight
    check = (31 - weighted % 31) % 31
    return pl.concat_str(
        [
            alphabet.gather(authority),
            alphabet.gather(category),
            pl.col("region_code"),
            *(alphabet.gather(v) for v in body),
            alphabet.gather(check),
        ]
    )


def mobile_expr(seed: int) -> pl.Expr:
    """A mobile number: a real 1xx prefix and 8 digits from a bijection of the row number modulo
    10^8 (76543219 is coprime to 10), so numbers are unique per row."""
    suffix = ((pl.col("row") * 76_543_219 + 31_415_926 + seed * 7) % 100_000_000).cast(pl.String).str.zfill(8)
    return pl.concat_str([choose(tables.MOBILE_PREFIXES, pl.col("u_phone")), suffix])
