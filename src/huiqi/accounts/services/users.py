"""Staff and enterprise accounts, and the separation of the three administrators."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.accounts.services.common import (
    CITY_WIDE_ROLES,
    STAFF_ROLES,
    UNCHANGED,
    RoleSeparationError,
    Unchanged,
    UserInvalidError,
    UsernameTakenError,
    _require_actor,
    validate_new_password,
)
from huiqi.core.audit import record_event

# ------------------------------------------------------------------------------------------------ staff


def check_staff_assignment(*, role: str, department: Department | None) -> None:
    """Raises UserInvalidError unless `role` is a staff role and `department` suits it."""
    if role not in STAFF_ROLES:
        raise UserInvalidError(f"角色“{role}”不是工作人员角色。", field="role")
    if department is None and role not in CITY_WIDE_ROLES:
        raise UserInvalidError(f"{Role(role).label}必须属于一个部门。", field="department")
    if department is not None and not department.is_active:
        raise UserInvalidError(f"部门“{department.name}”已停用，不能分配人员。", field="department")


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
