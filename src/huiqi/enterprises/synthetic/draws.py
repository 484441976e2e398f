"""Random draws without a Python loop over rows: uniforms from hashes of the row number, weighted
choices by binary search on cumulative weights, and the size bands of 国统字〔2017〕213号."""

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from huiqi.enterprises.size_class import GROUPS, size_groups_for
from huiqi.enterprises.synthetic import tables

SIZES = ("micro", "small", "medium", "large")

# Kinds of registration, as indices into tables.KINDS.
IS_COMPANY, IS_SHOP, IS_COOPERATIVE = (pl.col("kind") == k for k in range(3))


def uniform(rows: pl.Series, seed: int, stream: int) -> pl.Series:
    """Uniform [0, 1) per row, independent per stream, from a hash of the row number."""
    hashed = rows.hash(seed * 7919 + stream * 104729 + 17)
    return (hashed % (1 << 53)).cast(pl.Float64) / float(1 << 53)


def cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    out, running = [], 0.0
    for weight in weights:
        running += weight
        out.append(running / total)
    out[-1] = 1.0
    return out


def pick(u: pl.Series, cumulative_weights: Sequence[float] | pl.Series) -> pl.Series:
    """Index of the weighted category for each uniform draw."""
    cum = (
        cumulative_weights
        if isinstance(cumulative_weights, pl.Series)
        else pl.Series(list(cumulative_weights), dtype=pl.Float64)
    )
    return cum.search_sorted(u, side="right").clip(0, len(cum) - 1).cast(pl.UInt32)


def choose(values: Sequence[object], u: pl.Expr) -> pl.Expr:
    """One of ``values`` with equal chances for each uniform draw."""
    return pl.lit(pl.Series(list(values))).gather((u * len(values)).floor().cast(pl.Int64))


@dataclass(frozen=True)
class IndustryTable:
    """A weighted table of industries as Series, ready for gather()."""

    cumulative: pl.Series
    code: pl.Series
    word: pl.Series
    tech: pl.Series
    group: pl.Series

    @classmethod
    def build(cls, rows: Sequence[tuple[str, str, float, int]]) -> "IndustryTable":
        weights = [weight * tables.SECTION_WEIGHT.get(code[0], 1.0) for code, _w, weight, _t in rows]
        return cls(
            cumulative=pl.Series(cumulative(weights), dtype=pl.Float64),
            code=pl.Series([r[0] for r in rows], dtype=pl.String),
            word=pl.Series([r[1] for r in rows], dtype=pl.String),
            tech=pl.Series([r[3] for r in rows], dtype=pl.Int8),
            group=pl.Series([generation_group(r[0]) for r in rows], dtype=pl.String),
        )


def generation_group(code: str) -> str:
    """The size-standard group whose bands shape the numbers; industries outside the standard (and
    the coarse codes) borrow 其他未列明行业's bands."""
    groups = size_groups_for(code)
    return groups[0].key if len(groups) == 1 and groups[0] is not None else "other"


def band_table() -> pl.DataFrame:
    """(group, size) -> low/high of each listed indicator (x persons, y revenue, z assets, yuan);
    micro starts at one person or 2% of the small bound, large ends at four times its bound."""
    rows = []
    for group in GROUPS.values():
        for index, size in enumerate(SIZES):
            row: dict[str, object] = {"group": group.key, "size": size}
            for name, bounds, micro_low in (
                ("x", group.employees, None),
                ("y", group.revenue, 0.02),
                ("z", group.total_assets, 0.02),
            ):
                low: float | None = None
                high: float | None = None
                if bounds is not None:
                    edges = [float(bounds.small), float(bounds.medium), float(bounds.large)]
                    if index == 0:
                        low = 1.0 if micro_low is None else edges[0] * micro_low
                    else:
                        low = edges[index - 1]
                    high = edges[index] if index < 3 else edges[2] * 4
                row[f"{name}_lo"], row[f"{name}_hi"] = low, high
            rows.append(row)
    return pl.DataFrame(rows, schema_overrides={f"{n}_{e}": pl.Float64 for n in "xyz" for e in ("lo", "hi")})
