"""The 工作台 and the error pages.

Django's own error pages are English and the API's clients expect JSON; the handlers below answer
in Chinese, as a page for people and in the one API error format (core.api_errors) under /api/.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

from huiqi.core import home as home_page
from huiqi.core.api_errors import error_body


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The 工作台: figures and links for the signed-in user's role (core.home)."""
    return render(request, "core/home.html", {"home": home_page.home_for(request.user)})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(
    request: HttpRequest, *, status: int, code: str, title: str, message: str, icon: str
) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False}
        )
    context = {"title": title, "message": message, "icon": icon, "tone": "warning" if status == 403 else ""}
    return render(request, "error_page.html", context, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404. An Http404 raised with a Chinese message (e.g. 未启用统一身份认证登录) keeps it."""
    detail = exception.args[0] if exception is not None and exception.args else ""
    message = detail if isinstance(detail, str) and detail and not detail.isascii() else ""
    if _is_api(request):
        message = message or f"接口地址 {request.path} 不存在，请对照接口文档 /api/docs/。"
    else:
        message = message or "您访问的页面不存在，可能地址有误或内容已被移走。"
    return _error(request, status=404, code="not_found", title="页面不存在", message=message, icon="search")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    detail = exception.args[0] if exception is not None and exception.args else ""
    message = (
        detail if isinstance(detail, str) and detail and not detail.isascii() else "您没有访问此页面的权限。"
    )
    return _error(
        request, status=403, code="permission_denied", title="无权访问", message=message, icon="lock"
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (e.g. a Host header not in ALLOWED_HOSTS, a malformed request)."""
    return _error(
        request,
        status=400,
        code="bad_request",
        title="请求有误",
        message="请求格式有误，平台无法处理，未作任何修改。",
        icon="exclamation-circle",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: rendered without the request's context processors, which may be what failed."""
    if _is_api(request):
        message = "服务器内部错误，请求没有完成。请稍后重试；如果一再出现，请联系系统管理员。"
        return JsonResponse(
            error_body("server_error", message), status=500, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """CSRF_FAILURE_VIEW: usually a form left open in a tab after signing out or after a restart."""
    message = "页面已过期（安全校验未通过），您提交的内容没有保存。请刷新页面后重新填写提交。"
    return _error(
        request, status=403, code="csrf_failed", title="页面已过期", message=message, icon="clock-history"
    )
