"""factory_boy factories of the appeals app, with state traits.

    CategoryFactory()                      a first-level category; CategoryFactory(child=True) a second-level one
    AppealFactory()                        a hotline help appeal of a new enterprise, registered now
    TicketFactory(state="accepted")        a ticket in any state with the data that state implies: a lead
                                           department from `dispatched` on, a pending reply in
                                           `reply_review`, an approved reply from `replied` on, closure...
    TicketFactory(overdue=True)            accepted, registered 30 days ago: past its deadline
    TicketFactory(warned=True)             accepted, past 80% of its limit but not overdue
    TicketFactory(pending_extension=2)     with a pending extension request of 2 working days
    TimeLimitRuleFactory(...)              a rule of the time-limit table (order 1 by default: before any other)

Deadlines are computed by appeals.time_limits from `clock_started_at` (the registration), as the
services do; pass deadline_at/warning_at to set them by hand.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from huiqi.appeals.enums import (
    Channel,
    Closure,
    ExtensionDecision,
    Kind,
    Priority,
    ReplyStatus,
    TicketState,
    TimeLimitUnit,
)
from huiqi.appeals.models import Appeal, Category, Extension, Reply, Ticket, TimeLimitRule
from huiqi.appeals.time_limits import compute_deadline
from tests.factories import DepartmentFactory, EnterpriseFactory

S = TicketState
WITH_DEPARTMENT = frozenset({S.DISPATCHED, S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW, S.REPLIED, S.CLOSED})
ACCEPTED_ONWARDS = frozenset({S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW, S.REPLIED, S.CLOSED})


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"测试分类{n}")
    parent = None
    is_active = True

    class Params:
        child = factory.Trait(parent=factory.SubFactory("tests.appeals.factories.CategoryFactory"))


class AppealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appeal

    number = factory.Sequence(lambda n: f"QY20260101-{n + 1:06d}")
    channel = Channel.HOTLINE
    kind = Kind.HELP
    title = factory.Sequence(lambda n: f"关于厂房用电增容的求助{n}")
    content = "企业新上生产线，需要将厂房用电容量由 400 千伏安增至 800 千伏安，申请已提交一个月未有答复。"
    enterprise = factory.SubFactory(EnterpriseFactory)
    caller_name = "王经理"
    caller_phone = "13912345678"
    priority = Priority.NORMAL
    is_red_list = factory.LazyAttribute(lambda a: bool(a.enterprise and a.enterprise.red_list))
    registered_at = factory.LazyFunction(timezone.now)


def _deadline(ticket: Any) -> Any:
    return compute_deadline(
        clock_started_at=ticket.clock_started_at, value=ticket.time_limit_value, unit=ticket.time_limit_unit
    )


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    appeal = factory.SubFactory(AppealFactory)
    state = S.AWAITING_DISPATCH
    lead_department = factory.Maybe(
        factory.LazyAttribute(lambda t: t.state in WITH_DEPARTMENT),
        yes_declaration=factory.SubFactory(DepartmentFactory),
        no_declaration=None,
    )
    time_limit_value = Decimal(5)
    time_limit_unit = TimeLimitUnit.WORKING_DAYS
    clock_started_at = factory.LazyAttribute(lambda t: t.appeal.registered_at)
    deadline_at = factory.LazyAttribute(lambda t: _deadline(t).deadline_at)
    warning_at = factory.LazyAttribute(lambda t: _deadline(t).warning_at)
    deadline_is_provisional = factory.LazyAttribute(lambda t: _deadline(t).is_provisional)
    dispatched_at = factory.LazyAttribute(
        lambda t: t.clock_started_at if t.state in WITH_DEPARTMENT else None
    )
    accepted_at = factory.LazyAttribute(lambda t: t.clock_started_at if t.state in ACCEPTED_ONWARDS else None)
    paused_at = factory.LazyAttribute(lambda t: timezone.now() if t.state == S.PAUSED else None)
    replied_at = factory.LazyAttribute(lambda t: timezone.now() if t.state in (S.REPLIED, S.CLOSED) else None)
    closed_at = factory.LazyAttribute(lambda t: timezone.now() if t.state == S.CLOSED else None)
    closure = factory.LazyAttribute(lambda t: Closure.WITHOUT_FOLLOW_UP if t.state == S.CLOSED else "")

    class Params:
        overdue = factory.Trait(
            state=S.ACCEPTED,
            appeal=factory.SubFactory(
                AppealFactory,
                registered_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30)),
            ),
        )
        warned = factory.Trait(
            state=S.ACCEPTED,
            deadline_at=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2)),
            warning_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1)),
        )

    @factory.post_generation
    def replies(obj: Ticket, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if not create:
            return
        if obj.state == S.REPLY_REVIEW:
            status = ReplyStatus.PENDING_REVIEW
        elif obj.state in (S.REPLIED, S.CLOSED):
            status = ReplyStatus.APPROVED
        else:
            return
        Reply.objects.create(
            ticket=obj,
            text="经核实，供电公司已安排现场勘查，预计 10 个工作日内完成增容。",
            status=status,
            department=obj.lead_department,
            submitted_at=timezone.now(),
        )

    @factory.post_generation
    def pending_extension(obj: Ticket, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create and extracted:
            Extension.objects.create(
                ticket=obj,
                requested_days=Decimal(str(extracted)),
                reason="需要协调供电公司现场勘查",
                requested_by=None,
                requested_at=timezone.now(),
                decision=ExtensionDecision.PENDING,
            )


class TimeLimitRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeLimitRule

    name = factory.Sequence(lambda n: f"时限规则{n}")
    kind = ""
    category = None
    priority = ""
    limit_value = Decimal(5)
    unit = TimeLimitUnit.WORKING_DAYS
    order = 1
    is_active = True
