"""Who is acting and from where, for the audit log, without threading the request through services.

The middleware sets it for web and API requests; commands and tasks set `source` themselves."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    source_ip: str | None = None
    source: str = "system"  # web | api | command | task | system


_DEFAULT = RequestContext()  # frozen, so sharing one default instance is safe
_current: ContextVar[RequestContext] = ContextVar("huiqi_request_context", default=_DEFAULT)


def current() -> RequestContext:
    return _current.get()


def set_current(context: RequestContext):  # type: ignore[no-untyped-def]
    """Sets the context; returns the token to reset it with `reset`."""
    return _current.set(context)


def reset(token) -> None:  # type: ignore[no-untyped-def]
    _current.reset(token)
