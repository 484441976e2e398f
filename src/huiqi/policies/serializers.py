"""Serializers of the policies API: they parse and render; every rule is checked by the services.

An item's content is written in the policy item file format of DATA-CONTRACT.md section 2 (the same
keys as the YAML), so a client can send what `huiqi export_policies` writes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huiqi.enterprises.selectors import region_label
from huiqi.policies.enums import MatchStatus, PolicyLevel
from huiqi.policies.models import MatchRunStatus, MatchRunTrigger, PolicyDocument, PolicyItemVersion
from huiqi.policies.search_index import KIND_LABELS, MAX_QUERY_LENGTH
from huiqi.policies.workflow import Step, VersionStatus

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True}


# ----------------------------------------------------------------------------------- documents
class PolicyDocumentFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text="政策名称或文号包含")
    level = serializers.ChoiceField(choices=PolicyLevel.choices, required=False, allow_blank=True)
    department = serializers.CharField(required=False, allow_blank=True, help_text="发文部门（全称）")
    region_code = serializers.CharField(
        required=False, allow_blank=True, help_text="区划代码（GB/T 2260）；370100 含其下各区县"
    )


class PolicyDocumentSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    region_label = serializers.SerializerMethodField()

    class Meta:
        model = PolicyDocument
        fields = [
            "id",
            "title",
            "document_number",
            "issuing_department",
            "level",
            "level_label",
            "region_code",
            "region_label",
            "published_on",
            "valid_from",
            "valid_to",
            "themes",
            "updated_at",
        ]

    def get_region_label(self, document: PolicyDocument) -> str:
        return region_label(document.region_code)


class DocumentItemSerializer(serializers.Serializer):
    """An item as its document shows it: the version the public sees, with its rules in words."""

    code = serializers.CharField(source="version.item.code")
    title = serializers.CharField(source="version.title")
    version = serializers.IntegerField(source="version.number")
    effective_from = serializers.DateField(source="version.effective_from")
    effective_to = serializers.DateField(source="version.effective_to", allow_null=True)
    application_opens_on = serializers.DateField(source="version.application_opens_on", allow_null=True)
    application_closes_on = serializers.DateField(source="version.application_closes_on", allow_null=True)
    auto_entitlement = serializers.BooleanField(source="version.auto_entitlement")
    budget_amount = serializers.DecimalField(source="version.budget_amount", allow_null=True, **MONEY)
    is_effective = serializers.BooleanField(help_text="今天在施行期内")
    is_open = serializers.BooleanField(help_text="今天可以申报（非免申即享、在申报期内）")
    rules_text = serializers.CharField(help_text="申报条件与奖励（中文）")


class PolicyDocumentDetailSerializer(PolicyDocumentSerializer):
    full_text = serializers.CharField()
    is_effective = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta(PolicyDocumentSerializer.Meta):
        fields = [*PolicyDocumentSerializer.Meta.fields, "full_text", "is_effective", "items"]

    def get_is_effective(self, document: PolicyDocument) -> bool:
        return bool(self.context["detail"].is_effective)

    @extend_schema_field(DocumentItemSerializer(many=True))
    def get_items(self, document: PolicyDocument) -> Any:
        return DocumentItemSerializer(self.context["items"], many=True).data


# --------------------------------------------------------------------------------------- items
class PolicyItemFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text="编码、条目名称或政策文件名称包含")
    level = serializers.ChoiceField(choices=PolicyLevel.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=VersionStatus.choices, required=False, allow_blank=True, help_text="有此状态的版本"
    )


class VersionSummarySerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = PolicyItemVersion
        fields = [
            "number",
            "status",
            "status_label",
            "title",
            "effective_from",
            "effective_to",
            "created_at",
            "published_at",
            "retired_at",
        ]


class PolicyItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.SerializerMethodField(help_text="最新（可见）版本的名称")
    document_id = serializers.IntegerField()
    document_title = serializers.CharField(source="document.title")
    level = serializers.ChoiceField(source="document.level", choices=PolicyLevel.choices)
    versions = serializers.SerializerMethodField()

    def _versions(self, item: Any) -> list[PolicyItemVersion]:
        return list(item.visible_versions)  # selectors_library.items_for: newest first

    def get_title(self, item: Any) -> str:
        versions = self._versions(item)
        return versions[0].title if versions else item.code

    @extend_schema_field(VersionSummarySerializer(many=True))
    def get_versions(self, item: Any) -> Any:
        return VersionSummarySerializer(self._versions(item), many=True).data


class TransitionSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(source="actor.full_name", default="", allow_null=True)
    note = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class PolicyItemVersionSerializer(serializers.ModelSerializer):
    """One version with its rules (in the contract's format), workflow history and allowed steps."""

    code = serializers.CharField(source="item.code")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    document_title = serializers.CharField(source="document.title")
    budget_amount = serializers.DecimalField(allow_null=True, **MONEY)
    rules_text = serializers.SerializerMethodField(help_text="申报条件与奖励（中文）")
    created_by = serializers.CharField(source="created_by.full_name", default="", allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.full_name", default="", allow_null=True)
    transitions = TransitionSerializer(many=True)
    allowed_steps = serializers.SerializerMethodField(help_text="当前用户可以进行的流转")

    class Meta:
        model = PolicyItemVersion
        fields = [
            "code",
            "number",
            "status",
            "status_label",
            "title",
            "document",
            "document_title",
            "eligibility",
            "reward",
            "examples",
            "rules_text",
            "auto_entitlement",
            "budget_amount",
            "application_opens_on",
            "application_closes_on",
            "effective_from",
            "effective_to",
            "created_by",
            "created_at",
            "reviewed_by",
            "published_at",
            "retired_at",
            "transitions",
            "allowed_steps",
        ]

    def get_rules_text(self, version: PolicyItemVersion) -> str:
        from huiqi.policies.search_index import describe_rules

        return describe_rules(version)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Step.choices)))
    def get_allowed_steps(self, version: PolicyItemVersion) -> list[str]:
        from huiqi.policies.workflow import allowed_steps

        role = getattr(self.context["request"].user, "role", None)
        return [str(step) for step in allowed_steps(status=version.status, role=role)]


class PolicyItemDataSerializer(serializers.Serializer):
    """An item's content in the policy item file format (DATA-CONTRACT.md section 2).

    Types are checked here; everything else (field names in the condition tree, operators, formula
    grammar, dates in order, examples) by the same validation as `huiqi import_policies`, whose
    faults come back in `fields` keyed by their path (`eligibility.all[1].any[0].value`).
    """

    code = serializers.CharField(max_length=64, required=False, help_text="新建时必填；修改时不可变")
    title = serializers.CharField(max_length=300, required=False)
    document_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="已有政策文件；给出时其名称、文号、层级、区划、部门代替下面五项",
    )
    policy = serializers.CharField(max_length=300, required=False, help_text="政策文件名称")
    document_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=PolicyLevel.choices, required=False)
    region_code = serializers.CharField(max_length=6, required=False)
    department = serializers.CharField(max_length=200, required=False)
    effective_from = serializers.DateField(required=False)
    effective_to = serializers.DateField(required=False, allow_null=True)
    auto_entitlement = serializers.BooleanField(required=False)
    budget_amount = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    application_opens_on = serializers.DateField(required=False, allow_null=True)
    application_closes_on = serializers.DateField(required=False, allow_null=True)
    eligibility = serializers.JSONField(
        required=False, help_text="条件树：all / any / not / {field, op, value}"
    )
    reward = serializers.JSONField(
        required=False, allow_null=True, help_text="fixed / formula / tiers，可选 cap"
    )
    examples = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="示例：profile 与 expect"
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="退回须说明理由"
    )


class PolicyImportInputSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), allow_empty=False, help_text="一个或多个 .yaml / .yml 文件"
    )
    draft = serializers.BooleanField(
        default=True, help_text="true：作为草稿等待审核（政策编辑）；false：直接发布（系统管理员批量导入）"
    )


class FaultSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="文件名与 YAML 路径，如 items.yaml[2].eligibility.all[0].op")
    message = serializers.CharField()


class ImportedVersionSerializer(serializers.Serializer):
    location = serializers.CharField()
    code = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    is_new_item = serializers.BooleanField()


class RejectedItemSerializer(serializers.Serializer):
    location = serializers.CharField()
    code = serializers.CharField()
    faults = FaultSerializer(many=True)


class PolicyImportReportSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.CharField())
    accepted = ImportedVersionSerializer(many=True)
    rejected = RejectedItemSerializer(many=True)
    summary = serializers.CharField()


# -------------------------------------------------------------------------------------- search
class PolicySearchFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH, help_text="关键词"
    )
    kind = serializers.ChoiceField(choices=list(KIND_LABELS.items()), required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=PolicyLevel.choices, required=False, allow_blank=True)
    department = serializers.CharField(required=False, allow_blank=True, help_text="发文部门（全称）")
    region_code = serializers.CharField(
        required=False, allow_blank=True, help_text="区划代码（GB/T 2260）；370100 含其下各区县"
    )
    theme = serializers.CharField(required=False, allow_blank=True)
    effective_only = serializers.BooleanField(required=False, default=False, help_text="只看现行有效")
    open_only = serializers.BooleanField(required=False, default=False, help_text="只看正在申报")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class SearchDocumentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document_id")
    title = serializers.CharField(source="document_title")
    document_number = serializers.CharField()
    url = serializers.CharField(source="document_url")


class PolicySearchHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KIND_LABELS.items()))
    kind_label = serializers.CharField()
    id = serializers.IntegerField(source="object_id", help_text="文件或条目的编号")
    code = serializers.CharField(help_text="条目编码（文件为文号）")
    title = serializers.CharField()
    title_html = serializers.CharField(help_text="HTML：已转义，匹配处以 <mark> 标出")
    snippet_html = serializers.CharField(help_text="HTML 摘要：已转义，匹配处以 <mark> 标出")
    score = serializers.FloatField(help_text="BM25 相关度（无关键词时为 0）")
    url = serializers.CharField(help_text="页面地址")
    level = serializers.ChoiceField(choices=PolicyLevel.choices)
    department = serializers.CharField()
    region_code = serializers.CharField()
    themes = serializers.ListField(child=serializers.CharField())
    document = SearchDocumentRefSerializer(source="*")
    published_on = serializers.DateField(allow_null=True)
    starts_on = serializers.DateField(allow_null=True, help_text="有效期起（条目：施行日期）")
    ends_on = serializers.DateField(allow_null=True)
    opens_on = serializers.DateField(allow_null=True, help_text="申报开始（条目）")
    closes_on = serializers.DateField(allow_null=True, help_text="申报截止（条目）")
    auto_entitlement = serializers.BooleanField()
    is_effective = serializers.BooleanField()
    is_open = serializers.BooleanField()


class PolicySearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField(), help_text="分词后参与检索的词")
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField(source="limit")
    as_of = serializers.DateField()
    took_ms = serializers.FloatField()
    results = PolicySearchHitSerializer(source="hits", many=True)


# ------------------------------------------------------------------------------------- matches
class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="评估日期，默认今天"
    )


class MatchCardSerializer(serializers.Serializer):
    item_code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=MatchStatus.choices)
    amount = serializers.DecimalField(allow_null=True, **MONEY)
    reasons_met = serializers.ListField(child=serializers.CharField(), help_text="符合的理由")
    reward_note = serializers.CharField(help_text="金额如何算得")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="还差什么，如“缺少: 上年营业收入”"
    )
    document_id = serializers.IntegerField(source="document.pk")
    document_title = serializers.CharField(source="document.title")
    auto_entitlement = serializers.BooleanField()
    is_open_for_application = serializers.BooleanField()


class EnterprisePolicyMatchesSerializer(serializers.Serializer):
    uscc = serializers.CharField(source="enterprise.uscc")
    name = serializers.CharField(source="enterprise.name")
    as_of = serializers.DateField()
    total_amount = serializers.DecimalField(**MONEY)
    qualified = MatchCardSerializer(many=True, help_text="符合条件的条目，金额大的在前")
    nearly = MatchCardSerializer(many=True, help_text="差一点符合的条目，附所缺条件")
    other_count = serializers.IntegerField(help_text="其余不符合的条目数")
    stored_at = serializers.DateTimeField(allow_null=True, help_text="已存匹配结果的计算时间")


# -------------------------------------------------------------------------------------- impact
class GroupCountSerializer(serializers.Serializer):
    key = serializers.CharField()
    # DRF pops declared fields off the class, so this does not shadow Field.label at run time.
    label = serializers.CharField()  # type: ignore[assignment]
    eligible = serializers.IntegerField()
    needs_info = serializers.IntegerField()
    ineligible = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class ChangedEnterpriseSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    region_label = serializers.CharField()
    before_status = serializers.CharField()
    after_status = serializers.CharField()
    before_amount = serializers.DecimalField(allow_null=True, **MONEY)
    after_amount = serializers.DecimalField(allow_null=True, **MONEY)


class VersionComparisonSerializer(serializers.Serializer):
    current_number = serializers.IntegerField(source="current.number", help_text="对比的现行版本")
    current_eligible_count = serializers.IntegerField()
    current_needs_info_count = serializers.IntegerField()
    current_total_amount = serializers.DecimalField(**MONEY)
    gained_count = serializers.IntegerField()
    lost_count = serializers.IntegerField()
    amount_changed_count = serializers.IntegerField()
    gained = ChangedEnterpriseSerializer(many=True)
    lost = ChangedEnterpriseSerializer(many=True)
    amount_changed = ChangedEnterpriseSerializer(many=True)


class ImpactPreviewSerializer(serializers.Serializer):
    code = serializers.CharField(source="version.item.code")
    number = serializers.IntegerField(source="version.number")
    as_of = serializers.DateField()
    enterprise_count = serializers.IntegerField()
    eligible_count = serializers.IntegerField()
    needs_info_count = serializers.IntegerField()
    ineligible_count = serializers.IntegerField()
    total_amount = serializers.DecimalField(**MONEY)
    budget_amount = serializers.DecimalField(allow_null=True, **MONEY)
    is_over_budget = serializers.BooleanField()
    by_region = GroupCountSerializer(many=True)
    by_industry = GroupCountSerializer(many=True)
    by_size = GroupCountSerializer(many=True)
    comparison = VersionComparisonSerializer(allow_null=True)
    computed_at = serializers.DateTimeField()
    elapsed_ms = serializers.FloatField()


# ---------------------------------------------------------------------------------- match runs
class MatchRunInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="评估日期，默认今天"
    )
    item_codes = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_null=True, default=None,
        help_text="只匹配这些条目；不给则全部条目",
    )  # fmt: skip


class MatchRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=MatchRunStatus.choices)
    trigger = serializers.ChoiceField(choices=MatchRunTrigger.choices)
    as_of = serializers.DateField()
    item_codes = serializers.ListField(child=serializers.CharField())
    total_items = serializers.IntegerField()
    processed_items = serializers.IntegerField()
    percent = serializers.IntegerField()
    enterprise_count = serializers.IntegerField()
    eligible_count = serializers.IntegerField()
    needs_info_count = serializers.IntegerField()
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
