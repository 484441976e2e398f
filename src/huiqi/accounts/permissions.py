"""Permission checks, used by services and selectors (never only by views)."""

from typing import Any

from huiqi.accounts.enums import Role
from huiqi.core.errors import PermissionDeniedError


def require_role(user: Any, *roles: str) -> None:
    """Raises PermissionDeniedError unless the signed-in user holds one of `roles`."""
    if not getattr(user, "is_authenticated", False) or user.role not in roles:
        names = "、".join(Role(r).label for r in roles)
        raise PermissionDeniedError(f"此操作需要以下角色之一：{names}。")


def has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in roles)


class SystemAdminOnlyAdminMixin:
    """For ModelAdmin classes: Django's admin site is the system administrator's tool (等保 三权分立:
    the security and audit administrators and business staff do not use it). A superuser created
    with `huiqi createsuperuser` is let in too, as the break-glass account of the operator."""

    @staticmethod
    def _is_system_admin(request: Any) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or getattr(user, "role", "") == Role.SYSTEM_ADMIN)
        )

    def has_module_permission(self, request: Any) -> bool:
        return self._is_system_admin(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_system_admin(request)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return self._is_system_admin(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._is_system_admin(request)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Nothing is deleted from the admin: accounts and departments are deactivated, so the audit
        # log and past work keep pointing at them.
        return False
