"""Tables of the 12345 enterprise line: appeals (诉求), the tickets they become (工单), and their history.

Models hold rows and the invariants of one row only. Every write goes through the services; states
change only through `appeals.workflow.perform_transition`, which also appends the history
(`TicketEvent`, append-only). Deadlines are stored, computed by `appeals.time_limits` (never in
`save()`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from huiqi.appeals.enums import (
    Channel,
    Closure,
    ExtensionDecision,
    FollowUpMethod,
    Kind,
    Priority,
    ReplyStatus,
    Satisfaction,
    SupervisionLevel,
    TicketState,
    TimeLimitUnit,
)
from huiqi.appeals.errors import TicketHistoryImmutableError
from huiqi.enterprises.enums import SizeClass

USER = settings.AUTH_USER_MODEL


class Category(models.Model):
    """The two-level category tree of appeals (e.g. 政策兑现 > 奖补资金拨付), configured in the admin.

    Two levels only: a top-level category groups second-level ones; appeals may be filed under either."""

    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField("分类编码", max_length=32, unique=True)
    name = models.CharField("分类名称", max_length=60)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "分类不能以自己为上级。"})
        parent = self.parent
        if parent is not None and parent.parent_id is not None:
            raise ValidationError({"parent": "诉求分类只有两级：上级分类必须是一级分类。"})
        if self.pk and Category.objects.filter(parent_id=self.pk).exists():
            raise ValidationError({"parent": "该分类下已有子分类，不能再挂到其他分类下（只有两级）。"})


class Appeal(models.Model):
    """What an enterprise asks for, complains about or proposes (诉求), as taken in on one channel."""

    number = models.CharField("诉求编号", max_length=20, unique=True)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices)
    kind = models.CharField("诉求类型", max_length=12, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    content = models.TextField("诉求内容")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    caller_name = models.CharField("来电人/联系人", max_length=50, blank=True)
    caller_phone = models.CharField("联系电话", max_length=40, blank=True)
    # Idempotent pushes (the city's 12345 platform): one appeal per (source_system, external_id).
    source_system = models.CharField("来源系统", max_length=40, blank=True)
    external_id = models.CharField("外部编号", max_length=64, null=True, blank=True)
    priority = models.CharField("优先级", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    is_red_list = models.BooleanField("红名单企业", default=False)  # snapshot at registration
    leader_instruction = models.TextField("领导批示", blank=True)
    instructed_by = models.ForeignKey(
        USER, verbose_name="批示领导", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    instructed_at = models.DateTimeField("批示时间", null=True, blank=True)
    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    # The classifier's suggestion (filled by a classification service; routing stays separate).
    suggested_category = models.ForeignKey(
        Category, verbose_name="建议分类", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.DecimalField("置信度", max_digits=5, decimal_places=4, null=True, blank=True)
    top3 = models.JSONField("候选分类", default=list, blank=True)  # [{"category": code, "confidence": 0.9}]
    classifier_version = models.CharField("分类模型版本", max_length=40, blank=True)
    is_direct_reply = models.BooleanField("直接答复", default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    similar_to = models.ForeignKey(
        "self",
        verbose_name="疑似重复诉求",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_at = models.DateTimeField("登记时间", db_index=True)
    registered_by = models.ForeignKey(
        USER, verbose_name="登记人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="appeal_external_id_once_per_source",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "-registered_at"], name="appeal_enterprise_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Attachment(models.Model):
    """A file of an appeal (from the enterprise or the agent) or of a reply (from the department)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        "Reply", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("文件", upload_to="appeals/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小(字节)")
    content_type = models.CharField("类型", max_length=100, blank=True)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TimeLimitRule(models.Model):
    """One row of the time-limit table (办理时限): the first active rule, by `order`, whose kind,
    category and priority match (empty = any) gives the limit. A rule on a first-level category also
    covers its second-level categories."""

    name = models.CharField("规则名称", max_length=60)
    kind = models.CharField("诉求类型", max_length=12, choices=Kind.choices, blank=True)
    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField("优先级", max_length=8, choices=Priority.choices, blank=True)
    limit_value = models.DecimalField("时限", max_digits=6, decimal_places=1)
    unit = models.CharField("单位", max_length=14, choices=TimeLimitUnit.choices)
    order = models.PositiveIntegerField("顺序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "办理时限规则"
        verbose_name_plural = "办理时限规则"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name}：{self.limit_value} {self.get_unit_display()}"

    def clean(self) -> None:
        if self.limit_value is None or self.limit_value <= 0:
            raise ValidationError({"limit_value": "时限必须大于 0。"})
        if self.unit == TimeLimitUnit.WORKING_DAYS and (self.limit_value * 2) % 1:
            raise ValidationError({"limit_value": "按工作日计的时限只能是整数或半天（0.5 的倍数）。"})


class Ticket(models.Model):
    """The work item an appeal becomes (工单): one per appeal, kept through redispatch and reopening.

    `version` grows with every transition: a page or API client sends the version it saw, and a
    transition on a newer version is refused (ConflictError), so two people acting at once cannot
    silently overwrite each other."""

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="ticket")
    state = models.CharField("状态", max_length=24, choices=TicketState.choices, db_index=True)
    lead_department = models.ForeignKey(
        "accounts.Department",
        verbose_name="主办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_tickets",
    )
    assisting_departments = models.ManyToManyField(
        "accounts.Department", verbose_name="协办单位", blank=True, related_name="assisted_tickets"
    )
    # The time limit as applied (a snapshot: editing the rule table does not move existing deadlines).
    time_limit_rule = models.ForeignKey(
        TimeLimitRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_limit_value = models.DecimalField("办理时限", max_digits=6, decimal_places=1)
    time_limit_unit = models.CharField("时限单位", max_length=14, choices=TimeLimitUnit.choices)
    clock_started_at = models.DateTimeField("计时起点")  # registration, or the last reopening
    deadline_at = models.DateTimeField("办理期限", db_index=True)
    deadline_is_provisional = models.BooleanField("期限为暂定", default=False)
    warning_at = models.DateTimeField("预警时间")
    paused_at = models.DateTimeField("暂停时间", null=True, blank=True)
    paused_hours = models.DecimalField(
        "累计暂停(工作小时)", max_digits=10, decimal_places=4, default=Decimal(0)
    )
    extension_days = models.DecimalField(
        "累计延期(工作日)", max_digits=5, decimal_places=1, default=Decimal(0)
    )
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    accepted_at = models.DateTimeField("签收时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closure = models.CharField("办结方式", max_length=20, choices=Closure.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "工单"
        verbose_name_plural = "工单"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["lead_department", "state"], name="ticket_department_state_idx"),
            models.Index(fields=["state", "deadline_at"], name="ticket_state_deadline_idx"),
            models.Index(fields=["state", "warning_at"], name="ticket_state_warning_idx"),
        ]

    def __str__(self) -> str:
        return f"工单 {self.appeal.number}" if self.appeal_id else "工单"


class TicketEventQuerySet(models.QuerySet):
    """The history is appended, never edited (STYLE.md "Workflow"): bulk edits are refused too."""

    def update(self, **kwargs: Any) -> int:
        raise TicketHistoryImmutableError(_HISTORY_IMMUTABLE)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TicketHistoryImmutableError(_HISTORY_IMMUTABLE)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise TicketHistoryImmutableError(_HISTORY_IMMUTABLE)


_HISTORY_IMMUTABLE = "工单流转记录只允许追加，不能修改或删除。"


class TicketEvent(models.Model):
    """One row of a ticket's history: who did what, from which state to which, why, and the details."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作", max_length=24)
    from_state = models.CharField("原状态", max_length=24, blank=True)
    to_state = models.CharField("新状态", max_length=24)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=20, blank=True)  # "" = the system (automatic)
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("理由/意见", blank=True)
    at = models.DateTimeField("时间")
    data = models.JSONField("详情", default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = "工单流转记录"
        verbose_name_plural = "工单流转记录"
        ordering = ["id"]
        indexes = [models.Index(fields=["action", "at"], name="ticket_event_action_at_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}->{self.to_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TicketHistoryImmutableError(_HISTORY_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TicketHistoryImmutableError(_HISTORY_IMMUTABLE)


class Reply(models.Model):
    """A reply (答复): drafted by the handler, reviewed by the dispatcher; or given directly at intake."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="replies")
    text = models.TextField("答复内容")
    status = models.CharField("状态", max_length=16, choices=ReplyStatus.choices)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间")
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "答复"
        verbose_name_plural = "答复"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"答复 #{self.pk}"


class FollowUp(models.Model):
    """A follow-up (回访): did the reply resolve it, and how satisfied is the enterprise."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="follow_ups")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField("回访方式", max_length=8, choices=FollowUpMethod.choices)
    is_resolved = models.BooleanField("已解决")
    satisfaction = models.CharField("满意度", max_length=18, choices=Satisfaction.choices)
    comment = models.TextField("意见", blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("回访时间")

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"回访 #{self.pk} {self.get_satisfaction_display()}"


class Extension(models.Model):
    """A request to extend the time limit (延期), and the dispatcher's or supervisor's decision."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="extensions")
    requested_days = models.DecimalField("申请延期(工作日)", max_digits=4, decimal_places=1)
    reason = models.TextField("延期理由")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    decision = models.CharField(
        "审批结果", max_length=10, choices=ExtensionDecision.choices, default=ExtensionDecision.PENDING
    )
    granted_days = models.DecimalField(
        "批准延期(工作日)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(decision="pending"),
                name="extension_one_pending_per_ticket",
            )
        ]

    def __str__(self) -> str:
        return f"延期 {self.requested_days} 个工作日（{self.get_decision_display()}）"


class Supervision(models.Model):
    """A supervision (督办) of a slow or overdue ticket, with the notices it sent.

    Automatic ones are created once per (ticket, level, deadline): a new deadline (extension,
    reopening) may be supervised again; running the check twice creates nothing twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="supervisions")
    level = models.CharField("督办级别", max_length=10, choices=SupervisionLevel.choices)
    reason = models.TextField("督办事由")
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline_at = models.DateTimeField("当时期限")
    is_automatic = models.BooleanField("自动督办", default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("督办时间")
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "level", "deadline_at"],
                condition=models.Q(is_automatic=True),
                name="supervision_automatic_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.ticket_id}"


class AppealNumberCounter(models.Model):
    """The daily sequence behind appeal numbers (QY20261121-000123): one row per registration day."""

    day = models.DateField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "诉求编号计数"
        verbose_name_plural = "诉求编号计数"

    def __str__(self) -> str:
        return f"{self.day} {self.last_value}"


# --- classification and routing (appeals.classification, appeals.routing) ---------------------------


class ClassifierVersion(models.Model):
    """A trained appeal classifier (huiqi.classifier), its measured quality and where it is saved.

    One version is active at a time: `classification.active_classifier` loads it, and
    `huiqi train_classifier` activates the version it trains. The metrics are those the classifier
    measured by cross-validation on its own training data (never on a test set it was tuned on)."""

    class Source(models.TextChoices):
        DATABASE = "database", "数据库（已办结诉求）"
        CSV = "csv", "CSV 文件"

    version = models.CharField("版本", max_length=40, unique=True)
    trained_at = models.DateTimeField("训练时间")
    trained_by = models.ForeignKey(
        USER, verbose_name="训练人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField("训练数据来源", max_length=10, choices=Source.choices)
    source_path = models.CharField("训练文件", max_length=500, blank=True)
    sample_count = models.PositiveIntegerField("样本数")
    labels = models.JSONField("类别", default=list)
    accuracy = models.FloatField("准确率（交叉验证）", null=True, blank=True)
    macro_f1 = models.FloatField("宏平均 F1（交叉验证）", null=True, blank=True)
    top3_accuracy = models.FloatField("前三命中率（交叉验证）", null=True, blank=True)
    metrics = models.JSONField("评估详情", default=dict, blank=True)
    threshold = models.FloatField("自动派单置信度阈值", null=True, blank=True)
    model_path = models.CharField("模型文件", max_length=500)
    is_active = models.BooleanField("当前使用", default=False)

    class Meta:
        verbose_name = "诉求分类模型"
        verbose_name_plural = "诉求分类模型"
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="classifier_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.version


class RoutingRule(models.Model):
    """One row of the routing table (派单规则): the first active rule, by `order`, whose conditions
    all hold for an appeal names its lead department (主办) and any assisting ones (协办).

    Routing is kept apart from classification (the Signalen pattern): the classifier only suggests a
    category; these rules, which administrators edit, decide who handles that category. Empty
    conditions match anything; a rule on a first-level category also covers its children."""

    name = models.CharField("规则名称", max_length=60)
    order = models.PositiveIntegerField("顺序", default=100)
    category = models.ForeignKey(
        Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region_prefix = models.CharField(
        "区划代码前缀", max_length=6, blank=True, help_text="企业区划代码以此开头，如 370102（历下区）"
    )
    red_list = models.BooleanField(
        "红名单企业", null=True, blank=True, help_text="留空：不限；是：仅红名单企业；否：仅非红名单企业"
    )
    size_class = models.CharField(
        "企业规模",
        max_length=6,
        choices=SizeClass.choices,
        blank=True,
    )
    industry_prefix = models.CharField(
        "行业代码前缀", max_length=5, blank=True, help_text="GB/T 4754 行业代码以此开头，如 C（制造业）或 C34"
    )
    lead_department = models.ForeignKey(
        "accounts.Department", verbose_name="主办单位", on_delete=models.PROTECT, related_name="+"
    )
    assisting_departments = models.ManyToManyField(
        "accounts.Department", verbose_name="协办单位", blank=True, related_name="+"
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "派单规则"
        verbose_name_plural = "派单规则"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name
