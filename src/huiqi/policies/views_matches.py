"""Pages of matches: "我能享受哪些政策" for enterprise users (and the same page for staff, from an
enterprise's detail page), and the all-against-all match runs with their progress.

Thin: resolve the enterprise (enterprises.selectors checks who may read it), call one selector or
service, render. "重新计算" posts through htmx and gets the page's body back.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from huiqi.accounts.enums import Role
from huiqi.core.errors import ApplicationError
from huiqi.enterprises import selectors as enterprise_selectors
from huiqi.policies import match_runs
from huiqi.policies.enterprise_matches import matched_items_for
from huiqi.policies.views_impact import is_htmx, parse_as_of, shows_application_errors


def _render_matches(request: HttpRequest, enterprise: object, context: dict[str, object]) -> HttpResponse:
    if request.method == "POST":
        match_runs.recompute_enterprise_matches(actor=request.user, enterprise=enterprise)
        context["recomputed"] = True
    matches = matched_items_for(
        user=request.user, enterprise=enterprise, as_of=parse_as_of(request.GET.get("as_of"))
    )
    context.update({"matches": matches, "e": enterprise})
    if request.method == "POST" and not is_htmx(request):
        messages.success(request, "已重新计算。")
    template = "policies/_my_matches_body.html" if is_htmx(request) else "policies/my_matches.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def my_matches(request: HttpRequest) -> HttpResponse:
    """The enterprise user's page; `?uscc=` picks one of its enterprises (default: the first by name)."""
    if request.user.role != Role.ENTERPRISE:  # type: ignore[union-attr]
        return redirect("enterprises:list")
    enterprises = list(enterprise_selectors.enterprises_visible_to(user=request.user).order_by("name"))
    if not enterprises:
        return render(request, "policies/my_matches.html", {"enterprises": [], "is_own": True})
    wanted = enterprise_selectors.compact_code(request.GET.get("uscc", ""))
    enterprise = next((e for e in enterprises if e.uscc == wanted), enterprises[0])
    return _render_matches(request, enterprise, {"enterprises": enterprises, "is_own": True})


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def enterprise_matches(request: HttpRequest, uscc: str) -> HttpResponse:
    """The same page for one enterprise of the registry, for staff (or the enterprise's own users)."""
    enterprise = enterprise_selectors.get_enterprise(user=request.user, uscc=uscc)
    return _render_matches(request, enterprise, {"enterprises": [enterprise], "is_own": False})


# ------------------------------------------------------------------------------- match runs
def _runs_context(request: HttpRequest) -> dict[str, object]:
    runs = list(match_runs.match_runs_for(user=request.user))
    return {
        "runs": runs,
        "has_running": any(run.is_running for run in runs),
        "counts": match_runs.stored_result_counts(),
        "can_start": match_runs.can_start_match_run(request.user),
    }


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def match_run_list(request: HttpRequest) -> HttpResponse:
    """The runs, newest first, with the running ones' progress; POST starts a full run."""
    error = None
    if request.method == "POST":
        try:
            run = match_runs.start_match_run(actor=request.user, as_of=parse_as_of(request.POST.get("as_of")))
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            error = exc.message
        else:
            if not is_htmx(request):
                messages.success(request, f"已发起全量匹配任务 {run.pk}。")
                return redirect("policies:match_runs")
    context = _runs_context(request)
    context["error"] = error
    template = "policies/_match_runs_table.html" if is_htmx(request) else "policies/match_runs.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
@shows_application_errors
def match_run_status(request: HttpRequest) -> HttpResponse:
    """The runs table alone (polled by the page every second while a run is queued or running)."""
    return render(request, "policies/_match_runs_table.html", _runs_context(request))
