"""Forms of the policy editor's pages, and what the condition builder needs to know about fields.

`builder_config()` is the one place the page learns the rules engine's field registry (names, types,
Chinese labels, units, operators valid for each type): it is written into the page with json_script
and read by static/huiqi/condition-builder.js, so the builder never offers a field or an operator the
engine would refuse. Only the grouping of fields and the Chinese names of operators are added here.

The item form carries the item's own fields as ordinary inputs and its rules (eligibility, reward,
examples) as JSON kept up to date by the builder; the drafting services validate the whole item
(drafting.py), and their faults are put back on the inputs or, by path, on the builder's nodes.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from huiqi.policies.enums import MatchStatus, PolicyLevel
from huiqi.policies.models import PolicyItemVersion
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, Op

OPERATOR_LABELS: dict[str, str] = {
    Op.EQ: "等于",
    Op.NE: "不等于",
    Op.LT: "小于",
    Op.LE: "不大于",
    Op.GT: "大于",
    Op.GE: "不小于",
    Op.BETWEEN: "介于",
    Op.IN: "属于",
    Op.NOT_IN: "不属于",
    Op.STARTS_WITH: "以…开头",
    Op.CONTAINS: "包含标签",
    Op.CONTAINS_ANY: "包含任一",
    Op.CONTAINS_ALL: "包含全部",
    Op.IS_NULL: "为空",
    Op.IS_NOT_NULL: "不为空",
}

#: Groups of the field picker. A field the registry gains later and that is not listed here still
#: appears, under "其他字段" (or "派生指标" when it is derived).
FIELD_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "基本信息",
        ("region_code", "industry_code", "established_on", "ownership", "name", "uscc", "contact_phone"),
    ),
    ("经营规模", ("revenue", "tax_paid", "rd_expense", "total_assets", "registered_capital", "employees")),
    ("资质与信用", ("tags", "red_list")),
    ("派生指标（自动计算）", ("size_class", "age_years", "rd_ratio")),
)
_OTHER_GROUP = "其他字段"
_DERIVED_GROUP = FIELD_GROUPS[-1][0]


def _group_of(spec: FieldSpec) -> str:
    for group, names in FIELD_GROUPS:
        if spec.name in names:
            return group
    return _DERIVED_GROUP if spec.is_derived else _OTHER_GROUP


def _field_json(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": str(spec.type),
        "label": spec.label,
        "unit": "%" if spec.is_percent else spec.unit,
        "is_percent": spec.is_percent,
        "is_derived": spec.is_derived,
        "is_numeric": spec.is_numeric,
        "enum_values": [list(pair) for pair in spec.enum_values],
        "description": spec.description,
        "operators": [str(op) for op in Op if op in spec.operators],
        "group": _group_of(spec),
    }


def builder_config(
    registry: FieldRegistry = DEFAULT_REGISTRY, *, tags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The field registry and the builder's vocabulary, as JSON for the page."""
    fields = [_field_json(spec) for spec in registry]
    order = [group for group, _names in FIELD_GROUPS]
    groups = [group for group in order if any(f["group"] == group for f in fields)]
    if any(f["group"] == _OTHER_GROUP for f in fields):
        groups.append(_OTHER_GROUP)
    order_in_group = {name: index for _group, names in FIELD_GROUPS for index, name in enumerate(names)}
    fields.sort(key=lambda f: (groups.index(f["group"]), order_in_group.get(f["name"], 99)))
    return {
        "fields": fields,
        "groups": groups,
        "operators": {str(op): label for op, label in OPERATOR_LABELS.items()},
        "statuses": {status.value: status.label for status in MatchStatus},
        "levels": {level.value: level.label for level in PolicyLevel},
        "tags": list(tags),
    }


class _JSONField(forms.CharField):
    """JSON text written by the builder; an empty text is None."""

    widget = forms.HiddenInput

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"规则数据不是有效的 JSON（{error.msg}）：请刷新页面后重试。"
            ) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) or value is None:
            return value
        return json.dumps(value, ensure_ascii=False)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-control form-control-sm"})


def _text(label: str, **kwargs: Any) -> forms.CharField:
    attrs = {"class": "form-control form-control-sm", **kwargs.pop("attrs", {})}
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kwargs)


class PolicyItemForm(forms.Form):
    """One item version in the editor. Required keys are checked by the drafting service (with the
    item file's messages), so a missing title and a wrong condition are reported the same way."""

    code = _text(
        "条目编码",
        max_length=64,
        attrs={"placeholder": "如 JN-2024-ZJTX-01", "class": "form-control form-control-sm mono"},
    )
    title = _text("条目名称", max_length=300)
    document_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    policy = _text("政策文件名称", max_length=300, attrs={"autocomplete": "off"})
    document_number = _text("文号", max_length=100)
    level = forms.ChoiceField(
        label="层级",
        required=False,
        choices=[("", "请选择"), *PolicyLevel.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    region_code = _text(
        "区划代码",
        max_length=6,
        attrs={"placeholder": "6 位，如 370100", "class": "form-control form-control-sm mono"},
    )
    department = _text("发文部门", max_length=200)
    effective_from = forms.DateField(label="生效日期", required=False, widget=_DateInput())
    effective_to = forms.DateField(label="失效日期", required=False, widget=_DateInput())
    auto_entitlement = forms.BooleanField(
        label="免申即享", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    budget_amount = forms.DecimalField(
        label="预算(元)",
        required=False,
        max_digits=16,
        decimal_places=2,
        min_value=0,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "inputmode": "decimal"}),
    )
    application_opens_on = forms.DateField(label="申报开始", required=False, widget=_DateInput())
    application_closes_on = forms.DateField(label="申报截止", required=False, widget=_DateInput())
    eligibility = _JSONField(required=False)
    reward = _JSONField(required=False)
    examples = _JSONField(required=False)

    #: Form fields that carry an item key of the same name (faults on other paths go to the builder).
    ITEM_KEYS = (
        "code",
        "title",
        "policy",
        "document_number",
        "level",
        "region_code",
        "department",
        "effective_from",
        "effective_to",
        "auto_entitlement",
        "budget_amount",
        "application_opens_on",
        "application_closes_on",
        "document_id",
    )

    def item_data(self) -> dict[str, Any]:
        """The item in the file format (drafting.py's `data`)."""
        data = {key: self.cleaned_data.get(key) for key in self.ITEM_KEYS}
        data["eligibility"] = self.cleaned_data.get("eligibility")
        reward = self.cleaned_data.get("reward")
        if reward is not None:
            data["reward"] = reward
        examples = self.cleaned_data.get("examples")
        if examples:
            data["examples"] = examples
        return data

    def place_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Put faults on the matching inputs; return those that belong to the builder (by path)."""
        rest: dict[str, list[str]] = {}
        for path, messages in errors.items():
            name = "policy" if path == "document_id" else path
            if name in self.fields and name not in ("eligibility", "reward", "examples"):
                for message in messages:
                    self.add_error(name, message)
            elif path == "":
                for message in messages:
                    self.add_error(None, message)
            else:
                rest[path] = messages
        return rest


def initial_for(version: PolicyItemVersion) -> dict[str, Any]:
    document = version.document
    return {
        "code": version.item.code,
        "title": version.title,
        "document_id": document.pk,
        "policy": document.title,
        "document_number": document.document_number,
        "level": document.level,
        "region_code": document.region_code,
        "department": document.issuing_department,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "auto_entitlement": version.auto_entitlement,
        # 1000000.00 is shown as 1000000 (the YAML view writes it so too).
        "budget_amount": (
            format(version.budget_amount.normalize(), "f") if version.budget_amount is not None else None
        ),
        "application_opens_on": version.application_opens_on,
        "application_closes_on": version.application_closes_on,
        "eligibility": version.eligibility,
        "reward": version.reward,
        "examples": version.examples or [],
    }


class StepForm(forms.Form):
    """A workflow step taken from the version page (the buttons of workflow.allowed_steps)."""

    step = forms.CharField()
    reason = forms.CharField(required=False, max_length=2000)


class ItemFilterForm(forms.Form):
    q = forms.CharField(label="编码 / 名称", required=False)
    status = forms.ChoiceField(label="状态", required=False)
    level = forms.ChoiceField(label="层级", required=False, choices=[("", "全部"), *PolicyLevel.choices])

    def __init__(self, *args: Any, status_choices: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", "全部"), *status_choices.items()]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"q": "", "status": "", "level": ""}
        return {key: self.cleaned_data.get(key) or "" for key in ("q", "status", "level")}
