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
