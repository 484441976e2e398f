"""Routing (派单规则): which department leads an appeal's ticket, and which assist.

Why it is separate from classification (issue 3, "kept apart, as the best peers do"; Signalen does
the same): the classifier answers "what is this about" from the text and is retrained from history;
routing answers "who handles that here" and is a table administrators edit when responsibilities
move between bureaus (机构改革), without retraining anything. The table is `RoutingRule`: ordered,
first match wins, every empty condition matches anything.

Conditions of a rule, all of which must hold:
* category: the appeal's category, or its first-level parent (a rule on 税费 covers 税费 > 退税);
* region prefix: the enterprise's region code (GB/T 2260) starts with it (370102 = 历下区);
* red list: the enterprise is (or is not) on the red list;
* size class: the enterprise's size (国统字〔2017〕213号);
* industry prefix: the enterprise's industry code (GB/T 4754) starts with it.
A rule with any enterprise condition does not match an appeal without an enterprise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from huiqi.appeals.models import Appeal, Category, RoutingRule

if TYPE_CHECKING:
    from huiqi.accounts.models import Department


@dataclass(frozen=True)
class RouteSuggestion:
    """The departments a rule names; `rule` None (and no departments) when no rule matched."""

    lead_department: Department | None
    assisting_departments: tuple[Department, ...] = field(default_factory=tuple)
    rule: RoutingRule | None = None

    @property
    def is_found(self) -> bool:
        return self.lead_department is not None


NO_ROUTE = RouteSuggestion(lead_department=None)


def rule_matches(rule: RoutingRule, *, category: Category | None, enterprise: Any | None) -> bool:
    """Whether every condition of `rule` holds (module docstring)."""
    if rule.category_id is not None and (
        category is None or rule.category_id not in (category.pk, category.parent_id)
    ):
        return False
    wants_enterprise = (
        rule.region_prefix or rule.red_list is not None or rule.size_class or rule.industry_prefix
    )
    if not wants_enterprise:
        return True
    if enterprise is None:
        return False
    if rule.region_prefix and not (enterprise.region_code or "").startswith(rule.region_prefix):
        return False
    if rule.red_list is not None and bool(enterprise.red_list) != rule.red_list:
        return False
    if rule.size_class and enterprise.size_class != rule.size_class:
        return False
    return not (
        rule.industry_prefix and not (enterprise.industry_code or "").startswith(rule.industry_prefix)
    )


def active_rules() -> list[RoutingRule]:
    """The active rules in order, with their departments (a few hundred rows at most)."""
    return list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("lead_department")
        .prefetch_related("assisting_departments")
        .order_by("order", "id")
    )


def first_match(
    rules: Iterable[RoutingRule], *, category: Category | None, enterprise: Any | None
) -> RouteSuggestion:
    """The suggestion of the first matching rule whose lead department is active (a rule pointing at a
    department that has been closed is skipped, so the next rule still routes the appeal)."""
    for rule in rules:
        if not rule.lead_department.is_active:
            continue
        if rule_matches(rule, category=category, enterprise=enterprise):
            assisting = tuple(
                d for d in rule.assisting_departments.all() if d.is_active and d.pk != rule.lead_department_id
            )
            return RouteSuggestion(
                lead_department=rule.lead_department, assisting_departments=assisting, rule=rule
            )
    return NO_ROUTE


def suggest_route(*, appeal: Appeal, category: Category | None = None) -> RouteSuggestion:
    """The route of `appeal` by the first matching rule: for `category` if given (the classifier's
    suggestion), else the appeal's own category. NO_ROUTE when no rule matches."""
    chosen = category if category is not None else appeal.category
    return first_match(active_rules(), category=chosen, enterprise=appeal.enterprise)
