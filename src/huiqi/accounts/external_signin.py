"""The seam for external sign-in (a city's unified identity platform: OIDC, CAS, 政务服务统一身份认证).

Nothing external is implemented yet. A provider is a subclass of `ExternalSignInProvider`; the one in
use is chosen by settings.HUIQI_EXTERNAL_SIGNIN_PROVIDER, which holds either a key registered with
`@register_provider("key")` or the dotted path of a provider class. Empty (the default) switches
external sign-in off, and the sign-in page shows no button for it.

The flow: the sign-in page links to `accounts:external_start`, which redirects to
`provider.authorization_url(request)`; the identity platform sends the browser back to
`accounts:external_callback`, where `provider.authenticate_callback(request)` returns the local
account. A provider maps an external identity to an EXISTING active account (accounts are created by
the system administrator, 等保 identity management); it raises ExternalSignInFailedError otherwise.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from huiqi.accounts.models import User
from huiqi.core.errors import ApplicationError


class ExternalSignInFailedError(ApplicationError):
    status_code = 401
    code = "external_sign_in_failed"


class ExternalSignInProvider:
    """Base class of external sign-in providers. Subclasses set `key` and `label` and implement both methods."""

    key: str = ""
    label: str = "统一身份认证登录"

    def authorization_url(self, request: HttpRequest) -> str:
        """Where to send the browser to sign in (including state and the callback address)."""
        raise NotImplementedError

    def authenticate_callback(self, request: HttpRequest) -> User:
        """Checks the identity platform's answer in `request`; returns the signed-in local account."""
        raise NotImplementedError


_registry: dict[str, type[ExternalSignInProvider]] = {}


def register_provider(key: str) -> Callable[[type[ExternalSignInProvider]], type[ExternalSignInProvider]]:
    """Class decorator: makes a provider selectable by `key` in HUIQI_EXTERNAL_SIGNIN_PROVIDER."""

    def decorator(cls: type[ExternalSignInProvider]) -> type[ExternalSignInProvider]:
        cls.key = key
        _registry[key] = cls
        return cls

    return decorator


def registered_providers() -> dict[str, type[ExternalSignInProvider]]:
    return dict(_registry)


def get_provider() -> ExternalSignInProvider | None:
    """The configured provider, or None when external sign-in is off."""
    name = (getattr(settings, "HUIQI_EXTERNAL_SIGNIN_PROVIDER", "") or "").strip()
    if not name:
        return None
    cls = _registry.get(name) or import_string(name)
    if not (isinstance(cls, type) and issubclass(cls, ExternalSignInProvider)):
        raise TypeError(f"HUIQI_EXTERNAL_SIGNIN_PROVIDER={name!r} is not an ExternalSignInProvider subclass")
    return cls()
