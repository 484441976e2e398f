"""Forms of the ticket actions (工单操作): one small form per action of appeals/workflow.py, each
carrying the ticket version the page showed (`expected_version`, hidden) so that the service can
refuse a stale action (TicketVersionConflictError) instead of overwriting someone else's.

The forms only parse and type the input; the services check state, role, scope and field rules
(transition_fields) and their AppealInputInvalidError is put back on the field it names. Field names
are not prefixed (a test or a script posts `reason`, `expected_version`, ...); `auto_id` keeps the
ids of the many forms on one page apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import FollowUpMethod, Priority, Satisfaction, TicketAction

A = TicketAction
Choices = list[tuple[Any, Any]]


def department_choices() -> Choices:
    """Active departments, indented by level (city bureaus and districts, then their units)."""
    return [
        (node.department.pk, "\u3000" * node.depth + node.department.name)
        for node in account_selectors.departments_flat()
    ]


def category_choices(*, blank: str | None = "（不改分类）") -> Choices:
    """The two-level tree as option groups: a first-level category, then its children."""
    groups: Choices = [("", blank)] if blank is not None else []
    for top, children in selectors.category_tree():
        groups.append((top.name, [(top.pk, f"{top.name}（一级）"), *((c.pk, c.name) for c in children)]))
    return groups


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); the service checks type and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class TicketActionForm(forms.Form):
    """The base of every action form: the hidden version, Bootstrap classes, and the keyword
    arguments of the action's service (`service_kwargs`)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        user: Any = None,
        ticket: Any = None,
        departments: Choices | None = None,
        categories: Choices | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.ticket = user, ticket
        for name in ("lead_department", "assisting_departments"):
            if name in self.fields:
                options = departments if departments is not None else department_choices()
                blank = [("", "请选择主办单位")] if name == "lead_department" else []
                self.fields[name].choices = [*blank, *options]  # type: ignore[attr-defined]
        if "category" in self.fields:
            required = self.fields["category"].required
            choices = categories if categories is not None else category_choices()
            if required:
                choices = [("", "请选择分类"), *[c for c in choices if c[0] != ""]]
            self.fields["category"].choices = choices  # type: ignore[attr-defined]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
                continue
            css = (
                "form-select form-select-sm"
                if isinstance(widget, forms.Select)
                else "form-control form-control-sm"
            )
            widget.attrs.setdefault("class", css)
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("expected_version", None)
        return data


def _reason(label: str = "理由", *, required: bool = True, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=2000, widget=forms.Textarea(attrs={"rows": rows})
    )


class AcceptForm(TicketActionForm):
    pass


class ReasonForm(TicketActionForm):
    reason = _reason()


class OptionalReasonForm(TicketActionForm):
    reason = _reason("意见", required=False)


class DispatchForm(TicketActionForm):
    category = forms.TypedChoiceField(label="分类", required=False, coerce=int, empty_value=None)
    lead_department = forms.TypedChoiceField(label="主办单位", coerce=int)
    assisting_departments = forms.TypedMultipleChoiceField(
        label="协办单位", required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 3})
    )
    reason = forms.CharField(label="派单说明", required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead, assisting = data.get("lead_department"), data.get("assisting_departments") or []
        if lead is not None and lead in assisting:
            self.add_error("assisting_departments", "协办单位不能与主办单位相同。")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        if data.get("category") is None:
            data.pop("category", None)
        return data


class RedispatchForm(DispatchForm):
    reason = _reason("转派理由")


class ReclassifyForm(TicketActionForm):
    category = forms.TypedChoiceField(label="新分类", coerce=int)
    reason = forms.CharField(label="理由", required=False, max_length=2000)


class RequestExtensionForm(TicketActionForm):
    days = forms.DecimalField(
        label="延期天数（工作日）",
        min_value=Decimal("0.5"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    reason = _reason("延期理由")


class ApproveExtensionForm(TicketActionForm):
    granted_days = forms.DecimalField(
        label="批准天数（空=按申请）",
        required=False,
        min_value=Decimal("0.5"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    reason = forms.CharField(label="审批意见", required=False, max_length=2000)

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        if data.get("granted_days") is None:
            data.pop("granted_days", None)
        return data


class SubmitReplyForm(TicketActionForm):
    text = forms.CharField(label="答复内容", max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label="附件", required=False)


class DirectReplyForm(SubmitReplyForm):
    pass


RESOLVED_CHOICES = [("1", "已解决"), ("0", "未解决")]


class FollowUpForm(TicketActionForm):
    """回访: an agent records a call, an enterprise user its own evaluation (method from the role)."""

    is_resolved = forms.TypedChoiceField(
        label="是否解决", choices=RESOLVED_CHOICES, coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    satisfaction = forms.ChoiceField(label="满意度", choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label="企业意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        is_enterprise = getattr(self.user, "role", None) == Role.ENTERPRISE
        data["method"] = FollowUpMethod.ONLINE if is_enterprise else FollowUpMethod.CALL
        return data


class InstructForm(TicketActionForm):
    instruction = forms.CharField(label="批示内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    priority = forms.ChoiceField(
        label="优先级", required=False, choices=[("", "（不改）"), *Priority.choices]
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        data["priority"] = data.get("priority") or None
        return data


class MergeForm(TicketActionForm):
    into = forms.CharField(label="并入诉求编号", max_length=20)
    reason = forms.CharField(label="理由", required=False, max_length=2000)


class SuperviseForm(TicketActionForm):
    """督办 by a supervisor or leader: not a transition (the version is carried but not required)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason("督办事由")


@dataclass(frozen=True)
class ActionSpec:
    """How a page offers one action: its form, heading, button and whether it belongs in the main
    column (the usual next step) or among the less common actions."""

    form: type[TicketActionForm]
    button: str
    style: str = "primary"
    icon: str = "check2"
    hint: str = ""
    is_primary: bool = True
    needs_files: bool = False


SUPERVISE = "supervise"

ACTIONS: dict[str, ActionSpec] = {
    A.INSTRUCT: ActionSpec(InstructForm, "提交批示", icon="pen"),
    A.DISPATCH: ActionSpec(DispatchForm, "派单", icon="send"),
    A.DIRECT_REPLY: ActionSpec(
        DirectReplyForm,
        "直接答复并办结",
        "outline-success",
        "chat-left-text",
        is_primary=False,
        needs_files=True,
    ),
    A.MERGE: ActionSpec(MergeForm, "并单", "outline-secondary", "intersect", is_primary=False),
    A.ACCEPT: ActionSpec(AcceptForm, "签收", "success", "box-arrow-in-down", "签收后开始办理。"),
    A.RETURN: ActionSpec(
        ReasonForm, "退单", "outline-danger", "arrow-return-left", "退回派单员重新派单。", False
    ),
    A.REQUEST_EXTENSION: ActionSpec(
        RequestExtensionForm, "申请延期", "outline-warning", "calendar-plus", is_primary=False
    ),
    A.APPROVE_EXTENSION: ActionSpec(ApproveExtensionForm, "批准延期", "success", "calendar-check"),
    A.REJECT_EXTENSION: ActionSpec(ReasonForm, "驳回延期", "outline-danger", "calendar-x"),
    A.PAUSE: ActionSpec(
        ReasonForm, "暂停计时", "outline-secondary", "pause-circle", "等待企业补充材料时暂停。", False
    ),
    A.RESUME: ActionSpec(OptionalReasonForm, "恢复计时", "primary", "play-circle"),
    A.SUBMIT_REPLY: ActionSpec(
        SubmitReplyForm, "提交答复", icon="reply", hint="提交后由派单员审核。", needs_files=True
    ),
    A.APPROVE_REPLY: ActionSpec(
        OptionalReasonForm, "审核通过", "success", "check2-circle", "通过后答复发送给企业。"
    ),
    A.SEND_BACK_REPLY: ActionSpec(ReasonForm, "退回答复", "outline-danger", "arrow-counterclockwise"),
    A.RECORD_FOLLOW_UP: ActionSpec(
        FollowUpForm, "记录回访", icon="telephone", hint="满意或基本满意即办结；不满意自动重办。"
    ),
    A.REOPEN: ActionSpec(ReasonForm, "重办", "outline-danger", "arrow-repeat", is_primary=False),
    A.CLOSE: ActionSpec(
        ReasonForm, "办结（不回访）", "outline-secondary", "x-circle", "企业无法联系等情况。", False
    ),
    A.REDISPATCH: ActionSpec(RedispatchForm, "转派", "outline-primary", "shuffle", is_primary=False),
    A.RECLASSIFY: ActionSpec(
        ReclassifyForm, "改分类", "outline-secondary", "tags", "时限将按新分类重新计算。", False
    ),
    SUPERVISE: ActionSpec(SuperviseForm, "督办", "danger", "megaphone", "通知主办单位负责人和承办人。"),
}


def action_label(action: str) -> str:
    return "督办" if action == SUPERVISE else str(TicketAction(action).label)


def form_for(
    action: str,
    *,
    user: Any,
    ticket: Any,
    data: Any = None,
    files: Any = None,
    initial: dict[str, Any] | None = None,
    departments: Choices | None = None,
    categories: Choices | None = None,
    id_prefix: str = "",
) -> TicketActionForm:
    """The form of `action` for this ticket: bound to `data`, or unbound at the ticket's version."""
    spec = ACTIONS[action]
    start = {"expected_version": ticket.version, **(initial or {})}
    return spec.form(
        data,
        files,
        user=user,
        ticket=ticket,
        departments=departments,
        categories=categories,
        initial=start,
        auto_id=f"id_{id_prefix}{action}_%s",
    )


def kept_input(data: Any, *, form_class: type[forms.Form], names: Sequence[str] = ()) -> dict[str, Any]:
    """What the user typed into an action form (a QueryDict), as `initial` of a fresh form: after a
    conflict the page offers the form again at the new version, with the text still in it."""
    keep: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():
        if name == "expected_version" or isinstance(field, forms.FileField) or (names and name not in names):
            continue
        if isinstance(field, forms.MultipleChoiceField):
            keep[name] = data.getlist(name)
        elif name in data:
            keep[name] = data.get(name)
    return keep
