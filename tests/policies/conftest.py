"""Helpers of the policy library's tests: item mappings, files, and the two roles of the workflow."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "contract-samples"

# The contract's own example item (DATA-CONTRACT.md section 2).
CONTRACT_ITEM: dict[str, Any] = {
    "code": "JN-2021-CXQY-01",
    "title": "济南市支持快速发展初创企业奖励",
    "policy": "济南市关于支持初创企业发展的若干措施",
    "level": "city",
    "region_code": "370100",
    "department": "济南市科学技术局",
    "effective_from": date(2021, 1, 1),
    "effective_to": date(2023, 12, 31),
    "auto_entitlement": True,
    "eligibility": {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {"field": "age_years", "op": "le", "value": 5},
            {
                "any": [
                    {"field": "revenue", "op": "ge", "value": 10000000},
                    {"field": "tags", "op": "contains", "value": "高新技术企业"},
                ]
            },
        ]
    },
    "reward": {
        "tiers": [
            {"when": {"field": "revenue", "op": "ge", "value": 50000000}, "fixed": 500000},
            {"when": {"field": "revenue", "op": "ge", "value": 10000000}, "formula": "revenue * 0.01"},
        ],
        "cap": 300000,
    },
    "examples": [
        {
            "profile": {"region_code": "370102", "age_years": 3, "revenue": 20000000, "tags": []},
            "expect": {"status": "eligible", "amount": 200000},
        }
    ],
}


@pytest.fixture(autouse=True)
def _search_cache_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Policy search's token cache goes to the test's own folder: publishing queues its warming
    (services.schedule_search_warming), which the immediate task backend runs at once."""
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"


@pytest.fixture
def make_item() -> Callable[..., dict[str, Any]]:
    """A deep copy of the contract's example item with some keys replaced (None removes a key)."""

    def make(**changes: Any) -> dict[str, Any]:
        item = copy.deepcopy(CONTRACT_ITEM)
        for key, value in changes.items():
            if value is None:
                item.pop(key, None)
            else:
                item[key] = value
        return item

    return make


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Write data (or raw text) as a YAML file under tmp_path and return its path."""

    def write(name: str, data: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def editor(db: Any) -> Any:
    from tests.factories import UserFactory

    return UserFactory(role="policy_editor")


@pytest.fixture
def reviewer(db: Any) -> Any:
    from tests.factories import UserFactory

    return UserFactory(role="policy_reviewer")


@pytest.fixture
def contract_samples_dir() -> Path:
    if not (SAMPLES / "policies.yaml").exists():
        pytest.skip("contract samples not found beside the repository (../shared/contract-samples)")
    return SAMPLES
