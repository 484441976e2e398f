from django.conf import settings
from django.db import models

from huiqi.core.errors import AuditEventImmutableError


class Holiday(models.Model):
    """One day that differs from the Monday-to-Friday rule: a public holiday on a weekday
    (is_working_day=False) or a make-up working day (调休) on a weekend (is_working_day=True).
    Days not in the table follow the weekday rule."""

    date = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("是否工作日")
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """A year whose State Council holiday schedule (国务院办公厅关于节假日安排的通知) is entered.
    A year with no row here is provisional: only weekends are known."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已录入年度安排"
        verbose_name_plural = "已录入年度安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年节假日安排"


class AuditEventQuerySet(models.QuerySet):
    """Refuses the bulk writes that would edit or remove recorded events (GB/T 22239-2019 8.1.4.3 c:
    audit records are protected from unexpected deletion, modification or overwriting). Events are
    written by `huiqi.core.audit.record_event` only; the retention purge (`purge_audit_events`)
    deletes with raw SQL inside its own guarded transaction."""

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)

    def delete(self):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)

    def bulk_update(self, objs, fields, batch_size=None):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Each event's hash depends on the one before, so events are appended one by one.
        raise AuditEventImmutableError("审计事件只能通过 record_event 逐条追加。")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)


_IMMUTABLE_MESSAGE = "审计日志只允许追加，不能修改或删除（等保三级安全审计要求）。"


class AuditEvent(models.Model):
    """Append-only audit log. Each event stores the hash of the previous one, so editing or deleting
    a row breaks the chain that `huiqi audit_verify` checks (等保 level 3, security audit).

    `actor` keeps the id of the user even after that user is deleted (no database constraint, no
    SET NULL): the record of who acted must never change, and the id is covered by the hash."""

    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    actor_role = models.CharField("角色", max_length=20, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象标识", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=255, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    source_ip = models.GenericIPAddressField("来源IP", null=True, blank=True)
    source = models.CharField("渠道", max_length=10, blank=True)  # web | api | command | task | system
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)


class AuditAnchor(models.Model):
    """Where the audit chain starts after a retention purge: the id and hash of the last purged event.

    `huiqi audit_verify` checks that the oldest remaining event chains onto the newest anchor, so
    removing old events outside `huiqi audit_purge` is still detected. Append-only like the log."""

    created_at = models.DateTimeField("清理时间")
    purged_before = models.DateTimeField("清理截止时间")
    last_purged_id = models.BigIntegerField("最后清理的事件")
    last_purged_hash = models.CharField("最后清理的事件哈希", max_length=64)
    purged_count = models.PositiveIntegerField("清理条数")
    actor_name = models.CharField("操作人", max_length=150, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计链起点"
        verbose_name_plural = "审计链起点"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"清理至 #{self.last_purged_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditEventImmutableError(_IMMUTABLE_MESSAGE)


class Notification(models.Model):
    """The notifications outbox: one message to one recipient on one channel. `event_key` names the
    event it is about; (event_key, recipient, channel) is unique, so an event is never sent twice."""

    class Channel(models.TextChoices):
        INBOX = "inbox", "站内信"
        EMAIL = "email", "邮件"
        SMS = "sms", "短信"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    event_key = models.CharField("事件", max_length=120)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"], name="notification_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject}"
