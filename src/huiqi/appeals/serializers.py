"""Serializers of the appeals API (/api/v1/): they parse and render, nothing else.

The ticket actions' input serializers are built from the workflow table (workflow.TRANSITIONS): each
action gets the fields its transition `requires` (required) and `accepts` (optional), plus
`expected_version`, so the OpenAPI schema and the services can never disagree about them. Field values
are checked again, with Chinese messages naming the field, by appeals.transition_fields.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from huiqi.appeals import selectors
from huiqi.appeals.enums import (
    Channel,
    FollowUpMethod,
    Kind,
    Priority,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.models import Appeal, Category, Ticket, TicketEvent
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES, TRANSITIONS

# --- input: registering an appeal ---------------------------------------------------------------------


class AppealRegisterInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="渠道")
    kind = serializers.ChoiceField(choices=Kind.choices, help_text="诉求类型")
    content = serializers.CharField(max_length=10000, help_text="诉求内容")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="标题（可空）")
    enterprise_uscc = serializers.CharField(
        max_length=18, required=False, allow_blank=True, help_text="企业统一社会信用代码（可空）"
    )
    caller_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    caller_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    category = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="分类编码（可空：由分类模型建议）"
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="来源系统中的编号：同一来源系统、同一编号只登记一次（重复推送返回已登记的诉求）",
    )
    source_system = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="来源系统；提供外部编号而不填时为接口账号的用户名",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="附件（multipart/form-data）"
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # Registration is the 12345 platform's hot path: DRF deep-copies every declared field for
        # every request (re-running each field's __init__), which cost more than the validation.
        # A shallow copy is enough for fields that keep no per-request state (bind() sets the name
        # and parent on the copy); the list field is deep-copied, its child being bound to it.
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.ListField) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


class AppealFilterSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    state = serializers.ChoiceField(choices=TicketState.choices, required=False, help_text="工单状态")
    category = serializers.CharField(required=False, help_text="分类编码（一级分类含其子分类）")
    registered_from = serializers.DateField(required=False, help_text="登记日期起（含）")
    registered_to = serializers.DateField(required=False, help_text="登记日期止（含）")
    enterprise_uscc = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False, help_text="来源系统中的编号")
    source_system = serializers.CharField(required=False)


class TicketFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TicketState.choices, required=False)
    lead_department = serializers.IntegerField(required=False, help_text="主办单位 id")
    is_overdue = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="只看超期")
    queue = serializers.ChoiceField(
        choices=[
            ("dispatch", "待派单"),
            ("mayor_line", "直通车待批示"),
            ("department", "本单位在办"),
            ("overdue", "超期"),
            ("warning", "预警"),
        ],
        required=False,
        help_text="按工作队列筛选（与页面的队列相同）",
    )


# --- input: ticket actions (built from the workflow table) -------------------------------------------


def _field(name: str, *, required: bool) -> serializers.Field:
    common: dict[str, Any] = {"required": required}
    if name in ("reason", "text", "instruction", "comment"):
        limit = {"reason": 2000, "text": 10000, "instruction": 2000, "comment": 2000}[name]
        return serializers.CharField(max_length=limit, allow_blank=not required, **common)
    if name == "lead_department":
        return serializers.IntegerField(help_text="部门 id", **common)
    if name == "assisting_departments":
        return serializers.ListField(child=serializers.IntegerField(), help_text="部门 id 列表", **common)
    if name == "category":
        return serializers.CharField(max_length=32, help_text="分类编码或 id", **common)
    if name in ("days", "granted_days"):
        return serializers.DecimalField(
            max_digits=4, decimal_places=1, help_text="工作日，可为半天", **common
        )
    if name == "priority":
        return serializers.ChoiceField(choices=Priority.choices, **common)
    if name == "method":
        return serializers.ChoiceField(choices=FollowUpMethod.choices, **common)
    if name == "is_resolved":
        return serializers.BooleanField(**common)
    if name == "satisfaction":
        return serializers.ChoiceField(choices=Satisfaction.choices, **common)
    if name == "attachments":
        return serializers.ListField(child=serializers.FileField(), **common)
    if name == "into":
        return serializers.CharField(max_length=20, help_text="并入的诉求编号", **common)
    raise KeyError(name)  # pragma: no cover - a new field in the workflow table needs a line here


def _action_fields(action: TicketAction) -> dict[str, tuple[bool, ...]]:
    """Every field of the action across its transitions: required only if every transition requires it."""
    required: dict[str, list[bool]] = {}
    for transition in TRANSITIONS:
        if transition.action != action:
            continue
        for name in transition.requires:
            required.setdefault(name, []).append(True)
        for name in transition.accepts:
            required.setdefault(name, []).append(False)
    return {name: tuple(flags) for name, flags in required.items()}


def _camel(action: TicketAction) -> str:
    return "".join(part.capitalize() for part in action.value.split("_"))


def action_input_serializer(action: TicketAction) -> type[serializers.Serializer]:
    """The input serializer of one ticket action (class name e.g. TicketDispatchInputSerializer)."""
    attrs: dict[str, Any] = {
        "expected_version": serializers.IntegerField(
            min_value=1, help_text="您看到的工单版本号（ticket.version）；他人已操作时返回 409"
        )
    }
    for name, flags in _action_fields(action).items():
        attrs[name] = _field(name, required=all(flags))
    attrs["__doc__"] = f"“{action.label}”的提交内容。"
    return type(f"Ticket{_camel(action)}InputSerializer", (serializers.Serializer,), attrs)


# --- output --------------------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name"]


class CategorySerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent_code", "sort_order", "is_active"]


class CategoryTreeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    children = CategorySerializer(many=True)


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class EnterpriseRefSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    red_list = serializers.BooleanField()


class TicketSummarySerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    lead_department = DepartmentRefSerializer(allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "state",
            "state_label",
            "version",
            "lead_department",
            "deadline_at",
            "deadline_is_provisional",
            "warning_at",
            "is_overdue",
            "dispatched_at",
            "accepted_at",
            "replied_at",
            "closed_at",
            "closure",
            "reopen_count",
        ]

    def get_is_overdue(self, ticket: Ticket) -> bool:
        return ticket.state in CLOCK_RUNNING_STATES and ticket.deadline_at < timezone.now()


class Top3EntrySerializer(serializers.Serializer):
    category = serializers.CharField(help_text="分类编码")
    confidence = serializers.FloatField()


class AppealSerializer(serializers.ModelSerializer):
    """An appeal as a user may see it: the caller's phone masked for roles that do not call back."""

    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    enterprise = EnterpriseRefSerializer(allow_null=True)
    caller_phone = serializers.SerializerMethodField()
    category = CategoryRefSerializer(allow_null=True)
    suggested_category = CategoryRefSerializer(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    top3 = Top3EntrySerializer(many=True)
    merged_into = serializers.CharField(source="merged_into.number", default=None, read_only=True)
    similar_to = serializers.CharField(source="similar_to.number", default=None, read_only=True)
    ticket = TicketSummarySerializer()

    class Meta:
        model = Appeal
        fields = [
            "number",
            "channel",
            "channel_label",
            "kind",
            "kind_label",
            "title",
            "content",
            "enterprise",
            "caller_name",
            "caller_phone",
            "priority",
            "is_red_list",
            "category",
            "suggested_category",
            "confidence",
            "top3",
            "classifier_version",
            "leader_instruction",
            "instructed_at",
            "is_direct_reply",
            "merged_into",
            "similar_to",
            "source_system",
            "external_id",
            "registered_at",
            "closed_at",
            "ticket",
        ]

    def get_caller_phone(self, appeal: Appeal) -> str:
        return selectors.caller_phone_for(user=self.context["request"].user, appeal=appeal)


class ReceiptTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=TicketState.choices)
    version = serializers.IntegerField()
    deadline_at = serializers.DateTimeField()
    deadline_is_provisional = serializers.BooleanField()


class AppealReceiptSerializer(serializers.Serializer):
    """The answer to a registration: the number and what the enterprise and the pushing system need
    to follow it up (GET /api/v1/appeals/<number>/ gives the whole appeal)."""

    number = serializers.CharField(help_text="诉求编号")
    registered_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    is_red_list = serializers.BooleanField()
    enterprise = EnterpriseRefSerializer(allow_null=True)
    category = serializers.CharField(allow_null=True, help_text="分类编码")
    similar_to = serializers.CharField(
        allow_null=True, help_text="疑似重复的在办诉求编号（待派单员判断是否并单）"
    )
    source_system = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    ticket = ReceiptTicketSerializer()


class TicketEventSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "action",
            "action_label",
            "from_state",
            "to_state",
            "actor",
            "role",
            "reason",
            "at",
            "data",
        ]

    def get_action_label(self, event: TicketEvent) -> str:
        return TicketAction(event.action).label if event.action in TicketAction.values else event.action

    def get_actor(self, event: TicketEvent) -> str:
        return str(event.actor) if event.actor_id else "系统"


class RouteSuggestionSerializer(serializers.Serializer):
    lead_department = DepartmentRefSerializer(allow_null=True)
    assisting_departments = DepartmentRefSerializer(many=True)
    rule = serializers.CharField(allow_null=True, help_text="命中的派单规则名称")


class TicketSerializer(TicketSummarySerializer):
    appeal_number = serializers.CharField(source="appeal.number", read_only=True)
    title = serializers.CharField(source="appeal.title", read_only=True)
    channel = serializers.CharField(source="appeal.channel", read_only=True)
    kind = serializers.CharField(source="appeal.kind", read_only=True)
    priority = serializers.CharField(source="appeal.priority", read_only=True)
    enterprise_name = serializers.CharField(source="appeal.enterprise.name", default=None, read_only=True)
    category = CategoryRefSerializer(source="appeal.category", allow_null=True, read_only=True)

    class Meta(TicketSummarySerializer.Meta):
        fields = [
            "appeal_number",
            "title",
            "channel",
            "kind",
            "priority",
            "enterprise_name",
            "category",
            *TicketSummarySerializer.Meta.fields,
        ]


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its appeal, history, the actions its viewer may take, and for dispatchers the
    classifier's suggestion and the routing rules' route."""

    appeal = serializers.SerializerMethodField()
    assisting_departments = DepartmentRefSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    suggested_route = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "assisting_departments",
            "appeal",
            "history",
            "allowed_actions",
            "suggested_route",
        ]

    def get_appeal(self, ticket: Ticket) -> dict[str, Any]:
        return dict(AppealSerializer(ticket.appeal, context=self.context).data)

    def get_history(self, ticket: Ticket) -> list[dict[str, Any]]:
        return list(TicketEventSerializer(selectors.ticket_history(ticket=ticket), many=True).data)

    def get_allowed_actions(self, ticket: Ticket) -> list[str]:
        return [
            a.value for a in selectors.allowed_actions_for(user=self.context["request"].user, ticket=ticket)
        ]

    def get_suggested_route(self, ticket: Ticket) -> dict[str, Any] | None:
        route = self.context.get("route")
        if route is None:
            return None
        return {
            "lead_department": _department(route.lead_department),
            "assisting_departments": [_department(d) for d in route.assisting_departments],
            "rule": route.rule.name if route.rule is not None else None,
        }


def _department(department: Any) -> dict[str, Any] | None:
    if department is None:
        return None
    return {"id": department.pk, "code": department.code, "name": department.name}


# --- metrics -------------------------------------------------------------------------------------------


class RateSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True, help_text="比率（0-1）")


class FiguresSerializer(serializers.Serializer):
    volume = serializers.IntegerField(help_text="受理量")
    merged = serializers.IntegerField()
    closed = serializers.IntegerField()
    direct_replies = serializers.IntegerField()
    followed_up = serializers.IntegerField()
    average_handling_days = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    average_department_days = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    on_time_rate = RateSerializer()
    closure_rate = RateSerializer()
    resolution_rate = RateSerializer()
    satisfaction_rate = RateSerializer()
    direct_reply_rate = RateSerializer()
    reopen_rate = RateSerializer()


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.SerializerMethodField()
    # DRF pops declared fields off the class: `label` does not shadow Field.label at run time.
    label = serializers.CharField()  # type: ignore[assignment]
    figures = FiguresSerializer()

    def get_key(self, row: Any) -> str | None:
        key = row.key[0] if isinstance(row.key, tuple) and len(row.key) == 1 else row.key
        return None if key is None else str(key)


class TrendPointSerializer(serializers.Serializer):
    start = serializers.DateField()
    label = serializers.CharField()  # type: ignore[assignment]
    figures = FiguresSerializer()


class HotTopicSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    previous = serializers.IntegerField()
    trend = serializers.CharField(help_text="up / down / flat / new")


class MetricsSerializer(serializers.Serializer):
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    scope = serializers.CharField(source="scope_label")
    totals = FiguresSerializer()
    previous_totals = FiguresSerializer()
    trend = TrendPointSerializer(many=True)
    by_channel = BreakdownRowSerializer(many=True)
    by_kind = BreakdownRowSerializer(many=True)
    by_category_l1 = BreakdownRowSerializer(many=True)
    by_category_l2 = BreakdownRowSerializer(many=True)
    by_department = BreakdownRowSerializer(many=True)
    hot_terms = HotTopicSerializer(many=True)
    hot_categories = HotTopicSerializer(many=True)
    generated_at = serializers.DateTimeField()
