"""Forms of the registry pages: they parse and type the input; services and selectors decide."""

from pathlib import Path
from typing import Any

from django import forms

from huiqi.core.reference import industries, regions
from huiqi.enterprises import selectors
from huiqi.enterprises.enums import EnterpriseStatus, Ownership, SizeClass
from huiqi.enterprises.models import Enterprise

EMPTY = [("", "全部")]


def region_choices() -> list[tuple[str, str]]:
    """The demo city as a whole, then each of its districts and counties (GB/T 2260)."""
    city = regions.DEMO_CITY_CODE
    districts = [(code, name) for code, name in regions.JINAN.items() if code != city]
    return [*EMPTY, (city, f"{regions.region_label(city)}（全市）"), *districts]


def industry_section_choices() -> list[tuple[str, str]]:
    """The 20 sections (门类) of GB/T 4754-2017."""
    return [*EMPTY, *((letter, f"{letter} {name}") for letter, name in industries.SECTIONS.items())]


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label="企业名称或统一社会信用代码", required=False, max_length=200)
    region_code = forms.ChoiceField(label="区划", required=False)
    industry_section = forms.ChoiceField(label="行业门类", required=False)
    industry_code = forms.CharField(label="行业代码", required=False, max_length=5)
    size_class = forms.ChoiceField(
        label="规模", required=False, choices=EMPTY + list(SizeClass.choices) + [("unknown", "无法判定")]
    )
    red_list = forms.ChoiceField(label="红名单", required=False, choices=[*EMPTY, ("1", "是"), ("0", "否")])
    tag = forms.CharField(label="标签", required=False, max_length=50)
    status = forms.ChoiceField(label="状态", required=False, choices=EMPTY + list(EnterpriseStatus.choices))
    ownership = forms.ChoiceField(label="经济类型", required=False, choices=EMPTY + list(Ownership.choices))
    order = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("name", "按名称"),
            ("uscc", "按信用代码"),
            ("-established_on", "成立日期从近到远"),
            ("established_on", "成立日期从远到近"),
            ("-updated_at", "最近更新"),
        ],
    )

    # The API spells the red-list filter true/false; a link copied from it works on the page too.
    RED_LIST_ALIASES = {"true": "1", "false": "0", "True": "1", "False": "0", "是": "1", "否": "0"}

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and data.get("red_list") in self.RED_LIST_ALIASES:
            data = data.copy()
            data["red_list"] = self.RED_LIST_ALIASES[data["red_list"]]
        super().__init__(data, *args, **kwargs)
        self.fields["region_code"].choices = region_choices()  # type: ignore[attr-defined]
        self.fields["industry_section"].choices = industry_section_choices()  # type: ignore[attr-defined]

    def filter_errors(self) -> list[str]:
        """Each faulty filter as "label：reason (value)". A mistyped filter must not be dropped
        silently: the list would then show (or export) far more than was asked for."""
        if not self.is_bound or self.is_valid():
            return []
        messages = []
        for name, reasons in self.errors.items():
            label = self.fields[name].label if name in self.fields else "筛选条件"
            value = self.data.get(name, "")
            messages.append(f"{label}“{value}”无效：{'；'.join(str(r) for r in reasons)}")
        return messages

    def search_kwargs(self) -> dict[str, Any]:
        """The cleaned filters as keyword arguments of selectors.search_enterprises (the valid ones
        only; callers check `filter_errors` first)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else getattr(self, "cleaned_data", {})
        red_list = data.get("red_list")
        return {
            "q": data.get("q", ""),
            "region_code": data.get("region_code", ""),
            "industry_section": data.get("industry_section", ""),
            "industry_code": data.get("industry_code", ""),
            "size_class": data.get("size_class", ""),
            "red_list": {"1": True, "0": False}.get(red_list or ""),
            "tag": data.get("tag", ""),
            "status": data.get("status", ""),
            "ownership": data.get("ownership", ""),
            "order": data.get("order") or selectors.DEFAULT_ORDER,
        }


EDITABLE_FIELDS = (
    "name",
    "region_code",
    "industry_code",
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
)


class EnterpriseEditForm(forms.Form):
    """The editable profile fields. A plain Form (not a ModelForm) so that the enterprise is not
    modified before the service compares old and new values for the history."""

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        initial = {name: getattr(enterprise, name) for name in EDITABLE_FIELDS}
        initial["tags"] = "；".join(enterprise.tag_list) if enterprise.tag_list else ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields.update(forms.fields_for_model(Enterprise, fields=EDITABLE_FIELDS))
        self.fields["tags"] = forms.CharField(
            label="标签", required=False, help_text="多个标签以分号分隔，如 高新技术企业;专精特新中小企业"
        )
        # A text box in the contract's YYYY-MM-DD: a native date picker shows the browser's locale format.
        self.fields["established_on"].widget = forms.DateInput(
            attrs={"placeholder": "YYYY-MM-DD，如 2019-04-01", "autocomplete": "off"}, format="%Y-%m-%d"
        )
        self.fields["contact_phone"].help_text = "多个号码以分号分隔"
        for name in ("registered_capital", "revenue", "total_assets", "tax_paid", "rd_expense", "employees"):
            self.fields[name].help_text = "留空表示未知"
        for name, form_field in self.fields.items():
            css = "form-check-input" if isinstance(form_field, forms.BooleanField) else "form-control"
            if isinstance(form_field.widget, forms.Select):
                css = "form-select"
            form_field.widget.attrs.setdefault("class", css)
            form_field.widget.attrs.setdefault("id", f"id_{name}")

    def changes(self) -> dict[str, Any]:
        """Only the fields whose value differs from the enterprise's (the service records each)."""
        result: dict[str, Any] = {}
        for name in EDITABLE_FIELDS:
            value = self.cleaned_data.get(name)
            if name == "tags":
                value = ";".join(t.strip() for t in (value or "").replace("；", ";").split(";") if t.strip())
                current: Any = ";".join(self.enterprise.tag_list)
                if sorted(set(value.split(";")) - {""}) == sorted(set(current.split(";")) - {""}):
                    continue
            else:
                current = getattr(self.enterprise, name)
                if name == "ownership" and value == "":
                    value = None
            if value != current:
                result[name] = value
        return result


class EnterpriseImportForm(forms.Form):
    file = forms.FileField(
        label="企业数据文件",
        help_text="CSV（UTF-8）或 XLSX（第一个工作表），首行为表头，列名见数据规范。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "form-control"}),
    )
    dry_run = forms.BooleanField(
        label="仅校验（不写入数据）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    atomic = forms.BooleanField(
        label="全部成功才导入（有任一行被拒绝则整批不导入）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".xlsx"}:
            raise forms.ValidationError("只接受 .csv 或 .xlsx 文件。")
        return upload
