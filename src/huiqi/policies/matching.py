"""Matching (智能匹配): enterprises of the registry against the items in force on a date.

Two paths over the same rules engine, which must agree (tests/policies/test_matching.py checks it):

* `match_all`: every enterprise (or one) against every item in force (or one), vectorised by
  :mod:`huiqi.rules.polars_eval` over a Polars frame of the registry built by `registry_frame`.
  This is what `huiqi match_policies` writes and what the all-against-all job stores.
* `match_enterprise`: one enterprise against every item in force, with the explanation trace of
  :mod:`huiqi.rules.evaluate` (what it meets, what it lacks: "研发费用占比需 ≥ 4%，当前 2.1%").

Reading the registry: `registry_frame` reads only the columns the items need, with keyset pagination
(`id > last ORDER BY id LIMIT n`), so memory for Python objects stays bounded by one chunk and the
same code runs on SQLite and PostgreSQL; the frame itself holds typed, columnar data (1.5 million rows
of the contract's columns take a few hundred MB). The enterprises app has no bulk-read selector yet,
so its model is looked up through the app registry (no import of its models module).

Which enterprises: every enterprise in the registry, whatever its status (DATA-CONTRACT.md section 3:
"for every enterprise in the registry"). Derived facts: `size_class` as stored on the enterprise
(国统字〔2017〕213号, computed by the enterprises app); `age_years` and `rd_ratio` as of the
evaluation date, by :mod:`huiqi.rules.derived` (single) or its Polars twin (bulk).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
from django.apps import apps

from huiqi.core.errors import NotFoundError
from huiqi.policies.item_file import stored_rules
from huiqi.policies.models import PolicyItemVersion
from huiqi.policies.selectors import effective_versions, get_item
from huiqi.rules import derived, polars_eval
from huiqi.rules.evaluate import Result, evaluate
from huiqi.rules.fields import DEFAULT_REGISTRY
from huiqi.rules.profile import Profile
from huiqi.rules.schema import ItemRules

if TYPE_CHECKING:
    from huiqi.enterprises.models import Enterprise

MONEY = pl.Decimal(20, 2)
#: Registry columns readable by rules, with their Polars types (DATA-CONTRACT.md section 1).
PROFILE_COLUMNS: dict[str, pl.DataType] = {
    "uscc": pl.String(),
    "name": pl.String(),
    "region_code": pl.String(),
    "industry_code": pl.String(),
    "established_on": pl.Date(),
    "ownership": pl.String(),
    "registered_capital": MONEY,
    "employees": pl.Int64(),
    "revenue": MONEY,
    "total_assets": MONEY,
    "tax_paid": MONEY,
    "rd_expense": MONEY,
    "tags": pl.String(),
    "red_list": pl.Boolean(),
    "contact_phone": pl.String(),
    "size_class": pl.String(),
}
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "age_years": ("established_on",),
    "rd_ratio": ("rd_expense", "revenue"),
}
DERIVED_DTYPE = pl.Decimal(38, 12)
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "uscc": pl.String(),
    "item_code": pl.String(),
    "status": pl.String(),
    "amount": pl.Decimal(38, 2),
}
CHUNK_SIZE = 50_000


def _enterprise_model() -> Any:
    return apps.get_model("enterprises", "Enterprise")


def _columns_for(fields: Iterable[str] | None) -> list[str]:
    if fields is None:
        return list(PROFILE_COLUMNS)
    wanted = {"uscc"}
    for name in fields:
        if name in PROFILE_COLUMNS:
            wanted.add(name)
        wanted.update(DERIVED_INPUTS.get(name, ()))
    return [name for name in PROFILE_COLUMNS if name in wanted]


def registry_frame(
    *,
    as_of: date,
    fields: Iterable[str] | None = None,
    uscc: str | None = None,
    with_derived: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> pl.DataFrame:
    """Every enterprise's profile as a Polars frame: `enterprise_id`, `uscc`, the profile columns.

    `fields` limits the columns to what some rules read (default: every column of the registry);
    `tags` is a list of text; with `with_derived`, `age_years` (as of `as_of`) and `rd_ratio` are
    added as Decimal(38, 12) columns, computed exactly as huiqi.rules.derived does.
    """
    names = list(fields) if fields is not None else [*PROFILE_COLUMNS, *DERIVED_INPUTS]
    columns = _columns_for(names)
    schema = {"enterprise_id": pl.Int64(), **{name: PROFILE_COLUMNS[name] for name in columns}}
    queryset = _enterprise_model().objects.order_by("id")
    if uscc is not None:
        queryset = queryset.filter(uscc=uscc)
    frames = []
    last_id = 0
    while True:
        rows = list(queryset.filter(id__gt=last_id).values_list("id", *columns)[:chunk_size])
        if not rows:
            break
        frames.append(pl.DataFrame(rows, schema=schema, orient="row"))
        last_id = rows[-1][0]
        if len(rows) < chunk_size:
            break
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    if "tags" in frame.columns:
        frame = frame.with_columns(
            pl.col("tags").fill_null("").str.split(";").list.eval(pl.element().filter(pl.element() != ""))
        )
    wanted_derived = [name for name in DERIVED_INPUTS if name in names]
    if with_derived and wanted_derived:
        prepared = polars_eval.prepare_frame(frame.lazy(), as_of=as_of)
        fixed = [
            (pl.col(polars_eval.fixed_column(name)).cast(pl.Decimal(38, 0)) * pl.lit(Decimal("1e-12")))
            .cast(DERIVED_DTYPE)
            .alias(name)
            for name in wanted_derived
        ]
        frame = pl.concat([frame, prepared.select(fixed).collect()], how="horizontal")
    return frame


def compiled_rules(versions: Sequence[PolicyItemVersion]) -> dict[str, ItemRules]:
    """Each version's rules by item code (a published version always validates)."""
    return {version.item.code: stored_rules(version.eligibility, version.reward) for version in versions}


def _normalized_uscc(uscc: str) -> str:
    return "".join(uscc.split()).upper()


def evaluate_versions(
    *,
    versions: Sequence[PolicyItemVersion],
    as_of: date,
    uscc: str | None = None,
    statuses: Sequence[str] | None = None,
    id_column: str = "uscc",
) -> pl.DataFrame:
    """`id_column, item_code, status, amount` for these versions over the registry (or one enterprise)."""
    items = compiled_rules(versions)
    if not items:
        id_type = pl.Int64() if id_column == "enterprise_id" else pl.String()
        rest = {name: dtype for name, dtype in RESULT_SCHEMA.items() if name != "uscc"}
        return pl.DataFrame(schema={id_column: id_type, **rest})
    needed: set[str] = set()
    for rules in items.values():
        needed.update(rules.fields())
    frame = registry_frame(as_of=as_of, fields=needed, uscc=uscc, with_derived=False)
    result = polars_eval.evaluate_items(
        frame, items, id_column=id_column, registry=DEFAULT_REGISTRY, as_of=as_of, statuses=statuses
    )
    return result.with_columns(pl.col("status").cast(pl.String), pl.col("amount").cast(pl.Decimal(38, 2)))


def match_all(
    *,
    as_of: date,
    item_code: str | None = None,
    uscc: str | None = None,
    statuses: Sequence[str] | None = None,
) -> pl.DataFrame:
    """`uscc, item_code, status, amount` for every enterprise against every item in force on `as_of`.

    `item_code` / `uscc` limit it to one item / one enterprise (NotFoundError if it does not exist;
    an item that exists but is not in force on `as_of` yields no rows). `statuses` keeps only those
    results (default: all three). Amounts are Decimal yuan to the fen, null when there is none.
    """
    if item_code is not None:
        get_item(code=item_code)
    code = None
    if uscc is not None:
        code = _normalized_uscc(uscc)
        if not _enterprise_model().objects.filter(uscc=code).exists():
            raise NotFoundError(f"市场主体库中没有统一社会信用代码为 {code} 的企业。", field="uscc")
    versions = effective_versions(as_of=as_of, item_code=item_code)
    return evaluate_versions(versions=versions, as_of=as_of, uscc=code, statuses=statuses)


@dataclass(frozen=True)
class ItemMatch:
    """One item's result for one enterprise, with the engine's explanation (`result.trace`)."""

    version: PolicyItemVersion
    result: Result

    @property
    def item_code(self) -> str:
        return self.version.item.code

    @property
    def title(self) -> str:
        return self.version.title

    @property
    def status(self) -> str:
        return self.result.status.value

    @property
    def amount(self) -> Decimal | None:
        return self.result.amount

    @property
    def explanation(self) -> str:
        return self.result.explanation


def enterprise_profile(enterprise: Enterprise, *, as_of: date) -> Profile:
    """The facts the rules read about one enterprise, with its derived facts as of `as_of`."""
    facts: dict[str, Any] = {name: getattr(enterprise, name, None) for name in PROFILE_COLUMNS}
    facts["age_years"] = derived.age_years(enterprise.established_on, as_of) if enterprise.established_on else None
    facts["rd_ratio"] = derived.rd_ratio(enterprise.rd_expense, enterprise.revenue)
    return Profile(facts)


_STATUS_ORDER = {"eligible": 0, "needs_info": 1, "ineligible": 2}


def match_enterprise(*, enterprise: Enterprise, as_of: date, explain: bool = True) -> list[ItemMatch]:
    """One enterprise against every item in force on `as_of`, with explanations.

    Ordered: eligible first (largest amount first), then needs_info, then ineligible; by code within.
    """
    profile = enterprise_profile(enterprise, as_of=as_of)
    matches = [
        ItemMatch(version, evaluate(stored_rules(version.eligibility, version.reward), profile, explain_result=explain))
        for version in effective_versions(as_of=as_of)
    ]
    return sorted(
        matches,
        key=lambda match: (_STATUS_ORDER[match.status], -(match.amount or Decimal(0)), match.item_code),
    )
