"""The impact preview page of an item version (impact.py): figures, charts, who gains and who loses.

Thin: parse the evaluation date, call impact.preview_impact (which checks the role), render. The
"重新计算" button asks for the same URL through htmx and gets only the page's body back.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from huiqi.accounts.enums import Role
from huiqi.core.errors import ApplicationError, ValidationFailedError
from huiqi.policies import impact

EDITOR_ROLES = (Role.POLICY_EDITOR, Role.POLICY_REVIEWER)


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """An ApplicationError from a selector or service becomes a page with its status and message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return render(request, "enterprises/error.html", {"error": error}, status=error.status_code)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    # A history restore after a cache miss asks for the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def parse_as_of(value: str | None) -> datetime.date | None:
    if not value or not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as error:
        raise ValidationFailedError(f"评估日期“{value}”无效，应为 YYYY-MM-DD。", field="as_of") from error


@require_GET
@login_required
@shows_application_errors
def version_impact(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = impact.get_item_version(code=code, number=number)
    preview = impact.preview_impact(
        actor=request.user, version=version, as_of=parse_as_of(request.GET.get("as_of"))
    )
    context = {
        "preview": preview,
        "version": version,
        "charts": preview.chart_data(),
        "can_open_editor": getattr(request.user, "role", None) in EDITOR_ROLES,
        "sample_size": impact.SAMPLE_SIZE,
    }
    template = "policies/_impact_body.html" if is_htmx(request) else "policies/impact.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
