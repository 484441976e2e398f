from django.conf import settings
from django.db import models

from huiqi.enterprises.enums import ChangeSource, EnterpriseStatus, ImportStatus, Ownership, SizeClass


class Enterprise(models.Model):
    """One registered business in the registry (市场主体库); fields of DATA-CONTRACT.md section 1.

    Unknown facts are NULL, never 0. `tags` is stored canonically as the sorted, de-duplicated tags
    joined by ";" ("" = no tags); use `tag_list` to read it. `size_class` is derived (国统字〔2017〕213号)
    and stored so that lists and rules can filter on it; services recompute it whenever its inputs change.
    """

    uscc = models.CharField("统一社会信用代码", max_length=18)  # unique: see Meta.constraints
    name = models.CharField("企业名称", max_length=200)
    region_code = models.CharField("区划代码", max_length=6)
    industry_code = models.CharField("行业代码", max_length=5)
    established_on = models.DateField("成立日期")
    ownership = models.CharField("经济类型", max_length=12, choices=Ownership.choices, null=True, blank=True)
    registered_capital = models.DecimalField(
        "注册资本(元)", max_digits=20, decimal_places=2, null=True, blank=True
    )
    employees = models.IntegerField("从业人员", null=True, blank=True)
    revenue = models.DecimalField("营业收入(元)", max_digits=20, decimal_places=2, null=True, blank=True)
    total_assets = models.DecimalField("资产总额(元)", max_digits=20, decimal_places=2, null=True, blank=True)
    tax_paid = models.DecimalField("纳税额(元)", max_digits=20, decimal_places=2, null=True, blank=True)
    rd_expense = models.DecimalField("研发费用(元)", max_digits=20, decimal_places=2, null=True, blank=True)
    tags = models.TextField("标签", blank=True, default="")
    red_list = models.BooleanField("红名单", default=False)
    contact_phone = models.CharField("联系电话", max_length=40, blank=True, default="")
    status = models.CharField(
        "状态", max_length=14, choices=EnterpriseStatus.choices, default=EnterpriseStatus.ACTIVE
    )
    size_class = models.CharField("企业规模", max_length=6, choices=SizeClass.choices, null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["uscc"]
        # Each index costs every imported row (1.5 million in the benchmark), so only those the
        # registry's queries use: name orders the list; region and industry are filtered by prefix
        # (startswith), which on PostgreSQL needs varchar_pattern_ops (that opclass serves equality
        # too); phones are looked up whole (recognising callers); red_list is selective only for true.
        # USCC uniqueness is a constraint rather than unique=True, which on PostgreSQL would add a
        # second, varchar_pattern_ops index that no query uses.
        constraints = [models.UniqueConstraint(fields=["uscc"], name="enterprise_uscc_unique")]
        indexes = [
            models.Index(fields=["name"], name="enterprise_name_idx"),
            models.Index(
                fields=["region_code"], name="enterprise_region_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["industry_code"], name="enterprise_industry_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["contact_phone"], name="enterprise_phone_idx"),
            models.Index(
                fields=["red_list"], name="enterprise_red_list_idx", condition=models.Q(red_list=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(";") if t]


class ImportBatch(models.Model):
    """One enterprise file imported, from the command or the web page; its progress and its outcome."""

    file_name = models.CharField("文件名", max_length=255)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    is_dry_run = models.BooleanField("仅校验", default=False)
    is_atomic = models.BooleanField("全部成功才导入", default=False)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("未变化", default=0)
    rejected_count = models.PositiveIntegerField("拒绝", default=0)
    errors = models.JSONField("错误行", default=list, blank=True)
    failure_message = models.TextField("失败原因", blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"导入批次 {self.pk}：{self.file_name}"


class ProfileChange(models.Model):
    """History of an enterprise's profile: one row per changed field (field "*" marks creation)."""

    # Not indexed alone: the (enterprise, -changed_at) index below serves look-ups by enterprise.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    field = models.CharField("字段", max_length=40)
    old_value = models.TextField("原值", null=True, blank=True)
    new_value = models.TextField("新值", null=True, blank=True)
    source = models.CharField("来源", max_length=10, choices=ChangeSource.choices)
    source_ref = models.CharField("来源说明", max_length=255, blank=True)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "画像变更"
        verbose_name_plural = "画像变更"
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.field}: {self.old_value} -> {self.new_value}"
