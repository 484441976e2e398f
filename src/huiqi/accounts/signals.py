"""Sign-in events from Django's auth into the audit log (等保 level 3: 安全审计 covers logins).

These receivers are the one place Huiqi uses signals: the events come from django.contrib.auth and
django-axes, not from our own code, and each receiver only calls a service. They are connected in
AccountsConfig.ready(), after django-axes' own receivers (axes comes first in INSTALLED_APPS), so a
failed attempt has already been counted and `request.axes_locked_out` is set when we read it.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from huiqi.accounts import services


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    method = getattr(request, "huiqi_sign_in_method", "password") if request is not None else "password"
    services.record_sign_in(user=user, method=method)


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.record_sign_out(user=user)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    services.record_sign_in_failure(
        username=str(credentials.get("username") or ""),
        failures=getattr(request, "axes_failures_since_start", None),
        is_locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="huiqi.accounts.sign_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="huiqi.accounts.sign_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="huiqi.accounts.sign_in_failed")
