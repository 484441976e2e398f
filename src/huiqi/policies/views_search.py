"""Pages of policy search (政策查询) and of one policy document, for every signed-in user.

Thin: parse the query string, call search.search_policies / selectors_library, render. The search
form is submitted by htmx as the user types or changes a filter; the results part is swapped in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from huiqi.core.errors import ApplicationError
from huiqi.enterprises.selectors import region_label
from huiqi.policies import search, selectors_library
from huiqi.policies.enums import PolicyLevel
from huiqi.policies.search_index import KIND_LABELS, MAX_QUERY_LENGTH, describe_rules

PAGE_SIZE = 20


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return render(request, "enterprises/error.html", {"error": error}, status=error.status_code)

    return wrapper


class PolicySearchForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=MAX_QUERY_LENGTH)
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部"), *KIND_LABELS.items()])
    level = forms.ChoiceField(label="层级", required=False, choices=[("", "全部层级"), *PolicyLevel.choices])
    department = forms.CharField(label="发文部门", required=False)
    region_code = forms.CharField(label="区划", required=False)
    theme = forms.CharField(label="主题", required=False)
    effective_only = forms.BooleanField(label="现行有效", required=False)
    open_only = forms.BooleanField(label="正在申报", required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def search_kwargs(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        data.pop("page", None)
        data["query"] = data.pop("q")
        return data

    def page_number(self) -> int:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("page") or 1
        return 1


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@require_GET
@login_required
@shows_application_errors
def policy_search(request: HttpRequest) -> HttpResponse:
    form = PolicySearchForm(request.GET or None)
    page = form.page_number()
    results = search.search_policies(
        user=request.user, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, **form.search_kwargs()
    )
    facets = search.search_facets(user=request.user)
    pages = max(1, -(-results.total // PAGE_SIZE))
    context = {
        "form": form,
        "results": results,
        "facets": facets,
        "regions": [(code, region_label(code), count) for code, count in facets.regions],
        "page": page,
        "pages": pages,
        "has_previous": page > 1,
        "has_next": results.has_more,
    }
    template = "policies/_search_results.html" if _is_htmx(request) else "policies/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
@shows_application_errors
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    detail = selectors_library.document_detail(user=request.user, document_id=document_id)
    items = [
        {
            "entry": entry,
            "version": entry.version,
            "rules": describe_rules(entry.version),
            "budget": f"{entry.version.budget_amount:,.2f}"
            if entry.version.budget_amount is not None
            else "",
        }
        for entry in detail.items
    ]
    paragraphs = [line.strip() for line in detail.document.full_text.splitlines() if line.strip()]
    return render(
        request,
        "policies/document.html",
        {
            "detail": detail,
            "document": detail.document,
            "items": items,
            "paragraphs": paragraphs,
            "region_label": region_label(detail.document.region_code),
            "can_edit_items": selectors_library.can_see_unpublished(request.user),
        },
    )
