"""The derived tables behind the appeals' metrics (docs/metrics.md): one fact row per appeal, and the
sums of those facts per day and per month, so that the metrics page reads a few thousand rows
instead of a year's two million appeals.

Everything here is derived from the appeals' own tables and can be rebuilt from them
(`huiqi rebuild_appeal_metrics`); nothing here is a source of truth. That is why the ids of
categories and departments are plain integers (0 = none) rather than foreign keys: the sums
must be able to group on "no department" with a unique key (NULLs are distinct in unique
constraints), and a derived row must never block deleting or editing the reference data.
"""

from __future__ import annotations

from django.db import models

#: `department_id` of the term counts that cover every department (the whole city).
WHOLE_CITY = -1


class AppealFact(models.Model):
    """What the metrics need to know about one appeal, as of its last refresh (facts.py).

    The row also remembers what the appeal contributed to the sums (AppealDailyStats, ...), so a
    refresh can take the old contribution away and add the new one."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    registered_on = models.DateField("登记日期")
    closed_on = models.DateField("办结日期", null=True, blank=True)
    followed_up_on = models.DateField("最后回访日期", null=True, blank=True)
    channel = models.CharField("渠道", max_length=12)
    kind = models.CharField("诉求类型", max_length=12)
    category_id = models.IntegerField("分类", default=0)
    category_l1_id = models.IntegerField("一级分类", default=0)
    department_id = models.IntegerField("主办单位", default=0)
    is_merged = models.BooleanField("并单", default=False)
    is_direct_reply = models.BooleanField("直接答复", default=False)
    is_closed = models.BooleanField("已办结", default=False)
    handling_days = models.DecimalField(
        "办理时长(工作日)", max_digits=10, decimal_places=4, null=True, blank=True
    )
    is_on_time = models.BooleanField("按时办结", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    department_rounds = models.PositiveSmallIntegerField("部门办理轮次", default=0)
    department_days = models.DecimalField("部门办理时长(工作日)", max_digits=10, decimal_places=4, default=0)
    is_resolved = models.BooleanField("已解决", null=True, blank=True)
    satisfaction = models.CharField("满意度", max_length=18, blank=True)
    terms = models.CharField("关键词", max_length=200, blank=True)
    refreshed_at = models.DateTimeField("刷新时间")

    class Meta:
        verbose_name = "诉求统计事实"
        verbose_name_plural = "诉求统计事实"
        indexes = [
            models.Index(fields=["registered_on"], name="appeal_fact_registered_idx"),
            models.Index(fields=["department_id", "registered_on"], name="appeal_fact_department_idx"),
        ]

    def __str__(self) -> str:
        return f"诉求 {self.appeal_id} 统计事实"


#: The day sums are whole numbers of ten-thousandths of a working day (the facts' 4 decimals), so that
#: they add up exactly on every database (SQLite has no exact decimal type).
DAY_UNITS = 10000


class StatsMeasures(models.Model):
    """The sums of the facts of one cell; the date of the cell means a different thing per measure
    (docs/metrics.md):

    * registered-on measures: registered, merged, direct_replies, closed;
    * closed-on measures (handled tickets: not merged, not a direct reply): handled_closed,
      handling_days_x10000, on_time, reopened, department_rounds, department_days_x10000;
    * followed-up-on measures (not merged, the last follow-up): followed_up, resolved, satisfied,
      fairly_satisfied."""

    registered = models.IntegerField("受理量", default=0)
    merged = models.IntegerField("并单", default=0)
    direct_replies = models.IntegerField("直接答复", default=0)
    closed = models.IntegerField("已办结(按登记日)", default=0)
    handled_closed = models.IntegerField("办结办理件", default=0)
    handling_days_x10000 = models.BigIntegerField("办理时长合计(万分之一工作日)", default=0)
    on_time = models.IntegerField("按时办结", default=0)
    reopened = models.IntegerField("重办件", default=0)
    department_rounds = models.IntegerField("部门办理轮次", default=0)
    department_days_x10000 = models.BigIntegerField("部门办理时长合计(万分之一工作日)", default=0)
    followed_up = models.IntegerField("回访件", default=0)
    resolved = models.IntegerField("已解决", default=0)
    satisfied = models.IntegerField("满意", default=0)
    fairly_satisfied = models.IntegerField("基本满意", default=0)

    class Meta:
        abstract = True


class StatsCell(StatsMeasures):
    """A cell of the cube: a date x channel x kind x category x lead department."""

    channel = models.CharField("渠道", max_length=12)
    kind = models.CharField("诉求类型", max_length=12)
    category_id = models.IntegerField("分类")
    category_l1_id = models.IntegerField("一级分类")
    department_id = models.IntegerField("主办单位")

    class Meta:
        abstract = True


class AppealDailyStats(StatsCell):
    day = models.DateField("日期")

    class Meta:
        verbose_name = "诉求日统计"
        verbose_name_plural = "诉求日统计"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "kind", "category_id", "category_l1_id", "department_id"],
                name="appeal_daily_stats_cell",
            )
        ]
        indexes = [models.Index(fields=["department_id", "day"], name="appeal_daily_stats_dept_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}/{self.kind}/{self.category_id}/{self.department_id}"


class AppealMonthlyStats(StatsCell):
    month = models.DateField("月份")  # the first day of the month

    class Meta:
        verbose_name = "诉求月统计"
        verbose_name_plural = "诉求月统计"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel", "kind", "category_id", "category_l1_id", "department_id"],
                name="appeal_monthly_stats_cell",
            )
        ]
        indexes = [models.Index(fields=["department_id", "month"], name="appeal_monthly_stats_dept_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel}/{self.kind}/{self.category_id}/{self.department_id}"


class AppealDepartmentDailyStats(StatsMeasures):
    """The same sums per day and lead department only: the trend line of the page reads these (a
    year is 365 x departments rows) unless it is filtered by channel, kind or category."""

    day = models.DateField("日期")
    department_id = models.IntegerField("主办单位")

    class Meta:
        verbose_name = "诉求部门日统计"
        verbose_name_plural = "诉求部门日统计"
        constraints = [
            models.UniqueConstraint(fields=["day", "department_id"], name="appeal_department_daily_cell")
        ]
        indexes = [models.Index(fields=["department_id", "day"], name="appeal_dept_daily_dept_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}"


class AppealTermDaily(models.Model):
    """How many appeals registered on `day`, in the whole city, mention `term` (each appeal counts
    once per term). Per-department counts are kept by month only (AppealTermMonthly); the days of a
    partial month of one department are counted from the facts (selectors.py), which is cheap for
    one department and saves a row per department, day and term."""

    day = models.DateField("日期")
    term = models.CharField("关键词", max_length=32)
    count = models.IntegerField("诉求数", default=0)

    class Meta:
        verbose_name = "诉求关键词日统计"
        verbose_name_plural = "诉求关键词日统计"
        constraints = [models.UniqueConstraint(fields=["day", "term"], name="appeal_term_daily_cell")]

    def __str__(self) -> str:
        return f"{self.day} {self.term} {self.count}"


class AppealTermMonthly(models.Model):
    """How many appeals registered in `month` mention `term`, per lead department (0 = not
    dispatched) and for the whole city (department_id = WHOLE_CITY)."""

    month = models.DateField("月份")  # the first day of the month
    department_id = models.IntegerField("主办单位")
    term = models.CharField("关键词", max_length=32)
    count = models.IntegerField("诉求数", default=0)

    class Meta:
        verbose_name = "诉求关键词月统计"
        verbose_name_plural = "诉求关键词月统计"
        constraints = [
            models.UniqueConstraint(
                fields=["department_id", "month", "term"], name="appeal_term_monthly_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_id} {self.term} {self.count}"
