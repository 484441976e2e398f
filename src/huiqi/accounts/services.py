"""Writes about accounts and organisation: departments, staff, enterprise users, passwords, sign-in.

Who may do what (等保 level 3, GB/T 22239-2019 8.1.4.2: 三权分立 — the system, security and audit
administrators are separate accounts, each with only the rights of its duty):
- the system administrator (system_admin) creates departments and accounts and changes roles;
- the security administrator (security_admin) unlocks accounts and resets passwords;
- the audit administrator (audit_admin) only reads the audit log (core), nothing here;
- everyone changes their own password.
One account holds one role (User.role). No one changes their own role, and the system administrator
cannot edit the accounts of the security or audit administrators (who would otherwise be controlled
by the person they check). `actor=None` means the platform itself (a management command such as
`huiqi load_demo`); views and the API always pass the signed-in user.

Staff need a department, except the roles that act for the whole city: the three administrators
and a city leader (a district leader is given the district's department and then sees its work).
"""

import enum
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.accounts.passwords import chinese_messages
from huiqi.accounts.permissions import require_role
from huiqi.core.audit import record_event
from huiqi.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError

STAFF_ROLES = frozenset(r.value for r in Role if r != Role.ENTERPRISE)
ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN.value, Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value})
CITY_WIDE_ROLES = ADMINISTRATOR_ROLES | {Role.LEADER.value}
# A child sits at its parent's level or below: a city bureau has city sub-units, a district has its
# bureaus (district level) and its towns and streets (town level).
_LEVEL_RANK = {
    DepartmentLevel.CITY.value: 0,
    DepartmentLevel.DISTRICT.value: 1,
    DepartmentLevel.TOWN.value: 2,
}


class Unchanged(enum.Enum):
    """Marks an optional argument that was not given (None itself is a value: "no parent")."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


class DepartmentInvalidError(ValidationFailedError):
    pass


class DepartmentCodeTakenError(ConflictError):
    pass


class UserInvalidError(ValidationFailedError):
    pass


class UsernameTakenError(ConflictError):
    pass


class PasswordInvalidError(ValidationFailedError):
    pass


class RoleSeparationError(PermissionDeniedError):
    """A change that would break the separation of the three administrators."""


def _require_actor(actor: Any | None, *roles: str) -> None:
    if actor is not None:
        require_role(actor, *roles)


# ---------------------------------------------------------------------------------------------- departments


def check_department_placement(*, level: str, parent: Department | None) -> None:
    """Raises DepartmentInvalidError unless a unit of `level` may sit under `parent`."""
    if level not in _LEVEL_RANK:
        raise DepartmentInvalidError(f"层级“{level}”无效，应为市级、区县级或镇街级。", field="level")
    if parent is None:
        if level == DepartmentLevel.TOWN:
            raise DepartmentInvalidError("镇街级部门必须指定上级部门（所属区县）。", field="parent")
        return
    if _LEVEL_RANK[level] < _LEVEL_RANK[parent.level]:
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


# ------------------------------------------------------------------------------------------------ staff


def check_staff_assignment(*, role: str, department: Department | None) -> None:
    """Raises UserInvalidError unless `role` is a staff role and `department` suits it."""
    if role not in STAFF_ROLES:
        raise UserInvalidError(f"角色“{role}”不是工作人员角色。", field="role")
    if department is None and role not in CITY_WIDE_ROLES:
        raise UserInvalidError(f"{Role(role).label}必须属于一个部门。", field="department")
    if department is not None and not department.is_active:
        raise UserInvalidError(f"部门“{department.name}”已停用，不能分配人员。", field="department")


def validate_new_password(password: str, *, user: User | None = None, field: str = "password") -> None:
    """Runs settings.AUTH_PASSWORD_VALIDATORS (length, common, numeric, similarity, character classes)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        messages = chinese_messages(exc)
        raise PasswordInvalidError(
            "密码不符合要求：" + "；".join(messages), field=field, extra={"errors": messages}
        ) from exc


def _clean_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise UserInvalidError("用户名不能为空。", field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise UserInvalidError(
            f"用户名“{username}”只能包含字母、数字和 @/./+/-/_ 字符。", field="username"
        ) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTakenError(f"用户名“{username}”已被使用。", field="username")
    return username


def _user_facts(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "department": user.department.code if user.department_id and user.department else None,
        "phone": user.phone,
        "email": user.email,
        "is_active": user.is_active,
    }


def create_staff_user(
    *,
    actor: Any | None,
    username: str,
    password: str,
    role: str,
    department: Department | None,
    full_name: str,
    phone: str = "",
    email: str = "",
) -> User:
    _require_actor(actor, Role.SYSTEM_ADMIN)
    check_staff_assignment(role=role, department=department)
    if not full_name.strip():
        raise UserInvalidError("姓名不能为空。", field="full_name")
    with transaction.atomic():
        username = _clean_username(username)
        user = User(
            username=username,
            full_name=full_name.strip(),
            role=role,
            department=department,
            phone=phone.strip(),
            email=email.strip(),
            # Django's admin site is the system administrator's tool only.
            is_staff=role == Role.SYSTEM_ADMIN,
        )
        validate_new_password(password, user=user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        try:
            user.save()
        except IntegrityError as exc:  # a concurrent request took the name
            raise UsernameTakenError(f"用户名“{username}”已被使用。", field="username") from exc
        record_event(actor=actor, action="user.create", obj=user, after=_user_facts(user))
    return user


def update_staff_user(
    *,
    actor: Any | None,
    user: User,
    role: str | None = None,
    department: Department | Unchanged | None = UNCHANGED,
    full_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Changes the given fields (None or UNCHANGED: unchanged; `department=None` removes the department)."""
    _require_actor(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.role == Role.ENTERPRISE:
            raise UserInvalidError("企业用户请通过企业用户管理修改。", field="role")
        if actor is not None:
            check_role_separation(actor=actor, target=user, new_role=role)
        before = _user_facts(user)
        new_role = role if role is not None else user.role
        new_department = user.department if isinstance(department, Unchanged) else department
        check_staff_assignment(role=new_role, department=new_department)
        user.role = new_role
        user.department = new_department
        user.is_staff = new_role == Role.SYSTEM_ADMIN
        if full_name is not None:
            if not full_name.strip():
                raise UserInvalidError("姓名不能为空。", field="full_name")
            user.full_name = full_name.strip()
        if phone is not None:
            user.phone = phone.strip()
        if email is not None:
            user.email = email.strip()
        if is_active is not None:
            user.is_active = is_active
        user.save()
        after = _user_facts(user)
        changed = {k for k in after if after[k] != before[k]}
        if changed:
            record_event(
                actor=actor,
                action="user.update",
                obj=user,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return user


def check_role_separation(*, actor: Any, target: User, new_role: str | None) -> None:
    """三权分立: no one changes their own role; the system administrator does not control the
    accounts of the security and audit administrators, nor turns an account into one of them
    that it could then keep using (a new person gets a new account instead)."""
    if target.pk == actor.pk and new_role is not None and new_role != target.role:
        raise RoleSeparationError(
            "不能修改自己的角色（系统管理员、安全管理员、审计管理员须由不同人员担任）。"
        )
    guarded = {Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value}
    if target.role in guarded and target.pk != actor.pk:
        raise RoleSeparationError(f"系统管理员不能修改{Role(target.role).label}的账号。")
    if new_role in guarded and new_role != target.role:
        raise RoleSeparationError(f"不能把已有账号改为{Role(new_role).label}，请为其新建专用账号。")


# ------------------------------------------------------------------------------------------ enterprise users


def create_enterprise_user(
    *,
    actor: Any | None,
    username: str,
    password: str,
    full_name: str,
    phone: str,
    enterprises: Iterable[Any],
    capacity: str = EnterpriseMembership.Capacity.CONTACT,
    email: str = "",
) -> User:
    """An account for a person acting for one or more enterprises (法定代表人 or 经办人)."""
    _require_actor(actor, Role.SYSTEM_ADMIN)
    enterprises = list(enterprises)
    if not enterprises:
        raise UserInvalidError("企业用户至少要关联一家企业。", field="enterprises")
    if capacity not in EnterpriseMembership.Capacity.values:
        raise UserInvalidError(f"身份“{capacity}”无效，应为法定代表人或经办人。", field="capacity")
    if not full_name.strip():
        raise UserInvalidError("姓名不能为空。", field="full_name")
    if not phone.strip():
        raise UserInvalidError("企业用户须填写手机号。", field="phone")
    with transaction.atomic():
        username = _clean_username(username)
        user = User(
            username=username,
            full_name=full_name.strip(),
            phone=phone.strip(),
            email=email.strip(),
            role=Role.ENTERPRISE,
        )
        validate_new_password(password, user=user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save()
        for enterprise in enterprises:
            EnterpriseMembership.objects.create(user=user, enterprise=enterprise, capacity=capacity)
        record_event(
            actor=actor,
            action="user.create",
            obj=user,
            after={**_user_facts(user), "enterprises": [e.uscc for e in enterprises], "capacity": capacity},
        )
    return user


def link_enterprise_user(
    *, actor: Any | None, user: User, enterprise: Any, capacity: str = EnterpriseMembership.Capacity.CONTACT
) -> EnterpriseMembership:
    """Lets an enterprise user act for one more enterprise; linking twice changes nothing."""
    _require_actor(actor, Role.SYSTEM_ADMIN)
    if user.role != Role.ENTERPRISE:
        raise UserInvalidError(f"“{user}”不是企业用户，不能关联企业。", field="user")
    if capacity not in EnterpriseMembership.Capacity.values:
        raise UserInvalidError(f"身份“{capacity}”无效，应为法定代表人或经办人。", field="capacity")
    with transaction.atomic():
        membership, created = EnterpriseMembership.objects.get_or_create(
            user=user, enterprise=enterprise, defaults={"capacity": capacity}
        )
        if created or membership.capacity != capacity:
            before = None if created else {"capacity": membership.capacity}
            membership.capacity = capacity
            membership.save(update_fields=["capacity"])
            record_event(
                actor=actor,
                action="user.enterprise_link",
                obj=user,
                before=before,
                after={"enterprise": enterprise.uscc, "capacity": capacity},
            )
    return membership


def unlink_enterprise_user(*, actor: Any | None, user: User, enterprise: Any) -> None:
    _require_actor(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        deleted, _ = EnterpriseMembership.objects.filter(user=user, enterprise=enterprise).delete()
        if deleted:
            record_event(
                actor=actor, action="user.enterprise_unlink", obj=user, before={"enterprise": enterprise.uscc}
            )


# ------------------------------------------------------------------------------ passwords and lock-out


def change_password(*, user: User, old_password: str, new_password: str) -> User:
    """The signed-in user changes their own password (the view then keeps the session valid)."""
    if not user.check_password(old_password):
        raise PasswordInvalidError("原密码不正确。", field="old_password")
    if old_password == new_password:
        raise PasswordInvalidError("新密码不能与原密码相同。", field="new_password")
    validate_new_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        # Tokens issued with the old password stop working.
        Token.objects.filter(user=user).delete()
        record_event(actor=user, action="user.password_change", obj=user)
    return user


def reset_password(*, actor: Any | None, user: User, new_password: str) -> User:
    """The security administrator sets a new password for someone who forgot theirs."""
    _require_actor(actor, Role.SECURITY_ADMIN)
    if actor is not None and actor.pk == user.pk:
        raise PermissionDeniedError("不能通过重置为自己设置密码，请使用“修改密码”。")
    validate_new_password(new_password, user=user)
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        Token.objects.filter(user=user).delete()
        record_event(actor=actor, action="user.password_reset", obj=user)
    return user


def unlock_user(*, actor: Any | None, user: User) -> int:
    """Clears django-axes' failed attempts for the account; returns how many records were removed."""
    from axes.utils import reset as axes_reset

    _require_actor(actor, Role.SECURITY_ADMIN)
    with transaction.atomic():
        cleared = axes_reset(username=user.username)
        record_event(actor=actor, action="user.unlock", obj=user, after={"attempt_records_cleared": cleared})
    return cleared


def issue_api_token(*, user: User) -> Token:
    """The API token of a signed-in user (one per account; reused until the password changes)."""
    with transaction.atomic():
        token, created = Token.objects.get_or_create(user=user)
        if created:
            record_event(actor=user, action="user.token_issue", obj=user)
    return token


# ----------------------------------------------------------------------------------- sign-in audit trail


def record_sign_in(*, user: User, method: str = "password") -> None:
    record_event(actor=user, action="user.sign_in", obj=user, after={"method": method})


def record_sign_out(*, user: User | None) -> None:
    if user is not None and getattr(user, "pk", None):
        record_event(actor=user, action="user.sign_out", obj=user)


def record_sign_in_failure(*, username: str, failures: int | None, is_locked_out: bool) -> None:
    """A failed attempt: the actor is unknown, the object is the account tried (if it exists).

    The event that reaches the failure limit is also recorded as `user.lock_out`.
    """
    username = (username or "")[:150]
    account = User.objects.filter(username=username).first() if username else None
    target: dict[str, Any] = (
        {"obj": account}
        if account
        else {"object_type": "accounts.user", "object_repr": username or "（空用户名）"}
    )
    facts = {"username": username, "failures": failures, "locked_out": is_locked_out}
    record_event(actor=None, action="user.sign_in_fail", after=facts, **target)
    if is_locked_out and failures is not None and failures == settings.AXES_FAILURE_LIMIT:
        record_event(actor=None, action="user.lock_out", after=facts, **target)
