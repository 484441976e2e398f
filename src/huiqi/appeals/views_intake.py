"""Pages of intake (受理): the hotline agent's page, the enterprise portal (my appeals, a new appeal, one
appeal with its history and the online evaluation), the mayor line (企业市长直通车) and the leaders' queue.

Thin: parse with forms_intake, call one service or selector, render. Permission decisions live in the
services and selectors; an ApplicationError they raise becomes a page with its message (403, 404...),
or, on a form, an error next to the field it names.

Decisions where the issue is silent:
* The hotline page is the agent's; dispatchers may use it too (they register hotline appeals when the
  centre is short of agents, services.intake.CHANNELS_BY_ROLE), and see registry phones masked.
* "登记并直接答复" registers the appeal and answers it in one transaction: either both happen or
  neither (a failed answer must not leave a half-done appeal waiting for dispatch).
* Pages link tickets by path (/appeals/tickets/<id>/, notices.ticket_link): that page belongs to the
  ticket workflow pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.appeals import notices, reply_search, selectors, selectors_intake, services
from huiqi.appeals.enums import Channel, FollowUpMethod, Priority
from huiqi.appeals.forms_intake import (
    EnterpriseAppealForm,
    FollowUpForm,
    HotlineAppealForm,
    LeaderInstructionForm,
    MayorLineAppealForm,
)
from huiqi.core.errors import ApplicationError, ConflictError

HOTLINE_ROLES = (Role.AGENT, Role.DISPATCHER)
PAGE_SIZE = 20


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Renders an ApplicationError from a selector or service as a page with its status and message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return render(request, "enterprises/error.html", {"error": error}, status=error.status_code)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _show_error(form: forms.Form, error: ApplicationError) -> None:
    """A service's refusal next to the field it names (each problem of a list), else above the form."""
    problems = (error.extra or {}).get("errors")
    target = error.field if error.field in form.fields else None
    if isinstance(problems, list) and problems and all(isinstance(p, str) for p in problems):
        for problem in problems:
            form.add_error(target, problem)
    else:
        form.add_error(target, error.message)


def ticket_path(ticket: Any) -> str:
    return notices.ticket_link(ticket)


# --- the hotline agent's page -------------------------------------------------------------------------


def _caller_context(user: Any, phone: str, chosen: str = "") -> dict[str, Any]:
    """The left panel: the enterprises recognised by the caller's number, each as a card."""
    phone = (phone or "").strip()
    matches = selectors.enterprises_for_caller(user=user, phone=phone) if phone else []
    cards = [selectors_intake.enterprise_card(user=user, enterprise=e) for e in matches]
    chosen_card = None
    if chosen and chosen not in {e.uscc for e in matches}:
        try:
            enterprise = selectors_intake.enterprise_by_uscc(user=user, uscc=chosen)
        except ApplicationError:  # a mistyped or foreign code: the form says so next to the field
            chosen = ""
        else:
            chosen_card = selectors_intake.enterprise_card(user=user, enterprise=enterprise)
    selected = chosen or (matches[0].uscc if len(matches) == 1 else "")
    return {"phone": phone, "cards": cards, "selected": selected, "chosen_card": chosen_card}


def _hotline_page(request: HttpRequest, form: HotlineAppealForm, *, status: int = 200) -> HttpResponse:
    user: Any = request.user
    phone = form["caller_phone"].value() or ""
    chosen = form["enterprise"].value() or ""
    done = None
    if number := request.GET.get("done"):
        done = selectors.get_appeal(user=user, number=number)
    context = {
        "form": form,
        "caller": _caller_context(user, phone, chosen),
        "done": done,
        "done_ticket_path": ticket_path(done.ticket) if done else "",
        "done_state_label": done.ticket.get_state_display() if done else "",
        "can_answer_directly": True,
    }
    return render(request, "appeals/intake/hotline.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def hotline(request: HttpRequest) -> HttpResponse:
    """热线受理: recognise the caller, look up past replies, register (and perhaps answer at once)."""
    user: Any = request.user
    require_role(user, *HOTLINE_ROLES)
    if request.method == "GET":
        form = HotlineAppealForm(initial={"caller_phone": request.GET.get("phone", "")})
        return _hotline_page(request, form)
    form = HotlineAppealForm(request.POST)
    if not form.is_valid():
        return _hotline_page(request, form)
    data = form.cleaned_data
    try:
        enterprise = (
            selectors_intake.enterprise_by_uscc(user=user, uscc=data["enterprise"])
            if data["enterprise"]
            else None
        )
        with transaction.atomic():  # register and answer together, or neither (module docstring)
            appeal = services.register_appeal(
                actor=user,
                channel=Channel.HOTLINE,
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                enterprise=enterprise,
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                category=data["category"] or None,
                priority=data["priority"] or None,
            )
            if form.is_direct_reply:
                ticket = appeal.ticket
                services.answer_directly(
                    actor=user, ticket=ticket, expected_version=ticket.version, text=data["reply_text"]
                )
    except ApplicationError as error:
        if error.field == "text":
            error.field = "reply_text"
        elif error.field == "uscc":
            error.field = "enterprise"
        _show_error(form, error)
        return _hotline_page(request, form)
    if form.is_direct_reply:
        messages.success(request, f"诉求 {appeal.number} 已登记并直接答复，已办结。")
    else:
        messages.success(request, f"诉求 {appeal.number} 已登记，等待派单。")
    return redirect(f"{reverse('appeals:hotline')}?{urlencode({'done': appeal.number})}")


@require_GET
@login_required
@shows_application_errors
def hotline_caller(request: HttpRequest) -> HttpResponse:
    """htmx: the enterprises whose registered contact phone is the caller's number."""
    require_role(request.user, *HOTLINE_ROLES)
    context = {"caller": _caller_context(request.user, request.GET.get("caller_phone", ""))}
    response = render(request, "appeals/intake/_caller.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
@shows_application_errors
def hotline_enterprises(request: HttpRequest) -> HttpResponse:
    """htmx: the registry searched by name or USCC when the number recognised nobody (or the wrong one)."""
    require_role(request.user, *HOTLINE_ROLES)
    q = request.GET.get("q", "")
    found = selectors_intake.search_registry(user=request.user, q=q)
    return render(request, "appeals/intake/_enterprise_search.html", {"found": found, "q": q.strip()})


@require_GET
@login_required
@shows_application_errors
def hotline_enterprise(request: HttpRequest) -> HttpResponse:
    """htmx: the card of the enterprise the agent chose from the search."""
    require_role(request.user, *HOTLINE_ROLES)
    enterprise = selectors_intake.enterprise_by_uscc(user=request.user, uscc=request.GET.get("uscc", ""))
    card = selectors_intake.enterprise_card(user=request.user, enterprise=enterprise)
    return render(request, "appeals/intake/_enterprise_card.html", {"card": card, "selectable": False})


@require_GET
@login_required
@shows_application_errors
def hotline_replies(request: HttpRequest) -> HttpResponse:
    """htmx: past replies matching what the caller asks (reply_search)."""
    require_role(request.user, *HOTLINE_ROLES)
    q = request.GET.get("q", "").strip()
    hits = reply_search.search_past_replies(user=request.user, q=q, limit=8) if q else []
    return render(request, "appeals/intake/_reply_results.html", {"hits": hits, "q": q})


# --- the enterprise portal -----------------------------------------------------------------------------


def _require_enterprise_user(user: Any) -> None:
    require_role(user, Role.ENTERPRISE)


@require_GET
@login_required
@shows_application_errors
def my_appeals(request: HttpRequest) -> HttpResponse:
    """我的诉求: the appeals of the user's enterprises, with their state and number."""
    user: Any = request.user
    _require_enterprise_user(user)
    page = Paginator(selectors_intake.my_appeals(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "appeal": appeal,
            "state_label": selectors_intake.state_label_for_enterprise(appeal.ticket.state),
            "tone": selectors_intake.STATE_TONES.get(appeal.ticket.state, "secondary"),
            "awaits_follow_up": appeal.ticket.state == "replied",
        }
        for appeal in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "enterprises": selectors_intake.enterprises_of(user=user),
        "can_use_mayor_line": bool(selectors_intake.red_list_enterprises_of(user=user)),
    }
    return render(request, "appeals/intake/my_appeals.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def new_appeal(request: HttpRequest) -> HttpResponse:
    """提交诉求 (channel 网站), with attachments."""
    user: Any = request.user
    _require_enterprise_user(user)
    enterprises = selectors_intake.enterprises_of(user=user)
    form = EnterpriseAppealForm(request.POST or None, request.FILES or None, enterprises=enterprises)
    if request.method == "POST" and enterprises and form.is_valid():
        data = form.cleaned_data
        enterprise = next(e for e in enterprises if e.uscc == data["enterprise"])
        try:
            appeal = services.register_appeal(
                actor=user,
                channel=Channel.WEB,
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                enterprise=enterprise,
                category=data["category"] or None,
                attachments=data["attachments"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(
                request, f"诉求已提交，编号 {appeal.number}。办理进展会通过站内消息和短信告知您。"
            )
            return redirect("appeals:my_appeal", number=appeal.number)
    context = {
        "form": form,
        "enterprises": enterprises,
        "can_use_mayor_line": bool(selectors_intake.red_list_enterprises_of(user=user)),
    }
    return render(request, "appeals/intake/new_appeal.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def my_appeal(request: HttpRequest, number: str) -> HttpResponse:
    """One of the enterprise's appeals: its history in plain Chinese, the replies, and the evaluation."""
    user: Any = request.user
    appeal = selectors.get_appeal(user=user, number=number)  # NotFoundError for another's appeal
    if user.role != Role.ENTERPRISE:
        return redirect(ticket_path(appeal.ticket))
    ticket = appeal.ticket
    form = FollowUpForm(request.POST or None, initial={"version": ticket.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.record_follow_up(
                actor=user,
                ticket=ticket,
                expected_version=data["version"],
                method=FollowUpMethod.ONLINE,
                is_resolved=data["is_resolved"],
                satisfaction=data["satisfaction"],
                comment=data["comment"],
            )
        except ConflictError as error:
            messages.error(request, error.message)
            return redirect("appeals:my_appeal", number=appeal.number)
        except ApplicationError as error:
            _show_error(form, error)
        else:
            if ticket.state == "closed":
                messages.success(request, "感谢您的评价，诉求已办结。")
            else:
                messages.warning(request, "已收到您的评价，诉求已退回承办单位重新办理，我们会尽快再次答复。")
            return redirect("appeals:my_appeal", number=appeal.number)
    ticket.refresh_from_db()
    context = {
        "appeal": appeal,
        "ticket": ticket,
        "state_label": selectors_intake.state_label_for_enterprise(ticket.state),
        "tone": selectors_intake.STATE_TONES.get(ticket.state, "secondary"),
        "timeline": selectors_intake.enterprise_timeline(ticket=ticket),
        "replies": selectors_intake.answered_replies(ticket=ticket),
        "follow_ups": selectors_intake.follow_ups(ticket=ticket),
        "attachments": selectors_intake.appeal_attachments(appeal=appeal),
        "awaits_follow_up": selectors_intake.awaits_follow_up(ticket=ticket),
        "form": form,
    }
    return render(request, "appeals/intake/my_appeal.html", context, status=400 if form.errors else 200)


# --- the mayor line ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def mayor_line_new(request: HttpRequest) -> HttpResponse:
    """企业市长直通车 for red-list enterprises; everyone else is told why not and where to go instead."""
    user: Any = request.user
    _require_enterprise_user(user)
    red = selectors_intake.red_list_enterprises_of(user=user)
    if not red:
        return render(
            request, "appeals/intake/mayor_line_refused.html", status=403 if request.method == "POST" else 200
        )
    form = MayorLineAppealForm(request.POST or None, request.FILES or None, enterprises=red)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services.submit_mayor_line_appeal(
                actor=user,
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                enterprise=next(e for e in red if e.uscc == data["enterprise"]),
                attachments=data["attachments"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(
                request, f"已提交市领导，编号 {appeal.number}。市领导批示后即交有关部门优先办理。"
            )
            return redirect("appeals:my_appeal", number=appeal.number)
    context = {"form": form, "enterprises": red}
    return render(request, "appeals/intake/mayor_line_new.html", context, status=400 if form.errors else 200)


def _queue_page(request: HttpRequest, forms_by_ticket: dict[int, LeaderInstructionForm]) -> HttpResponse:
    user: Any = request.user
    items = []
    for ticket in selectors_intake.mayor_line_pending(user=user):
        appeal = ticket.appeal
        items.append(
            {
                "ticket": ticket,
                "appeal": appeal,
                "card": selectors_intake.enterprise_card(
                    user=user, enterprise=appeal.enterprise, recent=3, exclude_appeal_id=appeal.pk
                )
                if appeal.enterprise_id
                else None,
                "attachments": selectors_intake.appeal_attachments(appeal=appeal),
                "form": forms_by_ticket.get(ticket.pk)
                or LeaderInstructionForm(initial={"version": ticket.version}),
                "ticket_path": ticket_path(ticket),
            }
        )
    context = {"items": items, "recent": selectors_intake.recently_instructed(user=user)}
    return render(
        request, "appeals/intake/mayor_line_queue.html", context, status=400 if forms_by_ticket else 200
    )


@require_GET
@login_required
@shows_application_errors
def mayor_line_queue(request: HttpRequest) -> HttpResponse:
    """市长直通车 (leaders): the appeals waiting for an instruction, each with its enterprise."""
    require_role(request.user, Role.LEADER)
    return _queue_page(request, {})


@require_POST
@login_required
@shows_application_errors
def mayor_line_instruct(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A leader's instruction (批示): the appeal goes on to dispatch with a raised priority."""
    user: Any = request.user
    require_role(user, Role.LEADER)
    ticket = selectors.get_ticket(user=user, ticket_id=ticket_id)
    form = LeaderInstructionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.record_leader_instruction(
                actor=user,
                appeal=ticket.appeal,
                instruction=data["instruction"],
                expected_version=data["version"],
                priority=data["priority"],
            )
        except ConflictError as error:
            messages.error(request, error.message)
            return redirect("appeals:mayor_line")
        except ApplicationError as error:
            _show_error(form, error)
        else:
            priority = Priority(ticket.appeal.priority).label
            messages.success(request, f"已批示诉求 {ticket.appeal.number}，优先级“{priority}”，已转入派单。")
            return redirect("appeals:mayor_line")
    return _queue_page(request, {ticket.pk: form})
