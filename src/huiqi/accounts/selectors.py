"""Who sees what: the scopes other apps use for "a department sees its own work, an enterprise its own data".

Department scope (`department_subtree_ids`, `work_department_ids_for`):
- a department sees its own work and the work of the units below it in the tree. In practice a city
  bureau (市发展和改革委员会) sees its own work only (district bureaus are not its sub-units: they
  belong to their district), a district (历下区) sees its bureaus' and its towns' and streets' work,
  and a town sees its own;
- the hotline centre's roles work city-wide: agent (坐席), dispatcher (派单员) and supervisor (督办员)
  see every department's work, as does a leader without a department (a city leader); a leader with
  a department (a district head) sees that department's subtree;
- department-bound roles (handler, specialist, policy_editor, policy_reviewer) see their department's
  subtree;
- the security and audit administrators see no business work (等保: 三权分立, 最小授权); the system
  administrator maintains the platform and sees all of it; enterprise users see no department's work.

Registry scope (`can_view_registry`, `enterprise_ids_for`, `can_view_enterprise`): staff read the whole
registry, which is the city's shared reference data, except the security and audit administrators, who
see accounts and logs only; an enterprise user sees only the enterprises it is linked to.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.accounts.permissions import require_role

REGISTRY_ROLES = frozenset(r.value for r in Role) - {
    Role.SECURITY_ADMIN.value,
    Role.AUDIT_ADMIN.value,
    Role.ENTERPRISE.value,
}
CITY_WIDE_WORK_ROLES = frozenset(
    {Role.AGENT.value, Role.DISPATCHER.value, Role.SUPERVISOR.value, Role.SYSTEM_ADMIN.value}
)
NO_WORK_ROLES = frozenset({Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value, Role.ENTERPRISE.value})


def _is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _children_by_parent() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    return children


def department_subtree_ids(department: Department | int) -> set[int]:
    """The department and every unit below it (one query; the tree has a few hundred rows)."""
    root = department if isinstance(department, int) else department.pk
    children = _children_by_parent()
    found: set[int] = set()
    stack = [root]
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, ()))
    return found


def work_department_ids_for(user: Any) -> set[int] | None:
    """The departments whose work `user` sees: None means every department, an empty set none."""
    if not _is_signed_in(user) or user.role in NO_WORK_ROLES:
        return set()
    if user.role in CITY_WIDE_WORK_ROLES:
        return None
    if user.department_id is None:
        # Only city-wide roles may lack a department (accounts.services); a city leader sees all.
        return None if user.role == Role.LEADER else set()
    return department_subtree_ids(user.department_id)


def can_view_department_work(user: Any, department: Department | int | None) -> bool:
    scope = work_department_ids_for(user)
    if scope is None:
        return True
    pk = department if isinstance(department, int) or department is None else department.pk
    return pk in scope


def can_view_registry(user: Any) -> bool:
    """Whether `user` may read the registry as a whole (lists, search, export decided elsewhere)."""
    return _is_signed_in(user) and user.role in REGISTRY_ROLES


def enterprise_ids_for(user: Any) -> list[int]:
    """The enterprises an enterprise user acts for (empty for staff: staff scope is `can_view_registry`)."""
    if not _is_signed_in(user) or user.role != Role.ENTERPRISE:
        return []
    return list(
        EnterpriseMembership.objects.filter(user=user)
        .order_by("enterprise_id")
        .values_list("enterprise_id", flat=True)
    )


def can_view_enterprise(user: Any, enterprise: Any) -> bool:
    if not _is_signed_in(user):
        return False
    if user.role in REGISTRY_ROLES:
        return True
    if user.role == Role.ENTERPRISE:
        pk = enterprise if isinstance(enterprise, int) else enterprise.pk
        return EnterpriseMembership.objects.filter(user=user, enterprise_id=pk).exists()
    return False


def memberships_for(user: Any) -> QuerySet[EnterpriseMembership]:
    return (
        EnterpriseMembership.objects.filter(user=user)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )


@dataclass
class DepartmentNode:
    department: Department
    depth: int
    children: list["DepartmentNode"] = field(default_factory=list)


def departments_tree(*, include_inactive: bool = False) -> list[DepartmentNode]:
    """The organisation as a forest of nodes (roots: city bureaus and districts), in display order."""
    queryset = Department.objects.order_by("sort_order", "code")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    departments = list(queryset)
    present = {d.pk for d in departments}
    by_parent: dict[int | None, list[Department]] = defaultdict(list)
    for d in departments:
        by_parent[d.parent_id if d.parent_id in present else None].append(d)

    def build(d: Department, depth: int) -> DepartmentNode:
        return DepartmentNode(d, depth, [build(c, depth + 1) for c in by_parent.get(d.pk, [])])

    return [build(d, 0) for d in by_parent.get(None, [])]


def departments_flat(*, include_inactive: bool = False) -> list[DepartmentNode]:
    """The tree in depth-first order, for indented lists and <select> options."""
    out: list[DepartmentNode] = []

    def walk(nodes: list[DepartmentNode]) -> None:
        for node in nodes:
            out.append(node)
            walk(node.children)

    walk(departments_tree(include_inactive=include_inactive))
    return out


def department_list(*, level: str | None = None, parent_id: int | None = None) -> QuerySet[Department]:
    queryset = Department.objects.filter(is_active=True).select_related("parent")
    if level:
        queryset = queryset.filter(level=level)
    if parent_id is not None:
        queryset = queryset.filter(parent_id=parent_id)
    return queryset.order_by("sort_order", "code")


def locked_usernames() -> list[str]:
    """Accounts locked by django-axes now: failures (summed over the account's attempt records, as axes
    counts them for username lock-out) at the limit within the cool-off time."""
    from axes.models import AccessAttempt

    queryset = AccessAttempt.objects.exclude(username=None)
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff:
        since = timezone.now() - datetime.timedelta(hours=float(cooloff))
        queryset = queryset.filter(attempt_time__gte=since)
    rows = (
        queryset.values("username")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("username")
    )
    return [row["username"] for row in rows]


def users_for_security_admin(*, query: str = "") -> QuerySet[User]:
    queryset = User.objects.select_related("department").order_by("username")
    if query:
        queryset = queryset.filter(username__icontains=query) | queryset.filter(full_name__icontains=query)
    return queryset


def active_staff(
    *, roles: Iterable[str], department_ids: Iterable[int] | None = None, without_department: bool = False
) -> QuerySet[User]:
    """Active users holding one of `roles`: in one of `department_ids` if given, or with no department
    (the city-wide posts, e.g. a city leader) if `without_department`. For choosing who is notified."""
    queryset = User.objects.filter(is_active=True, role__in=list(roles))
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=list(department_ids))
    if without_department:
        queryset = queryset.filter(department__isnull=True)
    return queryset.order_by("id")


def enterprise_users(*, enterprise_id: int) -> QuerySet[User]:
    """The active enterprise users who act for one enterprise (its 法定代表人 and 经办人)."""
    return User.objects.filter(
        is_active=True, role=Role.ENTERPRISE, enterprise_memberships__enterprise_id=enterprise_id
    ).order_by("id")


@dataclass(frozen=True)
class AccountSummary:
    """The security administrator's 工作台 figures."""

    active: int
    inactive: int
    never_signed_in: int
    locked: list[str]


def account_summary(*, user: Any) -> AccountSummary:
    """Accounts enabled and disabled, never signed in, and locked out now: what the security
    administrator checks daily (GB/T 22239-2019 8.1.4.1 身份鉴别, 登录失败处理). Security administrator only."""
    require_role(user, Role.SECURITY_ADMIN)
    active = User.objects.filter(is_active=True)
    return AccountSummary(
        active=active.count(),
        inactive=User.objects.filter(is_active=False).count(),
        never_signed_in=active.filter(last_login__isnull=True).count(),
        locked=locked_usernames(),
    )
