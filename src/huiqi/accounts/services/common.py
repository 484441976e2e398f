"""Errors, role sets and helpers shared by the accounts services."""

import enum
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import User
from huiqi.accounts.passwords import chinese_messages
from huiqi.accounts.permissions import require_role
from huiqi.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError

STAFF_ROLES = frozenset(r.value for r in Role if r != Role.ENTERPRISE)
ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN.value, Role.SECURITY_ADMIN.value, Role.AUDIT_ADMIN.value})
CITY_WIDE_ROLES = ADMINISTRATOR_ROLES | {Role.LEADER.value}
# A child sits at its parent's level or below: a city bureau has city sub-units, a district has its
# bureaus (district level) and its towns and streets (town level).
LEVEL_RANK = {
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


def validate_new_password(password: str, *, user: User | None = None, field: str = "password") -> None:
    """Runs settings.AUTH_PASSWORD_VALIDATORS (length, common, numeric, similarity, character classes)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        messages = chinese_messages(exc)
        raise PasswordInvalidError(
            "密码不符合要求：" + "；".join(messages), field=field, extra={"errors": messages}
        ) from exc
