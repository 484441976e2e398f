"""Random but realistic policy items for the matching benchmarks (DATA-CONTRACT.md section 2).

The items are modelled on the kinds the cities publish and on the demo items
(src/huiqi/policies/demo_data): a region condition (the city, one district or a few), one theme
(start-up grant, 高新技术企业 award, R&D post-subsidy, 专精特新, tax contribution, headquarters,
digital economy, manufacturing upgrade, employment, loan interest, rent, foreign trade), an optional
extra condition drawn from the whole field registry, nested ``any``/``not`` groups, and the usual
exclusion of 失信被执行人. Thresholds are the round figures policies use (500万元, 0.03, 50人...), drawn at
random, so many leaves recur across items as they do in a real library. Rewards are fixed amounts,
formulas (``round(rd_expense * 0.05)``, ``min(tax_paid * 0.2, 1000000)``, ...) or tiers, with caps.

Every item is validated by the engine (huiqi.rules.parse_item_rules) before it is returned.

    .venv/bin/python benchmarks/policy_items.py --count 500 --output /tmp/items.json
    .venv/bin/python benchmarks/policy_items.py --count 500 --yaml /tmp/items.yaml   # for import_policies
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from huiqi.rules.schema import parse_item_rules

WAN = 10_000
DISTRICTS = [
    "370102",
    "370103",
    "370104",
    "370105",
    "370112",
    "370113",
    "370114",
    "370115",
    "370116",
    "370117",
    "370124",
    "370126",
]
TECH_TAGS = ["高新技术企业", "科技型中小企业", "专精特新中小企业", "瞪羚企业"]
DISHONEST = "失信被执行人"
REVENUE = [300 * WAN, 500 * WAN, 1000 * WAN, 2000 * WAN, 5000 * WAN, 10000 * WAN, 20000 * WAN, 50000 * WAN]
TAX = [10 * WAN, 20 * WAN, 50 * WAN, 100 * WAN, 200 * WAN, 500 * WAN, 1000 * WAN]
RD = [10 * WAN, 20 * WAN, 50 * WAN, 100 * WAN, 200 * WAN, 500 * WAN]
RD_RATIO = [0.02, 0.03, 0.04, 0.05, 0.06]
EMPLOYEES = [5, 10, 20, 50, 100, 200, 300, 500, 1000]
CAPITAL = [50 * WAN, 100 * WAN, 500 * WAN, 1000 * WAN, 5000 * WAN, 10000 * WAN]
ASSETS = [500 * WAN, 1000 * WAN, 5000 * WAN, 10000 * WAN, 40000 * WAN]
FIXED = [5000, 10000, 20000, 30000, 50000, 100000, 200000, 300000, 500000, 1000000]
CAPS = [50000, 100000, 200000, 300000, 500000, 1000000, 2000000]
INDUSTRIES = {
    "manufacturing": ["C"],
    "equipment": ["C34", "C35", "C38", "C39", "C40"],
    "digital": ["I63", "I64", "I65"],
    "research": ["M73", "M74", "M75"],
    "trade": ["F51", "F52"],
    "services": ["H61", "H62", "L72", "O80"],
    "pharma": ["C27", "C35"],
}


def _leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    leaf: dict[str, Any] = {"field": field, "op": op}
    if op not in ("is_null", "is_not_null"):
        leaf["value"] = value
    return leaf


class ItemGenerator:
    """Draws items from a seeded random source (the same seed gives the same items)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def pick(self, values: list[Any]) -> Any:
        return self.random.choice(values)

    def chance(self, probability: float) -> bool:
        return self.random.random() < probability

    # ----------------------------------------------------------------- conditions
    def region(self) -> dict[str, Any] | None:
        draw = self.random.random()
        if draw < 0.45:
            return _leaf("region_code", "starts_with", "3701")
        if draw < 0.70:
            return _leaf("region_code", "eq", self.pick(DISTRICTS))
        if draw < 0.85:
            return _leaf(
                "region_code", "in", sorted(self.random.sample(DISTRICTS, self.random.randint(2, 4)))
            )
        if draw < 0.92:
            return _leaf("region_code", "starts_with", sorted(self.random.sample(DISTRICTS, 2)))
        return None  # a provincial item: the whole registry

    def industry(self, kind: str | None = None) -> dict[str, Any]:
        prefixes = INDUSTRIES[kind or self.pick(list(INDUSTRIES))]
        return _leaf("industry_code", "starts_with", prefixes if len(prefixes) > 1 else prefixes[0])

    def number(self, field: str) -> dict[str, Any]:
        table = {
            "revenue": REVENUE,
            "tax_paid": TAX,
            "rd_expense": RD,
            "rd_ratio": RD_RATIO,
            "employees": EMPLOYEES,
            "registered_capital": CAPITAL,
            "total_assets": ASSETS,
        }[field]
        draw = self.random.random()
        if draw < 0.75:
            return _leaf(field, self.pick(["ge", "ge", "gt"]), self.pick(table))
        if draw < 0.9:
            return _leaf(field, self.pick(["le", "lt"]), self.pick(table))
        low, high = sorted(self.random.sample(table, 2))
        return _leaf(field, "between", [low, high])

    def size(self) -> dict[str, Any]:
        draw = self.random.random()
        if draw < 0.7:
            choices = [
                ["micro", "small"],
                ["small", "medium"],
                ["micro", "small", "medium"],
                ["medium", "large"],
            ]
            return _leaf("size_class", "in", self.pick(choices))
        if draw < 0.85:
            return _leaf("size_class", "eq", self.pick(["large", "medium", "small"]))
        return _leaf("size_class", "not_in", ["large"])

    def age(self) -> dict[str, Any]:
        draw = self.random.random()
        if draw < 0.6:
            return _leaf("age_years", self.pick(["lt", "le"]), self.pick([1, 2, 3, 5, 8, 10]))
        if draw < 0.8:
            return _leaf("age_years", "ge", self.pick([1, 2, 3, 5]))
        low = self.pick([0, 1, 2])
        return _leaf("age_years", "between", [low, low + self.pick([3, 5])])

    def tags(self) -> dict[str, Any]:
        draw = self.random.random()
        if draw < 0.55:
            return _leaf("tags", "contains", self.pick([*TECH_TAGS, "规上企业"]))
        if draw < 0.85:
            return _leaf(
                "tags", "contains_any", sorted(self.random.sample(TECH_TAGS, self.random.randint(2, 3)))
            )
        return _leaf(
            "tags", "contains_all", ["高新技术企业", self.pick(["首次认定", "规上企业", "瞪羚企业"])]
        )

    def extra(self) -> dict[str, Any]:
        """One more condition from anywhere in the registry."""
        draw = self.random.random()
        if draw < 0.35:
            return self.number(
                self.pick(["revenue", "tax_paid", "employees", "registered_capital", "total_assets"])
            )
        if draw < 0.5:
            return self.size()
        if draw < 0.62:
            return self.age()
        if draw < 0.72:
            if self.chance(0.5):
                return _leaf("ownership", "in", ["private", "hmt", "foreign"])
            return _leaf("ownership", "ne", "state")
        if draw < 0.8:
            return _leaf(
                "established_on",
                self.pick(["ge", "lt"]),
                self.pick(["2016-01-01", "2020-01-01", "2023-01-01"]),
            )
        if draw < 0.86:
            return _leaf("red_list", "eq", True)
        if draw < 0.92:
            return self.industry()
        return _leaf(self.pick(["contact_phone", "tax_paid", "total_assets"]), "is_not_null")

    def alternatives(self, *options: dict[str, Any]) -> dict[str, Any]:
        return {"any": list(options)}

    def theme(self) -> tuple[str, list[dict[str, Any]]]:
        kind = self.pick(
            [
                "startup",
                "hightech",
                "rd",
                "specialised",
                "tax",
                "headquarters",
                "digital",
                "manufacturing",
                "employment",
                "loan",
                "rent",
                "foreign",
            ]
        )
        if kind == "startup":
            conditions = [self.age(), self.size()]
            if self.chance(0.5):
                conditions.append(self.number("employees"))
        elif kind == "hightech":
            conditions = [self.tags() if self.chance(0.4) else _leaf("tags", "contains", "高新技术企业")]
            if self.chance(0.5):
                conditions.append(self.alternatives(self.number("revenue"), self.number("rd_expense")))
        elif kind == "rd":
            conditions = [
                _leaf("tags", "contains_any", sorted(self.random.sample(TECH_TAGS, 2))),
                self.number("rd_expense"),
                _leaf("rd_ratio", "ge", self.pick(RD_RATIO)),
            ]
        elif kind == "specialised":
            conditions = [_leaf("tags", "contains", "专精特新中小企业"), self.number("revenue")]
            if self.chance(0.5):
                conditions.append(self.size())
        elif kind == "tax":
            conditions = [
                _leaf("tax_paid", "ge", self.pick(TAX)),
                self.alternatives(self.number("revenue"), self.number("employees")),
            ]
        elif kind == "headquarters":
            conditions = [
                _leaf("registered_capital", "ge", self.pick(CAPITAL[2:])),
                _leaf("revenue", "ge", self.pick(REVENUE[3:])),
                {"not": self.industry("trade")},
            ]
        elif kind == "digital":
            conditions = [self.industry("digital"), self.number("revenue")]
            if self.chance(0.4):
                conditions.append(
                    self.alternatives(_leaf("tags", "contains", "高新技术企业"), self.number("rd_expense"))
                )
        elif kind == "manufacturing":
            conditions = [
                self.industry(self.pick(["manufacturing", "equipment", "pharma"])),
                _leaf("tags", "contains", "规上企业"),
                self.number("total_assets"),
            ]
        elif kind == "employment":
            low = self.pick(EMPLOYEES[:5])
            conditions = [_leaf("employees", "between", [low, low * self.pick([5, 10, 20])]), self.size()]
        elif kind == "loan":
            conditions = [
                _leaf("size_class", "in", ["micro", "small"]),
                _leaf("ownership", "in", ["private", "hmt", "foreign"]),
                {
                    "not": {
                        "any": [
                            _leaf("red_list", "eq", False),
                            _leaf("revenue", "lt", self.pick(REVENUE[:3])),
                        ]
                    }
                }
                if self.chance(0.3)
                else self.number("revenue"),
            ]
        elif kind == "rent":
            conditions = [_leaf("age_years", "lt", self.pick([2, 3, 5])), self.industry()]
            if self.chance(0.5):
                conditions.append(
                    self.alternatives(self.tags(), {"all": [self.size(), self.number("employees")]})
                )
        else:
            conditions = [
                _leaf("ownership", "in", ["foreign", "hmt"]),
                self.number("revenue"),
            ]
        return kind, conditions

    def eligibility(self) -> tuple[str, dict[str, Any]]:
        kind, conditions = self.theme()
        region = self.region()
        if region is not None:
            conditions.insert(0, region)
        if self.chance(0.35):
            conditions.append(self.extra())
        if self.chance(0.15):
            conditions.append(self.alternatives(self.extra(), self.extra()))
        if self.chance(0.6):
            conditions.append({"not": _leaf("tags", "contains", DISHONEST)})
        elif self.chance(0.3):
            conditions.append(
                {"not": {"any": [_leaf("tags", "contains", DISHONEST), _leaf("size_class", "eq", "large")]}}
            )
        return kind, {"all": conditions}

    # -------------------------------------------------------------------- rewards
    def formula(self, kind: str) -> str:
        by_kind = {
            "rd": ["rd_expense * 0.05", "round(rd_expense * 0.1)", "max(rd_expense * 0.03, 50000)"],
            "tax": ["min(tax_paid * 0.2, 1000000)", "round(tax_paid * 0.1 + 20000)", "tax_paid * 0.05"],
            "employment": ["employees * 1000", "min(employees * 2000, 500000)"],
            "headquarters": ["round(registered_capital * 0.01)", "round((revenue - 10000000) * 0.002, 2)"],
        }
        pool = by_kind.get(kind) or [
            "round(revenue * 0.001)",
            "revenue * 0.0005",
            "round(revenue / 1000, 2)",
            "min(revenue * 0.002, tax_paid * 0.5)",
            "employees * 500 + 10000",
        ]
        return self.pick(pool)

    def amount(self, kind: str) -> dict[str, Any]:
        if self.chance(0.5):
            return {"fixed": self.pick(FIXED)}
        return {"formula": self.formula(kind)}

    def reward(self, kind: str) -> dict[str, Any] | None:
        draw = self.random.random()
        if draw < 0.05:
            return None  # a non-monetary item (e.g. 认定, a right to apply)
        if draw < 0.35:
            reward: dict[str, Any] = {"fixed": self.pick(FIXED)}
        elif draw < 0.7:
            reward = {"formula": self.formula(kind)}
            if self.chance(0.7):
                reward["cap"] = self.pick(CAPS)
        else:
            field = self.pick(["revenue", "revenue", "tax_paid", "employees", "size_class"])
            if field == "size_class":
                whens = [_leaf("size_class", "eq", "large"), _leaf("size_class", "in", ["medium", "small"])]
            else:
                table = {"revenue": REVENUE, "tax_paid": TAX, "employees": EMPLOYEES}[field]
                thresholds = sorted(self.random.sample(table, self.random.randint(2, 4)), reverse=True)
                whens = [_leaf(field, "ge", threshold) for threshold in thresholds]
            reward = {"tiers": [{"when": when, **self.amount(kind)} for when in whens]}
            if self.chance(0.4):
                reward["cap"] = self.pick(CAPS)
        return reward

    def item(self, index: int) -> dict[str, Any]:
        kind, eligibility = self.eligibility()
        item: dict[str, Any] = {"code": f"BENCH-{index:04d}", "kind": kind, "eligibility": eligibility}
        reward = self.reward(kind)
        if reward is not None:
            item["reward"] = reward
        return item


def generate_items(count: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` items (mappings with code, kind, eligibility and reward), each validated."""
    generator = ItemGenerator(seed)
    items = [generator.item(index) for index in range(count)]
    for item in items:
        parse_item_rules(item)  # raises RuleValidationError with the path of any fault
    return items


def item_file(items: list[dict[str, Any]]) -> str:
    """The items as a DATA-CONTRACT.md section-2 file for ``huiqi import_policies`` (in force since 2020)."""
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True  # the importer refuses YAML aliases

    records = [
        {
            "code": item["code"],
            "title": f"基准测试条目 {item['code']}（{item['kind']}）",
            "policy": "基准测试政策文件",
            "level": "city",
            "region_code": "370100",
            "department": "基准测试部门",
            "effective_from": "2020-01-01",
            "eligibility": item["eligibility"],
            **({"reward": item["reward"]} if "reward" in item else {}),
        }
        for item in items
    ]
    return yaml.dump(records, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="JSON (code, kind, eligibility, reward)")
    parser.add_argument("--yaml", type=Path, help="a policy item file for huiqi import_policies")
    args = parser.parse_args()
    items = generate_items(args.count, seed=args.seed)
    if args.yaml:
        args.yaml.write_text(item_file(json.loads(json.dumps(items))), encoding="utf-8")
        return
    text = json.dumps(items, ensure_ascii=False, indent=1)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
