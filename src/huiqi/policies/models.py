"""The policy library (惠企政策): documents, their fundable items, the items' versions, and match results.

An item (奖补项目) is identified by its `code`, stable across versions (DATA-CONTRACT.md section 2);
what it requires and pays lives in its versions, so that a published rule never changes and the
result of any past evaluation can be explained by the version that produced it. The life of a
version and which version is in force on a date are defined in workflow.py.

Rule data is stored as JSON in the canonical form of the rules engine (huiqi.rules.schema `to_data`),
with dates as ISO text; `source_yaml` keeps the text the version came from, as it was written.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from huiqi.policies.enums import MatchStatus, PolicyLevel
from huiqi.policies.errors import PolicyVersionImmutableError
from huiqi.policies.workflow import FROZEN_STATUSES, Step, VersionStatus


class PolicyDocument(models.Model):
    """A published policy document (惠企政策 / 政策文件), national to district level."""

    title = models.CharField("政策名称", max_length=300)
    document_number = models.CharField("文号", max_length=100, blank=True, default="")
    issuing_department = models.CharField("发文部门", max_length=200)
    level = models.CharField("层级", max_length=10, choices=PolicyLevel.choices)
    region_code = models.CharField("区划代码", max_length=6, db_index=True)
    published_on = models.DateField("发布日期", null=True, blank=True)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_to = models.DateField("有效期止", null=True, blank=True)
    full_text = models.TextField("全文", blank=True, default="")
    themes = models.JSONField("主题", default=list, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Lets the search index (search.py) notice an edited document with one cheap MAX() per query.
    updated_at = models.DateTimeField("修改时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "政策文件"
        verbose_name_plural = "政策文件"
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["title", "issuing_department"])]

    def __str__(self) -> str:
        return f"{self.title}（{self.document_number}）" if self.document_number else self.title


class PolicyItem(models.Model):
    """One fundable measure (奖补项目); `document` is the document of its newest published version."""

    code = models.CharField("条目编码", max_length=64, unique=True)
    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="items")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "政策条目"
        verbose_name_plural = "政策条目"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


# Fields a version's content consists of: fixed once the version leaves the draft status.
CONTENT_FIELDS = (
    "title",
    "document_id",
    "eligibility",
    "reward",
    "examples",
    "auto_entitlement",
    "budget_amount",
    "application_opens_on",
    "application_closes_on",
    "effective_from",
    "effective_to",
    "source_yaml",
)


class PolicyItemVersion(models.Model):
    """One version of an item's rules and terms. See workflow.py for its statuses."""

    item = models.ForeignKey(PolicyItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    title = models.CharField("条目名称", max_length=300)
    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="item_versions")
    eligibility = models.JSONField("申报条件")
    reward = models.JSONField("奖励计算", null=True, blank=True)
    examples = models.JSONField("示例", default=list, blank=True)
    auto_entitlement = models.BooleanField("免申即享", default=False)
    budget_amount = models.DecimalField("预算(元)", max_digits=16, decimal_places=2, null=True, blank=True)
    application_opens_on = models.DateField("申报开始", null=True, blank=True)
    application_closes_on = models.DateField("申报截止", null=True, blank=True)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    source_yaml = models.TextField("原始 YAML", blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    retired_at = models.DateTimeField("废止时间", null=True, blank=True)

    class Meta:
        verbose_name = "政策条目版本"
        verbose_name_plural = "政策条目版本"
        ordering = ["item__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="policies_version_item_number_unique"),
        ]
        indexes = [models.Index(fields=["status", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A version's content is fixed once it leaves the draft status (workflow.py): the invariant
        # lives in the row, so it is kept here and not only in the services.
        loaded = getattr(self, "_loaded", None)
        if loaded is not None and loaded["status"] in FROZEN_STATUSES:
            changed = [name for name in CONTENT_FIELDS if self.__dict__.get(name) != loaded[name]]
            if changed:
                raise PolicyVersionImmutableError(
                    f"{self} 已{VersionStatus(loaded['status']).label}，内容不能再修改"
                    f"（{'、'.join(changed)}）：请新建版本。"
                )
        super().save(*args, **kwargs)
        self._loaded = {"status": self.status, **{name: self.__dict__.get(name) for name in CONTENT_FIELDS}}

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> PolicyItemVersion:
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            "status": instance.__dict__.get("status"),
            **{name: instance.__dict__.get(name) for name in CONTENT_FIELDS},
        }
        return instance


class VersionTransition(models.Model):
    """History of a version's status, appended by each step of workflow.py and never edited."""

    version = models.ForeignKey(PolicyItemVersion, on_delete=models.CASCADE, related_name="transitions")
    step = models.CharField("操作", max_length=20, choices=Step.choices)
    from_status = models.CharField("原状态", max_length=10, choices=VersionStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=VersionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("说明", blank=True, default="")
    occurred_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "版本流转"
        verbose_name_plural = "版本流转"
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.step} {self.from_status}->{self.to_status}"


class MatchResult(models.Model):
    """The latest result of an enterprise against an item, written by the all-against-all job.

    Only eligible and needs_info results are stored (the rest is the large majority and says
    nothing); later work (push, 免申即享) reads them. One row per enterprise and item: a new run of
    an item replaces its rows.

    A derived table of tens of millions of rows, rewritten whole by each all-against-all run (bulk
    load, then index rebuild: policies.result_copy), so it carries only the indexes its readers use:
    the primary key, which is the (enterprise, item) pair (no surrogate id: nothing references a
    result, and an id column would cost the bulk load a column to copy and one more index to build)
    and also serves look-ups by enterprise, and (item, status). Its foreign keys have no database
    constraint or index of their own: the rows are written from ids just read from the registry and
    the library, and deleting an enterprise or an item still removes its results through Django's
    on_delete (published versions are never deleted).
    """

    pk = models.CompositePrimaryKey("enterprise", "item")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    item = models.ForeignKey(
        PolicyItem,
        on_delete=models.CASCADE,
        related_name="match_results",
        db_index=False,
        db_constraint=False,
    )
    item_version = models.ForeignKey(
        PolicyItemVersion,
        on_delete=models.CASCADE,
        related_name="match_results",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField("结果", max_length=10, choices=MatchStatus.choices)
    amount = models.DecimalField("金额(元)", max_digits=16, decimal_places=2, null=True, blank=True)
    as_of = models.DateField("评估日期")
    evaluated_at = models.DateTimeField("评估时间")

    class Meta:
        verbose_name = "匹配结果"
        verbose_name_plural = "匹配结果"
        indexes = [models.Index(fields=["item", "status"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.item_id}: {self.status}"


class MatchRunStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "匹配中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class MatchRunTrigger(models.TextChoices):
    MANUAL = "manual", "手动发起"
    PUBLISH = "publish", "条目发布后"
    REGISTRY = "registry", "企业库批量变更后"
    COMMAND = "command", "命令行"


class MatchRun(models.Model):
    """One run of the all-against-all job (or of some items after publishing), with its progress.

    Progress is counted in items: the job evaluates the registry against a group of items at a time
    and replaces those items' MatchResult rows, so `processed_items` of `total_items` are done.
    """

    status = models.CharField(
        "状态", max_length=10, choices=MatchRunStatus.choices, default=MatchRunStatus.PENDING, db_index=True
    )
    trigger = models.CharField(
        "发起方式", max_length=10, choices=MatchRunTrigger.choices, default=MatchRunTrigger.MANUAL
    )
    as_of = models.DateField("评估日期")
    item_codes = models.JSONField("限定条目", default=list, blank=True)
    total_items = models.PositiveIntegerField("条目数", default=0)
    processed_items = models.PositiveIntegerField("已处理条目", default=0)
    enterprise_count = models.PositiveIntegerField("企业数", default=0)
    eligible_count = models.PositiveIntegerField("符合", default=0)
    needs_info_count = models.PositiveIntegerField("需补充信息", default=0)
    failure_message = models.TextField("失败原因", blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "匹配任务"
        verbose_name_plural = "匹配任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"匹配任务 {self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in (MatchRunStatus.PENDING, MatchRunStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == MatchRunStatus.DONE:
            return 100
        if not self.total_items:
            return 0
        return min(100, self.processed_items * 100 // self.total_items)
