"""The data of the matching benchmarks: a registry snapshot of generated enterprises and generated items.

The snapshot is what ``huiqi.policies.matching.registry_frame`` returns for the registry (one row per
enterprise: ``enterprise_id``, the section-1 columns with exact Decimal money, ``tags`` as a list,
``size_class`` computed by the enterprises app's own ``classify_size`` (国统字〔2017〕213号)), built from
``huiqi.enterprises.synthetic.generate_enterprise_rows`` instead of the database, and kept as a
Parquet file so later runs start at once. The derived facts (``age_years``, ``rd_ratio``) are left to
the evaluator, which computes them as of the evaluation date.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiqi.settings")

AS_OF = date(2026, 6, 30)
CACHE = Path(os.environ.get("HUIQI_BENCH_CACHE", "/tmp/huiqi-bench"))


def _size_classes(frame: pl.DataFrame) -> pl.Series:
    from huiqi.enterprises.size_class import classify_size

    # Row by row with the enterprises app's own classifier (it is the reference); about 8 s per
    # million rows, paid once: the snapshot is cached.
    values = [
        classify_size(industry_code=industry, employees=employees, revenue=revenue, total_assets=assets)
        for industry, employees, revenue, assets in frame.select(
            "industry_code", "employees", "revenue", "total_assets"
        ).iter_rows()
    ]
    return pl.Series("size_class", values, dtype=pl.String)


def registry_snapshot(count: int, *, seed: int = 0) -> pl.DataFrame:
    """``count`` generated enterprises as the typed registry frame (cached under $HUIQI_BENCH_CACHE)."""
    path = CACHE / f"registry-{count}-{seed}-{AS_OF.isoformat()}.parquet"
    if path.exists():
        return pl.read_parquet(path)
    import django

    django.setup()
    from huiqi.enterprises.synthetic.generator import generate_enterprise_rows

    started = time.perf_counter()
    frame = generate_enterprise_rows(count, seed=seed, as_of=AS_OF)
    frame = frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("enterprise_id"),
        pl.col("tags").str.split(";").list.eval(pl.element().filter(pl.element() != "")),
        _size_classes(frame),
    )
    frame = frame.select("enterprise_id", pl.exclude("enterprise_id"))
    CACHE.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    print(f"snapshot of {count:,} enterprises built in {time.perf_counter() - started:.1f} s -> {path}")
    return frame


def item_data(count: int, *, seed: int = 0) -> list[dict[str, Any]]:
    from policy_items import generate_items

    return generate_items(count, seed=seed)


def parsed_items(count: int, *, seed: int = 0) -> dict[str, Any]:
    from huiqi.rules.schema import parse_item_rules

    return {item["code"]: parse_item_rules(item) for item in item_data(count, seed=seed)}
