"""The appeals of the demo city (`huiqi load_demo`): reference data and a year of appeals.

What it loads, each part only once (loading again creates nothing new):
* the two-level category tree, time-limit rules and routing rules to the demo departments
  (reference.py), handlers for the departments those rules lead to, and the 12345 platform's system
  account (appeals.api);
* a year of appeals up to now (default 4,000; none if the database already has appeals), across
  channels, kinds, categories, departments and enterprises of the registry, with seasons (tax in
  spring, power cuts in summer, pollution controls in winter) and two topics rising in the last
  weeks, so that the charts and hot topics show something. Texts are composed from phrases written
  for the project (texts.py). Each appeal's life is simulated (simulation.py) and bulk-written:
  direct replies, dispatch (automatic or by the dispatcher), returns, extensions, pauses, replies sent
  back, follow-ups (~95% satisfied or fairly satisfied), reopenings, closing without follow-up,
  merges; the latest are still in progress, in every state, some overdue;
* the metrics' facts and sums for them, the supervisions now due (the real service), and a
  classifier trained on the closed appeals (fast settings), whose suggestions are stored on every
  appeal so that dispatchers see them.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts import services as account_services
from huiqi.accounts.enums import Role
from huiqi.appeals import routing
from huiqi.appeals.demo import reference, texts
from huiqi.appeals.demo.simulation import Actors, Plan, Simulator, caller_name, compose_text
from huiqi.appeals.enums import Channel, Kind, Priority, TicketState
from huiqi.appeals.models import (
    Appeal,
    AppealNumberCounter,
    Category,
    Extension,
    FollowUp,
    Reply,
    RoutingRule,
    Ticket,
    TicketEvent,
    TimeLimitRule,
)
from huiqi.appeals.time_limits import compute_deadline, time_limit_for
from huiqi.core import workdays
from huiqi.core.audit import record_event

DEMO_PASSWORD = "Huiqi@2026demo"  # the same as accounts.demo
DEFAULT_COUNT = 4000
#: The demo classifier learns from the most recent closed appeals only: enough for the demo's
#: phrases, and training stays within seconds.
TRAINING_LIMIT = 2000

KIND_WEIGHTS: dict[str, float] = {
    Kind.CONSULTATION: 40,
    Kind.HELP: 30,
    Kind.COMPLAINT: 18,
    Kind.SUGGESTION: 8,
    Kind.PRAISE: 4,
}
CHANNEL_WEIGHTS: dict[str, float] = {Channel.HOTLINE: 58, Channel.WEB: 14, Channel.APP: 20, Channel.VISIT: 8}
#: Leaves asked about most (a base weight of 1 otherwise).
LEAF_WEIGHTS = {"ZCZX-SB": 3, "ZCZX-DX": 2.2, "SF-TS": 2, "SB-JF": 2, "SB-WG": 1.6, "YG-ZP": 1.6, "RZ-DK": 1.8,
                "SCJG-DJ": 2.2, "YSHJ-XL": 1.4, "YSHJ-QK": 1.2, "SDQ-YD": 1.4}  # fmt: skip


def seasonal(code: str, day: dt.date, days_before_now: int) -> float:
    """Seasons and rising topics (module docstring)."""
    m = day.month
    factor = 1.0
    if code.startswith("SF-") and m in (3, 4, 5):
        factor *= 1.8  # 企业所得税汇算清缴
    if code == "SB-JF" and m == 7:
        factor *= 2.0  # 社保缴费基数调整
    if code == "YG-ZP" and m in (2, 3):
        factor *= 2.2  # 节后招工
    if code == "SDQ-TD" and m in (7, 8):
        factor *= 2.5  # 迎峰度夏
    if code == "HB-ZF" and m in (11, 12, 1):
        factor *= 2.0  # 重污染天气应急
    if code == "YSHJ-QK" and (m in (12, 1) or days_before_now < 30):
        factor *= 2.2  # 年底清欠; rising now
    if code == "ZCZX-DX" and days_before_now < 45:
        factor *= 1.9  # rising now
    return factor


@dataclass
class DemoAppealsSummary:
    categories_created: int = 0
    time_limit_rules_created: int = 0
    routing_rules_created: int = 0
    users_created: int = 0
    appeals_created: int = 0
    states: Counter[str] = field(default_factory=Counter)
    classifier_version: str = ""
    classifier_macro_f1: float | None = None
    supervisions: int = 0
    accounts: list[Any] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        states = "，".join(f"{TicketState(s).label} {n}" for s, n in sorted(self.states.items()))
        text = (
            f"分类 {self.categories_created} 个、时限规则 {self.time_limit_rules_created} 条、派单规则 "
            f"{self.routing_rules_created} 条（新建）；诉求 {self.appeals_created} 件"
        )
        if states:
            text += f"（{states}）"
        if self.classifier_version:
            f1 = f"，交叉验证宏平均 F1 {self.classifier_macro_f1:.3f}" if self.classifier_macro_f1 else ""
            text += f"；分类模型 {self.classifier_version}{f1}"
        return text + f"；用时 {self.seconds:.1f} 秒"


# --- reference data ---------------------------------------------------------------------------------------


def _departments() -> dict[str, Any]:
    model = apps.get_model("accounts", "Department")
    return {d.code: d for d in model.objects.all()}


def load_reference(summary: DemoAppealsSummary) -> None:
    """Categories, time-limit rules, routing rules, extra handlers and the platform account."""
    for top_order, (code, name, children) in enumerate(reference.CATEGORIES):
        top, created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": top_order}
        )
        summary.categories_created += created
        for order, (child_code, child_name) in enumerate(children):
            _, created = Category.objects.get_or_create(
                code=child_code, defaults={"name": child_name, "parent": top, "sort_order": order}
            )
            summary.categories_created += created
    categories = {c.code: c for c in Category.objects.all()}
    for spec in reference.TIME_LIMITS:
        _, created = TimeLimitRule.objects.get_or_create(
            name=spec.name,
            defaults={
                "order": spec.order,
                "kind": spec.kind,
                "priority": spec.priority,
                "category": categories.get(spec.category) if spec.category else None,
                "limit_value": Decimal(spec.limit),
                "unit": spec.unit,
            },
        )
        summary.time_limit_rules_created += created
    departments = _departments()
    for route in reference.ROUTES:
        lead = departments.get(route.lead)
        if lead is None or RoutingRule.objects.filter(name=route.name).exists():
            continue
        rule = RoutingRule.objects.create(
            name=route.name,
            order=route.order,
            category=categories[route.category],
            region_prefix=route.region_prefix,
            red_list=route.red_list,
            size_class=route.size_class,
            industry_prefix=route.industry_prefix,
            lead_department=lead,
        )
        rule.assisting_departments.set([departments[c] for c in route.assisting if c in departments])
        summary.routing_rules_created += 1
    _load_accounts(summary, departments)
    if summary.categories_created or summary.routing_rules_created or summary.time_limit_rules_created:
        record_event(
            actor=None,
            action="appeals.demo_reference_loaded",
            object_type="appeals.category",
            object_repr="演示诉求分类与规则",
            after={
                "categories": summary.categories_created,
                "time_limit_rules": summary.time_limit_rules_created,
                "routing_rules": summary.routing_rules_created,
            },
        )


def _load_accounts(summary: DemoAppealsSummary, departments: dict[str, Any]) -> None:
    user_model = apps.get_model("accounts", "User")
    wanted = [(u, n, d, p, Role.HANDLER) for u, n, d, p in reference.EXTRA_HANDLERS]
    wanted.append(
        (
            reference.PLATFORM_USERNAME,
            reference.PLATFORM_FULL_NAME,
            reference.PLATFORM_DEPARTMENT,
            "",
            Role.AGENT,
        )
    )
    for username, full_name, code, phone, role in wanted:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            if code not in departments:
                continue
            user = account_services.create_staff_user(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                department=departments[code],
                full_name=full_name,
                phone=phone,
                email=f"{username}@jinan.gov.cn.example",
            )
            summary.users_created += 1
        summary.accounts.append(user)


# --- a year of appeals ----------------------------------------------------------------------------------


def _enterprise_pool(rng: random.Random, size: int) -> tuple[list[Any], list[Any]]:
    """(ordinary, red-list) enterprises of the demo city that file appeals."""
    model = apps.get_model("enterprises", "Enterprise")
    fields = ("id", "uscc", "name", "region_code", "industry_code", "red_list", "size_class", "contact_phone")
    active = model.objects.filter(status="active").only(*fields).order_by("uscc")
    red = list(active.filter(red_list=True)[:300])
    others = list(active.filter(red_list=False)[: size * 3])
    rng.shuffle(others)
    return others[:size], red


def _actors(departments: dict[str, Any]) -> Actors:
    staff = {u.username: u for u in account_selectors.active_staff(roles=list(Role.values))}
    handlers: dict[int, Any] = {}
    for user in account_selectors.active_staff(roles=[Role.HANDLER]):
        if user.department_id is not None:
            handlers.setdefault(user.department_id, user)
    agents = [u for u in staff.values() if u.role == Role.AGENT and u.username != reference.PLATFORM_USERNAME]
    membership = apps.get_model("accounts", "EnterpriseMembership")
    enterprise_users = {
        m.enterprise_id: m.user for m in membership.objects.select_related("user").order_by("id")
    }
    return Actors(
        agents=agents or [None],
        dispatcher=staff.get("dispatcher01")
        or next((u for u in staff.values() if u.role == Role.DISPATCHER), None),
        supervisor=staff.get("supervisor01")
        or next((u for u in staff.values() if u.role == Role.SUPERVISOR), None),
        leader=staff.get("leader01") or next((u for u in staff.values() if u.role == Role.LEADER), None),
        platform=staff.get(reference.PLATFORM_USERNAME),
        specialist=staff.get("specialist01")
        or next((u for u in staff.values() if u.role == Role.SPECIALIST), None),
        handlers=handlers,
        enterprise_users=enterprise_users,
        department_names={d.pk: d.name for d in departments.values()},
    )


def _registration_moments(rng: random.Random, count: int, now: dt.datetime) -> list[dt.datetime]:
    """`count` moments over the year before now: fewer on weekends and holidays, slowly growing."""
    today = timezone.localtime(now).date()
    days = [today - dt.timedelta(days=n) for n in range(365, -1, -1)]
    weights = []
    for index, day in enumerate(days):
        weight = 0.8 + 0.4 * index / len(days)
        if not workdays.is_working_day(day):
            weight *= 0.3
        weights.append(weight)
    moments = []
    for day in rng.choices(days, weights=weights, k=count):
        minute = int(rng.triangular(8 * 60, 21 * 60, 10 * 60 + 30))
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randint(0, 59)))
        moment = timezone.make_aware(local)
        moments.append(moment if moment < now else now - dt.timedelta(minutes=rng.randint(5, 90)))
    moments.sort()
    return moments


def _choose(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_plans(
    *, rng: random.Random, count: int, now: dt.datetime, departments: dict[str, Any], actors: Actors
) -> list[Plan]:
    leaves = {c.code: c for c in Category.objects.filter(parent__isnull=False).select_related("parent")}
    leaves = {code: c for code, c in leaves.items() if code in texts.LEAVES}
    rules = routing.active_rules()
    ordinary, red = _enterprise_pool(rng, 1200)
    zipf = [1 / (i + 1) ** 0.6 for i in range(len(ordinary))]
    handled_departments = [pk for pk in actors.handlers if pk in actors.department_names]
    limits: dict[tuple[str, int, str], Any] = {}
    last_by_enterprise: dict[int, int] = {}
    plans: list[Plan] = []
    external = 0
    for index, registered_at in enumerate(_registration_moments(rng, count, now)):
        day = timezone.localtime(registered_at).date()
        before_now = (timezone.localtime(now).date() - day).days
        codes = list(leaves)
        code = rng.choices(codes, [LEAF_WEIGHTS.get(c, 1.0) * seasonal(c, day, before_now) for c in codes])[0]
        siblings = [c for c in codes if c != code and c.split("-")[0] == code.split("-")[0]]
        problem_code = rng.choice(siblings) if siblings and rng.random() < 0.2 else None
        category = leaves[code]
        roll = rng.random()
        if roll < 0.015 and siblings:  # filed under a neighbouring category (the text reads otherwise)
            category = leaves[rng.choice(siblings)]
        elif roll < 0.03:  # filed under the first-level category only
            category = category.parent or category
        is_red = bool(red) and rng.random() < 0.09
        enterprise = None
        if rng.random() > 0.04:
            enterprise = rng.choice(red) if is_red else (rng.choices(ordinary, zipf)[0] if ordinary else None)
        kind_weights = dict(KIND_WEIGHTS)
        if code.startswith(("YSHJ", "SQSF")):
            kind_weights[Kind.COMPLAINT] *= 3.5
        if code.startswith(("ZCZX", "SF")):
            kind_weights[Kind.CONSULTATION] *= 1.6
        kind = _choose(rng, kind_weights)
        channel = _choose(rng, CHANNEL_WEIGHTS)
        if enterprise is not None and enterprise.red_list and rng.random() < 0.35:
            channel = Channel.MAYOR_LINE
        route = routing.first_match(rules, category=category, enterprise=enterprise)
        lead_name = route.lead_department.name if route.lead_department is not None else ""
        title, content = compose_text(
            rng=rng, code=code, kind=kind, department=lead_name, problem_code=problem_code
        )
        if enterprise is not None and rng.random() < 0.3:
            content = f"{enterprise.name}反映：{content}"
        priority = (
            Priority.HIGH
            if (enterprise is not None and enterprise.red_list) or channel == Channel.MAYOR_LINE
            else Priority.NORMAL
        )
        if rng.random() < 0.01:
            priority = Priority.URGENT
        key = (kind, category.pk, priority)
        if key not in limits:
            limits[key] = time_limit_for(kind=kind, category=category, priority=priority)
        limit = limits[key]
        registered_by, source_system, external_id = _registrar(rng, channel, enterprise, actors)
        if source_system:
            external += 1
            external_id = f"WX{timezone.localtime(registered_at):%Y%m%d}{external:06d}"
        deadline = compute_deadline(clock_started_at=registered_at, value=limit.value, unit=limit.unit)
        is_direct = channel != Channel.MAYOR_LINE and (
            rng.random() < (0.5 if kind == Kind.CONSULTATION else 0.03)
        )
        appeal = {
            "channel": channel, "kind": kind, "title": title, "content": content, "enterprise": enterprise,
            "caller_name": caller_name(rng),
            "caller_phone": (enterprise.contact_phone if enterprise is not None and channel == Channel.HOTLINE and enterprise.contact_phone
                             else f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"),
            "source_system": source_system, "external_id": external_id, "priority": priority,
            "is_red_list": bool(enterprise is not None and enterprise.red_list), "category": category,
            "is_direct_reply": is_direct, "registered_at": registered_at, "registered_by": registered_by,
            "closed_at": None, "leader_instruction": "", "instructed_by": None, "instructed_at": None,
        }  # fmt: skip
        ticket = {
            "state": TicketState.AWAITING_INSTRUCTION if channel == Channel.MAYOR_LINE else TicketState.AWAITING_DISPATCH,
            "lead_department_id": None, "time_limit_rule": limit.rule, "time_limit_value": limit.value,
            "time_limit_unit": limit.unit, "clock_started_at": registered_at, "deadline_at": deadline.deadline_at,
            "deadline_is_provisional": deadline.is_provisional, "warning_at": deadline.warning_at, "paused_at": None,
            "paused_hours": Decimal(0), "extension_days": Decimal(0), "dispatched_at": None, "accepted_at": None,
            "replied_at": None, "closed_at": None, "closure": "", "reopen_count": 0, "version": 1,
            "updated_at": registered_at,
        }  # fmt: skip
        lead_pk = route.lead_department.pk if route.lead_department is not None else None
        others = [pk for pk in handled_departments if pk != lead_pk]
        plan = Plan(
            appeal=appeal, ticket=ticket, category=category, enterprise=enterprise, limit=limit, route=route,
            other_department_id=rng.choice(others) if others else None,
            text_code=code,
        )  # fmt: skip
        if enterprise is not None:
            previous = last_by_enterprise.get(enterprise.pk)
            if (
                previous is not None
                and not is_direct
                and channel != Channel.MAYOR_LINE
                and rng.random() < 0.25
            ):
                target = plans[previous]
                closed = target.ticket["closed_at"]
                gap = registered_at - target.appeal["registered_at"]
                if gap < dt.timedelta(days=7) and (
                    closed is None or closed > registered_at + dt.timedelta(days=3)
                ):
                    plan.merge_into = previous
            last_by_enterprise[enterprise.pk] = index
        plans.append(plan)
    _force_recent_states(rng, plans, now)
    for plan in plans:
        Simulator(plan=plan, rng=rng, actors=actors, now=now).run()
    return plans


def _registrar(rng: random.Random, channel: str, enterprise: Any, actors: Actors) -> tuple[Any, str, str]:
    """(registered_by, source_system, external_id placeholder) by channel."""
    user = actors.enterprise_users.get(enterprise.pk) if enterprise is not None else None
    if channel == Channel.HOTLINE:
        return rng.choice(actors.agents), "", ""
    if channel == Channel.VISIT:
        return actors.specialist, "", ""
    if channel == Channel.MAYOR_LINE:
        return user, "", ""
    if user is not None and rng.random() < 0.7:
        return user, "", ""
    if actors.platform is not None:
        return actors.platform, reference.PLATFORM_USERNAME, "pending"
    return None, "demo", "pending"


def _force_recent_states(rng: random.Random, plans: list[Plan], now: dt.datetime) -> None:
    """The recent appeals stop in each state of the workflow, so every queue has something in it."""
    wanted = [
        TicketState.AWAITING_DISPATCH, TicketState.DISPATCHED, TicketState.ACCEPTED, TicketState.PAUSED,
        TicketState.REPLY_REVIEW, TicketState.REPLIED,
    ] * 3  # fmt: skip
    candidates = [
        p for p in plans
        if p.merge_into is None and not p.appeal["is_direct_reply"] and p.appeal["channel"] != Channel.MAYOR_LINE
    ][-len(wanted):]  # fmt: skip
    rng.shuffle(candidates)
    for plan in plans:
        if plan.appeal["registered_at"] >= now - dt.timedelta(days=30) and rng.random() < 0.12:
            plan.ticket["stuck"] = True
    for plan, state in zip(candidates, wanted, strict=False):
        plan.stop_state = state
        if state == TicketState.PAUSED:
            plan.ticket["force_pause"] = True
    mayor = [p for p in reversed(plans) if p.appeal["channel"] == Channel.MAYOR_LINE]
    if mayor:  # the newest mayor-line appeal waits for the leader's instruction
        mayor[0].stop_state = TicketState.AWAITING_INSTRUCTION


# --- writing ------------------------------------------------------------------------------------------------

_TICKET_FIELDS = (
    "state", "lead_department_id", "time_limit_rule", "time_limit_value", "time_limit_unit", "clock_started_at",
    "deadline_at", "deadline_is_provisional", "warning_at", "paused_at", "paused_hours", "extension_days",
    "dispatched_at", "accepted_at", "replied_at", "closed_at", "closure", "reopen_count", "version", "updated_at",
)  # fmt: skip


def write_plans(plans: list[Plan]) -> tuple[list[Appeal], list[Ticket]]:
    """Bulk-inserts the plans' rows, numbering appeals by day as intake does (QY + date + sequence)."""
    counters: Counter[dt.date] = Counter()
    appeals = []
    for plan in plans:
        a = dict(plan.appeal)
        day = timezone.localtime(a["registered_at"]).date()
        counters[day] += 1
        a["number"] = f"QY{day:%Y%m%d}-{counters[day]:06d}"
        a["external_id"] = a["external_id"] or None
        appeals.append(Appeal(**a))
    Appeal.objects.bulk_create(appeals, batch_size=1000)
    merged = []
    for plan, appeal in zip(plans, appeals, strict=True):
        if plan.merge_into is not None and plan.ticket["closure"] == "merged":
            appeal.merged_into_id = appeals[plan.merge_into].pk
            merged.append(appeal)
    Appeal.objects.bulk_update(merged, ["merged_into"], batch_size=1000)
    tickets = [
        Ticket(appeal=appeal, **{k: plan.ticket[k] for k in _TICKET_FIELDS})
        for plan, appeal in zip(plans, appeals, strict=True)
    ]
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    Ticket.objects.bulk_update(tickets, ["updated_at"], batch_size=1000)  # auto_now set "now" on insert
    through = Ticket.assisting_departments.through
    through.objects.bulk_create(
        [
            through(ticket_id=ticket.pk, department_id=pk)
            for plan, ticket in zip(plans, tickets, strict=True)
            if ticket.lead_department_id
            for pk in plan.assisting
        ],
        batch_size=2000,
    )
    events, replies, extensions = [], [], []
    for plan, ticket in zip(plans, tickets, strict=True):
        events += [
            TicketEvent(
                ticket=ticket, action=e["action"], from_state=e["from_state"], to_state=e["to_state"],
                actor=e["actor"], role=e["role"], department_id=e["department_id"], reason=e["reason"],
                at=e["at"], data=_jsonable(e["data"]),
            )
            for e in plan.events
        ]  # fmt: skip
        plan_replies = [Reply(ticket=ticket, **r) for r in plan.replies]
        replies.append(plan_replies)
        extensions += [Extension(ticket=ticket, **x) for x in plan.extensions]
    TicketEvent.objects.bulk_create(events, batch_size=2000)
    Reply.objects.bulk_create([r for group in replies for r in group], batch_size=2000)
    Extension.objects.bulk_create(extensions, batch_size=2000)
    follow_ups = []
    for plan, ticket, plan_replies in zip(plans, tickets, replies, strict=True):
        for f in plan.follow_ups:
            row = {k: v for k, v in f.items() if k != "reply_index"}
            reply = plan_replies[f["reply_index"]] if 0 <= f["reply_index"] < len(plan_replies) else None
            follow_ups.append(FollowUp(ticket=ticket, reply=reply, **row))
    FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
    for day, value in counters.items():
        counter, _ = AppealNumberCounter.objects.get_or_create(day=day)
        if counter.last_value < value:
            counter.last_value = value
            counter.save(update_fields=["last_value"])
    return appeals, tickets


def _jsonable(value: Any) -> Any:
    from huiqi.core.audit import to_jsonable

    return to_jsonable(value)


def fill_metrics() -> None:
    """The metrics' facts and sums, computed in bulk (the per-ticket refresh after each transition
    would take minutes for a year)."""
    from huiqi.appeals.metrics import facts, rebuild

    facts.rebuild_appeal_facts()
    rebuild.rebuild_appeal_sums()


def train_demo_classifier(summary: DemoAppealsSummary) -> None:
    """Trains the classifier on the closed demo appeals (unless one is active) and stores its
    suggestion on every appeal, as the registration task would have."""
    from huiqi.appeals import classification

    version = classification.active_version()
    if version is None:
        samples, labels = classification.training_data_from_database(limit=TRAINING_LIMIT)
        counts = Counter(labels)  # cross-validation needs a few examples of each category
        kept = [(t, label) for t, label in zip(samples, labels, strict=True) if counts[label] >= 3]
        if len({label for _, label in kept}) < 2 or len(kept) < classification.MIN_SAMPLES:
            return
        samples, labels = [t for t, _ in kept], [label for _, label in kept]
        version = classification.train_classifier(
            actor=None, texts=samples, labels=labels, source="database", config=classification.fast_config()
        )
    summary.classifier_version = version.version
    summary.classifier_macro_f1 = version.macro_f1
    appeals = list(Appeal.objects.filter(classifier_version="").only("id", "title", "content").order_by("id"))
    if not appeals:
        return
    table = classification.label_table()
    suggestions = classification.classify_texts(
        [classification.appeal_text(a) for a in appeals], version=version
    )
    for appeal, s in zip(appeals, suggestions, strict=True):
        category = table.get(s.label)
        appeal.suggested_category = category
        appeal.confidence = Decimal(str(round(min(max(s.confidence, 0.0), 1.0), 4))) if category else None
        appeal.top3 = [
            {"category": table[label].code, "confidence": round(c, 4)}
            for label, c in s.top3
            if label in table
        ]
        appeal.classifier_version = version.version
    Appeal.objects.bulk_update(
        appeals, ["suggested_category", "confidence", "top3", "classifier_version"], batch_size=1000
    )


def load_demo_appeals(
    *,
    count: int = DEFAULT_COUNT,
    seed: int = 2026,
    now: dt.datetime | None = None,
    train: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DemoAppealsSummary:
    """Loads (or completes) the demo appeals (module docstring); `count` 0 loads reference data only."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    summary = DemoAppealsSummary()
    load_reference(summary)
    if count > 0 and not Appeal.objects.exists():
        now = now or timezone.now()
        rng = random.Random(seed)
        departments = _departments()
        say("模拟一年的诉求")
        plans = build_plans(
            rng=rng, count=count, now=now, departments=departments, actors=_actors(departments)
        )
        say("写入诉求与工单")
        with transaction.atomic():
            appeals, tickets = write_plans(plans)
            record_event(
                actor=None,
                action="appeals.demo_loaded",
                object_type="appeals.appeal",
                object_repr="演示诉求",
                after={
                    "appeals": len(appeals),
                    "from": appeals[0].registered_at,
                    "to": appeals[-1].registered_at,
                },
            )
        summary.appeals_created = len(appeals)
        summary.states = Counter(t.state for t in tickets)
        say("计算统计数据")
        fill_metrics()
        from huiqi.appeals import services

        summary.supervisions = sum(
            len(v) for v in services.supervise_overdue_tickets(now=now).created.values()
        )
    if train and Appeal.objects.filter(ticket__state=TicketState.CLOSED).exists():
        say("训练分类模型")
        train_demo_classifier(summary)
    summary.seconds = time.monotonic() - started
    return summary
