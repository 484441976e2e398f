"""The inbox page (消息): the signed-in user's own in-app notifications, mark read one or all."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from huiqi.core import selectors
from huiqi.core.errors import NotFoundError
from huiqi.core.notifications import services as notification_services

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.inbox_for(user=request.user, unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.unread_count_for(user=request.user),
        },
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:inbox")


@login_required
@require_POST
def inbox_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Marks one message read, then goes to `next` (the message's link when opening it) or the inbox."""
    try:
        notification_services.mark_read(user=request.user, notification_id=notification_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    return redirect(_safe_next(request))


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_services.mark_all_read(user=request.user)
    messages.success(request, f"已将 {count} 条消息标为已读。" if count else "没有未读消息。")
    return redirect("core:inbox")
