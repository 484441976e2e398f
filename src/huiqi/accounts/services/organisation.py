"""Departments: the organisation tree of city bureaus, districts and towns."""

from typing import Any

from django.db import transaction

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department
from huiqi.accounts.services.common import (
    LEVEL_RANK,
    UNCHANGED,
    DepartmentCodeTakenError,
    DepartmentInvalidError,
    Unchanged,
    _require_actor,
)
from huiqi.core.audit import record_event

# ---------------------------------------------------------------------------------------------- departments


def check_department_placement(*, level: str, parent: Department | None) -> None:
    """Raises DepartmentInvalidError unless a unit of `level` may sit under `parent`."""
    if level not in LEVEL_RANK:
        raise DepartmentInvalidError(f"层级“{level}”无效，应为市级、区县级或镇街级。", field="level")
    if parent is None:
        if level == DepartmentLevel.TOWN:
            raise DepartmentInvalidError("镇街级部门必须指定上级部门（所属区县）。", field="parent")
        return
    if LEVEL_RANK[level] < LEVEL_RANK[parent.level]:
        raise DepartmentInvalidError(
            f"{DepartmentLevel(level).label}部门不能隶属于{DepartmentLevel(parent.level).label}部门“{parent.name}”。",
            field="parent",
        )


def create_department(
    *,
    actor: Any | None,
    code: str,
    name: str,
    level: str,
    parent: Department | None = None,
    region_code: str = "",
    short_name: str = "",
    sort_order: int = 0,
) -> Department:
    _require_actor(actor, Role.SYSTEM_ADMIN)
    code, name = code.strip(), name.strip()
    if not code:
        raise DepartmentInvalidError("部门编码不能为空。", field="code")
    if not name:
        raise DepartmentInvalidError("部门名称不能为空。", field="name")
    if region_code and not (len(region_code) == 6 and region_code.isdigit()):
        raise DepartmentInvalidError(
            f"区划代码“{region_code}”应为6位数字（GB/T 2260）。", field="region_code"
        )
    check_department_placement(level=level, parent=parent)
    with transaction.atomic():
        if Department.objects.filter(code=code).exists():
            raise DepartmentCodeTakenError(f"部门编码“{code}”已被使用。", field="code")
        department = Department.objects.create(
            code=code,
            name=name,
            short_name=short_name.strip(),
            level=level,
            parent=parent,
            region_code=region_code or (parent.region_code if parent else ""),
            sort_order=sort_order,
        )
        record_event(
            actor=actor, action="department.create", obj=department, after=_department_facts(department)
        )
    return department


def update_department(
    *,
    actor: Any | None,
    department: Department,
    name: str | None = None,
    short_name: str | None = None,
    parent: Department | Unchanged | None = UNCHANGED,
    region_code: str | None = None,
    is_active: bool | None = None,
    sort_order: int | None = None,
) -> Department:
    """Changes the given fields (None or UNCHANGED: unchanged; `parent=None` makes it a top-level unit)."""
    _require_actor(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        before = _department_facts(department)
        if name is not None:
            if not name.strip():
                raise DepartmentInvalidError("部门名称不能为空。", field="name")
            department.name = name.strip()
        if short_name is not None:
            department.short_name = short_name.strip()
        if not isinstance(parent, Unchanged):
            new_parent = parent
            check_department_placement(level=department.level, parent=new_parent)
            if new_parent is not None and _is_in_subtree(new_parent, department):
                raise DepartmentInvalidError("上级部门不能是本部门或其下级部门。", field="parent")
            department.parent = new_parent
        if region_code is not None:
            department.region_code = region_code
        if is_active is not None:
            department.is_active = is_active
        if sort_order is not None:
            department.sort_order = sort_order
        department.save()
        after = _department_facts(department)
        changed = {k for k in after if after[k] != before[k]}
        if changed:
            record_event(
                actor=actor,
                action="department.update",
                obj=department,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return department


def _is_in_subtree(candidate: Department, root: Department) -> bool:
    node: Department | None = candidate
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == root.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _department_facts(department: Department) -> dict[str, Any]:
    return {
        "code": department.code,
        "name": department.name,
        "short_name": department.short_name,
        "level": department.level,
        "parent": department.parent.code if department.parent else None,
        "region_code": department.region_code,
        "is_active": department.is_active,
    }
