from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from huiqi.core import request_context


class RequestContextMiddleware:
    """Records the client's IP address and the channel (web page or API) for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        token = request_context.set_current(
            request_context.RequestContext(source_ip=request.META.get("REMOTE_ADDR"), source=source)
        )
        try:
            return self.get_response(request)
        finally:
            request_context.reset(token)
