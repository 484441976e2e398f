"""Passwords, lock-out, API tokens and the sign-in audit trail."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from huiqi.accounts.enums import Role
from huiqi.accounts.models import User
from huiqi.accounts.services.common import (
    PasswordInvalidError,
    _require_actor,
    validate_new_password,
)
from huiqi.core.audit import record_event
from huiqi.core.errors import PermissionDeniedError

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
