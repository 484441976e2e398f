"""The fields of ticket transitions: what each one means, and how a value is checked and cleaned.

The workflow table (appeals/workflow.py) names, per transition, the fields it `requires` and
`accepts`; `clean_fields` enforces that and turns raw values (from a form, the API or a service
call) into clean ones: stripped text within its limit, active departments and categories, working
days in half-day steps, enum members. Every refusal is an AppealInputInvalidError naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings

from huiqi.appeals import attachments as attachment_files
from huiqi.appeals.enums import FollowUpMethod, Priority, Satisfaction
from huiqi.appeals.errors import AppealInputInvalidError
from huiqi.appeals.models import Appeal, Category, Ticket

if TYPE_CHECKING:
    from huiqi.accounts.models import Department
    from huiqi.appeals.workflow import Transition

FIELD_LABELS = {
    "reason": "理由",
    "text": "答复内容",
    "instruction": "批示内容",
    "comment": "意见",
    "lead_department": "主办单位",
    "assisting_departments": "协办单位",
    "category": "分类",
    "days": "延期天数",
    "granted_days": "批准延期天数",
    "priority": "优先级",
    "method": "回访方式",
    "is_resolved": "是否解决",
    "satisfaction": "满意度",
    "attachments": "附件",
    "into": "并入的诉求",
}
TEXT_LIMITS = {"reason": 2000, "text": 10000, "instruction": 2000, "comment": 2000}


def max_extension_days() -> Decimal:
    return Decimal(str(getattr(settings, "HUIQI_APPEAL_MAX_EXTENSION_DAYS", 30)))


# --- field cleaning ----------------------------------------------------------------------------------


def invalid_field(name: str, message: str) -> AppealInputInvalidError:
    return AppealInputInvalidError(message, field=name)


def _clean_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid_field(name, f"{FIELD_LABELS[name]}必须是文字。")
    text = value.strip()
    if len(text) > TEXT_LIMITS[name]:
        raise invalid_field(
            name, f"{FIELD_LABELS[name]}不能超过 {TEXT_LIMITS[name]} 个字（现有 {len(text)} 个）。"
        )
    return text


def department_model() -> Any:
    # accounts.models is another app's internals (import-linter): reach the model through our FK.
    return Ticket._meta.get_field("lead_department").related_model


def _department(name: str, value: Any) -> Department:
    model = department_model()
    if isinstance(value, model):
        department = value
    else:
        department = model.objects.filter(pk=value).first() if str(value).isdigit() else None
        if department is None:
            raise invalid_field(name, f"{FIELD_LABELS[name]}不存在：{value}。")
    if not department.is_active:
        raise invalid_field(name, f"{department.name}已停用，不能承办工单。")
    return department


def _departments(name: str, value: Any) -> list[Department]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise invalid_field(name, f"{FIELD_LABELS[name]}应为部门列表。")
    found = {d.pk: d for d in (_department(name, v) for v in value)}
    return list(found.values())


def clean_category(value: Any, name: str = "category") -> Category:
    category: Category | None
    if isinstance(value, Category):
        category = value
    else:
        text = str(value).strip()
        category = (
            Category.objects.filter(pk=int(text)).first()
            if text.isdigit()
            else Category.objects.filter(code=text).first()
        )
    if category is None:
        raise invalid_field(name, f"诉求分类不存在：{value}。")
    if not category.is_active:
        raise invalid_field(name, f"诉求分类“{category.name}”已停用。")
    return category


def _days(name: str, value: Any) -> Decimal:
    try:
        days = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid_field(name, f"{FIELD_LABELS[name]}必须是数字，收到“{value}”。") from None
    if not days.is_finite() or days <= 0 or (days * 2) % 1:
        raise invalid_field(
            name, f"{FIELD_LABELS[name]}须为大于 0 的整数或半天（0.5 的倍数），收到“{value}”。"
        )
    if days > max_extension_days():
        raise invalid_field(name, f"{FIELD_LABELS[name]}一次最多 {max_extension_days()} 个工作日。")
    return days


def _choice(choices: Any) -> Callable[[str, Any], Any]:
    def clean(name: str, value: Any) -> Any:
        try:
            return choices(value)
        except ValueError:
            options = "、".join(f"{c.value}（{c.label}）" for c in choices)
            raise invalid_field(name, f"{FIELD_LABELS[name]}“{value}”无效，可选：{options}。") from None

    return clean


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise invalid_field(name, f"{FIELD_LABELS[name]}必须是“是”或“否”。")


def _files(name: str, value: Any) -> list[Any]:
    files = list(value)
    attachment_files.validate_attachments(files)
    return files


def _appeal(name: str, value: Any) -> Appeal:
    if isinstance(value, Appeal):
        return value
    appeal = Appeal.objects.filter(number=str(value).strip()).first()
    if appeal is None:
        raise invalid_field(name, f"诉求 {value} 不存在。")
    return appeal


CLEANERS: dict[str, Callable[[str, Any], Any]] = {
    "reason": _clean_text,
    "text": _clean_text,
    "instruction": _clean_text,
    "comment": _clean_text,
    "lead_department": _department,
    "assisting_departments": _departments,
    "category": lambda name, value: clean_category(value, name),
    "days": _days,
    "granted_days": _days,
    "priority": _choice(Priority),
    "method": _choice(FollowUpMethod),
    "is_resolved": _bool,
    "satisfaction": _choice(Satisfaction),
    "attachments": _files,
    "into": _appeal,
}


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | set | frozenset) and not value


def clean_fields(*, transition: Transition, fields: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    """The table's `requires` must be present and non-empty; only `requires` and `accepts` are taken."""
    allowed = (*transition.requires, *transition.accepts)
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise AppealInputInvalidError(
            f"“{transition.action.label}”不接受以下字段：{'、'.join(unknown)}。", field=unknown[0]
        )
    clean: dict[str, Any] = {}
    missing: list[str] = []
    for name in allowed:
        value = fields.get(name)
        if _is_empty(value):
            if name in transition.requires:
                missing.append(name)
            continue
        clean[name] = CLEANERS[name](name, value)
    if missing:
        labels = "、".join(FIELD_LABELS[name] for name in missing)
        raise AppealInputInvalidError(
            f"“{transition.action.label}”需要填写：{labels}。",
            field=missing[0],
            extra={"errors": [{"field": n, "message": f"请填写{FIELD_LABELS[n]}。"} for n in missing]},
        )
    return clean
