"""Shared helpers of the rules-engine tests: the contract samples (read from ../shared at run time,
never copied into the repository) and an optional PostgreSQL server for the compiled SQL."""

from __future__ import annotations

import csv
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "contract-samples"
SAMPLE_AS_OF = date(2026, 6, 30)
MONEY_FIELDS = ("registered_capital", "revenue", "total_assets", "tax_paid", "rd_expense")


def _csv(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def contract_samples() -> dict[str, Any]:
    """Sample items, the valid sample enterprises (with size_class from expected-enterprises.csv) and
    the expected matches; skips when ../shared/contract-samples is absent."""
    if not (SAMPLES / "policies.yaml").exists():
        pytest.skip("contract samples not found beside the repository (../shared/contract-samples)")
    import yaml

    items = yaml.safe_load((SAMPLES / "policies.yaml").read_text(encoding="utf-8"))
    sizes = {row["uscc"]: row["size_class"] or None for row in _csv("expected-enterprises.csv")}
    # Rows absent from expected-enterprises.csv are the ones an import rejects (bad check character,
    # impossible date): they never reach the registry, so they are not evaluated.
    enterprises = []
    for row in _csv("enterprises.csv"):
        if row["uscc"] not in sizes:
            continue
        facts: dict[str, Any] = {key: (value if value != "" else None) for key, value in row.items()}
        for name in MONEY_FIELDS:
            facts[name] = Decimal(row[name]) if row[name] else None
        facts["employees"] = int(row["employees"]) if row["employees"] else None
        facts["established_on"] = date.fromisoformat(row["established_on"])
        facts["tags"] = [tag for tag in row["tags"].split(";") if tag]
        facts["red_list"] = row["red_list"] == "true"
        facts["size_class"] = sizes[row["uscc"]]
        enterprises.append(facts)
    expected = {
        (row["uscc"], row["item_code"]): (row["status"], row["amount"])
        for row in _csv("expected-matches.csv")
    }
    return {"items": items, "enterprises": enterprises, "expected": expected}


def pg_url() -> str | None:
    return os.environ.get("HUIQI_TEST_PG_URL") or None


@pytest.fixture
def pg_connection():  # type: ignore[no-untyped-def]
    """A psycopg connection to HUIQI_TEST_PG_URL (skipped when unset); rolled back afterwards."""
    url = pg_url()
    if url is None:
        pytest.skip("HUIQI_TEST_PG_URL is not set: compiled SQL is only parsed, not executed")
    import psycopg

    with psycopg.connect(url) as connection:
        yield connection
        connection.rollback()
