"""Serializers of the registry API: they parse and render; validation beyond types is the services'."""

from pathlib import Path
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huiqi.enterprises import selectors
from huiqi.enterprises.enums import EnterpriseStatus, ImportStatus, Ownership, SizeClass
from huiqi.enterprises.models import Enterprise, ImportBatch

MONEY: dict[str, Any] = {
    "max_digits": 20,
    "decimal_places": 2,
    "allow_null": True,
    "required": False,
    "coerce_to_string": True,
}


class EnterpriseFilterSerializer(serializers.Serializer):
    """Query parameters of the registry list (the same filters as the page)."""

    q = serializers.CharField(
        required=False, allow_blank=True, help_text="企业名称包含，或统一社会信用代码前缀"
    )
    region_code = serializers.CharField(
        required=False, allow_blank=True, help_text="区划代码（GB/T 2260）；370100 取全市，370102 取历下区"
    )
    industry_section = serializers.CharField(required=False, allow_blank=True, help_text="行业门类字母 A-T")
    industry_code = serializers.CharField(required=False, allow_blank=True, help_text="行业代码前缀，如 C39")
    size_class = serializers.ChoiceField(
        choices=[*SizeClass.choices, ("unknown", "无法判定")], required=False, allow_blank=True
    )
    red_list = serializers.BooleanField(required=False, allow_null=True, default=None)
    tag = serializers.CharField(required=False, allow_blank=True, help_text="含此标签")
    status = serializers.ChoiceField(choices=EnterpriseStatus.choices, required=False, allow_blank=True)
    ownership = serializers.ChoiceField(choices=Ownership.choices, required=False, allow_blank=True)
    order = serializers.ChoiceField(
        choices=list(selectors.ORDERINGS), required=False, default=selectors.DEFAULT_ORDER
    )


class EnterpriseOutputSerializer(serializers.ModelSerializer):
    """An enterprise as the requesting user may see it: phone masked by role, labels and derived facts."""

    tags = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    region_label = serializers.SerializerMethodField()
    industry_label = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "region_code",
            "region_label",
            "industry_code",
            "industry_label",
            "established_on",
            "ownership",
            "registered_capital",
            "employees",
            "revenue",
            "total_assets",
            "tax_paid",
            "rd_expense",
            "tags",
            "red_list",
            "contact_phone",
            "status",
            "size_class",
            "updated_at",
        ]

    def _user(self) -> Any:
        return self.context["request"].user

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, obj: Enterprise) -> list[str]:
        return obj.tag_list

    @extend_schema_field(serializers.CharField(help_text="按角色脱敏，如 138****5678"))
    def get_contact_phone(self, obj: Enterprise) -> str:
        return selectors.phone_for(self._user(), obj.contact_phone)

    def get_region_label(self, obj: Enterprise) -> str:
        return selectors.region_label(obj.region_code)

    def get_industry_label(self, obj: Enterprise) -> str:
        return selectors.industry_label(obj.industry_code)


class EnterpriseDetailOutputSerializer(EnterpriseOutputSerializer):
    age_years = serializers.SerializerMethodField()
    rd_ratio = serializers.SerializerMethodField()

    class Meta(EnterpriseOutputSerializer.Meta):
        fields = [*EnterpriseOutputSerializer.Meta.fields, "age_years", "rd_ratio", "created_at"]

    @extend_schema_field(serializers.FloatField(allow_null=True, help_text="企业年龄（年），截至今天"))
    def get_age_years(self, obj: Enterprise) -> float | None:
        detail = self.context.get("detail")
        value = detail.age_years if detail else None
        return None if value is None else float(value)

    @extend_schema_field(serializers.FloatField(allow_null=True, help_text="研发费用 / 营业收入"))
    def get_rd_ratio(self, obj: Enterprise) -> float | None:
        detail = self.context.get("detail")
        value = detail.rd_ratio if detail else None
        return None if value is None else float(value)


class EnterpriseInputSerializer(serializers.Serializer):
    """A new enterprise (DATA-CONTRACT.md section 1). Omitted or null optional fields are unknown."""

    uscc = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    region_code = serializers.CharField(max_length=20)
    industry_code = serializers.CharField(max_length=20)
    established_on = serializers.DateField()
    ownership = serializers.ChoiceField(choices=Ownership.choices, allow_null=True, required=False)
    registered_capital = serializers.DecimalField(**MONEY)
    employees = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    revenue = serializers.DecimalField(**MONEY)
    total_assets = serializers.DecimalField(**MONEY)
    tax_paid = serializers.DecimalField(**MONEY)
    rd_expense = serializers.DecimalField(**MONEY)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    red_list = serializers.BooleanField(required=False)
    contact_phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    status = serializers.ChoiceField(choices=EnterpriseStatus.choices, required=False)


class EnterpriseUpdateSerializer(EnterpriseInputSerializer):
    """Changed fields only (PATCH); the USCC identifies the enterprise and cannot change."""

    uscc = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class HistoryEntrySerializer(serializers.Serializer):
    field = serializers.CharField(help_text="字段名；* 表示新建")
    field_label = serializers.CharField()
    old_value = serializers.CharField(help_text="空字符串表示未知")
    new_value = serializers.CharField()
    source = serializers.CharField(help_text="import | user | api | system")  # type: ignore[assignment]
    source_label = serializers.CharField()
    file_name = serializers.CharField(help_text="导入的文件名（来源为文件导入时）")
    batch_id = serializers.IntegerField(allow_null=True)
    actor = serializers.CharField()
    changed_at = serializers.DateTimeField()


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="行号（表头为第1行）；null 为整批说明")
    column = serializers.CharField(allow_blank=True, help_text="列名（英文）；空为整行")
    column_title = serializers.CharField(allow_blank=True, help_text="列名（中文）")
    value = serializers.CharField(allow_blank=True, help_text="单元格内容")
    reason = serializers.CharField()


class ImportBatchSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()  # type: ignore[assignment]
    errors_csv_url = serializers.SerializerMethodField()
    started_by: "serializers.StringRelatedField[Any]" = serializers.StringRelatedField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "file_name",
            "status",
            "status_label",
            "is_dry_run",
            "is_atomic",
            "total_rows",
            "processed_rows",
            "progress",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "errors",
            "errors_csv_url",
            "failure_message",
            "started_by",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(serializers.IntegerField(help_text="进度百分比 0-100"))
    def get_progress(self, obj: ImportBatch) -> int:
        if obj.status == ImportStatus.DONE:
            return 100
        if not obj.total_rows:
            return 0
        return min(100, obj.processed_rows * 100 // obj.total_rows)

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, obj: ImportBatch) -> Any:
        return ImportErrorSerializer(selectors.import_batch_errors(batch=obj), many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_errors_csv_url(self, obj: ImportBatch) -> str | None:
        if not obj.rejected_count:
            return None
        return reverse("api-enterprise-import-errors", kwargs={"batch_id": obj.pk})


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV（UTF-8）或 XLSX，列见数据规范第1节")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="仅校验，不写入")
    atomic = serializers.BooleanField(required=False, default=False, help_text="有任一行被拒绝则整批不导入")

    def validate_file(self, upload: Any) -> Any:
        # The same check as the import page (forms.EnterpriseImportForm): refused at once, rather
        # than queued and failed later with a puzzling "missing columns".
        if Path(upload.name).suffix.lower() not in {".csv", ".xlsx"}:
            raise serializers.ValidationError("只接受 .csv 或 .xlsx 文件。")
        return upload
