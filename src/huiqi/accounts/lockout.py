"""What a locked-out client sees (settings.AXES_LOCKOUT_CALLABLE): the Chinese page in the browser,
the one API error format under /api/ (core.api_errors), both with HTTP 429."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from huiqi.core.api_errors import error_body

LOCKED_STATUS = 429


def cooloff_minutes() -> int:
    return round(float(settings.AXES_COOLOFF_TIME or 0) * 60)


def lockout_message() -> str:
    minutes = cooloff_minutes()
    wait = f"请 {minutes} 分钟后再试，" if minutes else "请"
    return f"登录失败次数过多（连续 {settings.AXES_FAILURE_LIMIT} 次），账号已被临时锁定。{wait}或联系安全管理员解锁。"


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("account_locked", lockout_message()), status=LOCKED_STATUS)
    context = {
        "message": lockout_message(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": cooloff_minutes(),
    }
    return render(request, "accounts/locked_out.html", context, status=LOCKED_STATUS)
