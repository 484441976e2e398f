"""Forms of the intake pages (hotline, enterprise portal, mayor line, leaders' queue): they parse and
type the input and give clear Chinese messages; the services decide and check again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from huiqi.appeals import attachments, selectors
from huiqi.appeals.enums import Kind, Priority, Satisfaction
from huiqi.appeals.errors import AttachmentRejectedError

DIRECT_REPLY = "direct_reply"
REGISTER = "register"


def category_choices() -> list[Any]:
    """The two-level tree as option groups; a first-level category may be chosen itself (综合)."""
    choices: list[Any] = [("", "不确定（由派单员分类）")]
    for top, children in selectors.category_tree():
        options = [(str(top.pk), f"{top.name}（综合）")] + [(str(c.pk), c.name) for c in children]
        choices.append((top.name, options))
    return choices


def _style(form: forms.Form) -> None:
    """Bootstrap classes on every widget, and is-invalid on the fields with errors."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, checked by appeals.attachments (size, count, type), every problem named."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "附件")
        kwargs.setdefault(
            "help_text",
            f"可选，最多 {attachments.max_count()} 个，每个不超过 "
            f"{attachments.max_bytes() // (1024 * 1024)} MB；支持 PDF、Word、Excel、WPS、OFD、图片、压缩包、音视频。",
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ",".join(sorted(attachments.ALLOWED_SUFFIXES))

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError("请上传附件。", code="required")
        try:
            attachments.validate_attachments(files)
        except AttachmentRejectedError as error:
            problems: Sequence[str] = (error.extra or {}).get("errors") or [error.message]
            raise forms.ValidationError(list(problems), code="rejected") from None
        return files


class HotlineAppealForm(forms.Form):
    """What the agent types while on the phone; the caller's number and enterprise come from the left panel."""

    caller_phone = forms.CharField(label="来电号码", max_length=40, required=False)
    caller_name = forms.CharField(label="来电人", max_length=50, required=False)
    enterprise = forms.CharField(label="企业", max_length=18, required=False)  # a USCC, or "" = none
    kind = forms.ChoiceField(label="诉求类型", choices=Kind.choices, initial=Kind.CONSULTATION)
    category = forms.ChoiceField(label="诉求分类", required=False)
    priority = forms.ChoiceField(
        label="优先级",
        required=False,
        choices=[("", "按规则（红名单自动优先）"), (Priority.HIGH, "优先"), (Priority.URGENT, "紧急")],
    )
    title = forms.CharField(
        label="标题", max_length=200, required=False, help_text="不填则取诉求内容前 30 字。"
    )
    content = forms.CharField(label="诉求内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    reply_text = forms.CharField(
        label="直接答复内容",
        required=False,
        max_length=10000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "能当场解答的咨询，在此写下答复，点“登记并直接答复”办结。"}
        ),
    )
    # Which button was pressed; a submission without one (Enter in a field) registers.
    action = forms.ChoiceField(
        choices=[(REGISTER, "登记"), (DIRECT_REPLY, "登记并直接答复")], initial=REGISTER, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        self.fields["content"].error_messages["required"] = "请填写诉求内容。"
        _style(self)
        self.fields["caller_phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off", "placeholder": "如 13912345678 或 0531-88886666"}
        )

    @property
    def is_direct_reply(self) -> bool:
        return self.is_bound and self.data.get("action") == DIRECT_REPLY

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == DIRECT_REPLY and not (data.get("reply_text") or "").strip():
            self.add_error("reply_text", "直接答复需要填写答复内容。")
        return data


class EnterpriseAppealForm(forms.Form):
    """The enterprise portal's form (channel 网站); the enterprise is chosen only when the user acts for several."""

    enterprise = forms.ChoiceField(label="代表企业")
    kind = forms.ChoiceField(label="诉求类型", choices=Kind.choices, initial=Kind.HELP)
    title = forms.CharField(
        label="标题", max_length=200, help_text="一句话说明诉求，如“新厂房用电增容申请一个月未办结”。"
    )
    content = forms.CharField(
        label="诉求内容",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="请写明事情经过、已办理的情况和希望解决的问题。",
    )
    category = forms.ChoiceField(label="诉求分类", required=False, help_text="不确定可不选，由工作人员分类。")
    attachments = AttachmentsField()

    def __init__(self, *args: Any, enterprises: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [(e.uscc, e.name) for e in enterprises]  # type: ignore[attr-defined]
        self.sole_enterprise = enterprises[0].uscc if len(enterprises) == 1 else ""
        if self.sole_enterprise:
            self.fields["enterprise"].initial = self.sole_enterprise
            self.fields["enterprise"].required = False
            self.fields["enterprise"].widget = forms.HiddenInput()
        if "category" in self.fields:
            self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        self.fields["enterprise"].error_messages["required"] = "请选择代表哪家企业提交。"
        self.fields["title"].error_messages["required"] = "请填写标题。"
        self.fields["content"].error_messages["required"] = "请填写诉求内容。"
        _style(self)

    def clean_enterprise(self) -> str:
        return str(self.cleaned_data.get("enterprise") or self.sole_enterprise)


class MayorLineAppealForm(EnterpriseAppealForm):
    """企业市长直通车: no category (the leader's instruction decides where it goes)."""

    kind = forms.ChoiceField(
        label="诉求类型",
        choices=[(k, label) for k, label in Kind.choices if k != Kind.PRAISE],
        initial=Kind.HELP,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["category"]
        self.fields["enterprise"].label = "代表企业（红名单）"


class FollowUpForm(forms.Form):
    """The enterprise's own evaluation of a reply (网上评价)."""

    version = forms.IntegerField(widget=forms.HiddenInput())
    is_resolved = forms.TypedChoiceField(
        label="问题是否已解决",
        choices=[("1", "已解决"), ("0", "未解决")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(label="满意度", choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label="意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "选择“不满意”时，请说明原因，诉求将退回承办单位重新办理。"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["is_resolved"].error_messages["required"] = "请选择问题是否已解决。"
        self.fields["satisfaction"].error_messages["required"] = "请选择满意度。"
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("satisfaction") == Satisfaction.DISSATISFIED and not (data.get("comment") or "").strip():
            self.add_error("comment", "选择“不满意”时请说明原因，承办单位将据此重新办理。")
        return data


class LeaderInstructionForm(forms.Form):
    """A leader's instruction (批示) on a mayor-line appeal: it goes with the ticket and raises its priority."""

    version = forms.IntegerField(widget=forms.HiddenInput())
    instruction = forms.CharField(
        label="批示内容",
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "如：请市工信局牵头，会同供电公司三个工作日内办结并答复企业。"}
        ),
    )
    priority = forms.ChoiceField(
        label="优先级", choices=[(Priority.HIGH, "优先"), (Priority.URGENT, "紧急")], initial=Priority.HIGH
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instruction"].error_messages["required"] = "请填写批示内容。"
        _style(self)
