"""Ticket pages (工单): each role's work queue, the ticket page with its history and the forms of the
actions the viewer may take, and the one endpoint those forms post to.

Thin: parse (forms_tickets), call one selector or service, render. Who sees a ticket is decided by
appeals.selectors (a ticket outside the viewer's scope is "not found", 404); who may act by the
services (workflow table, scope). Every action form carries the version the page showed: when
someone acted first, the service's conflict message is shown on the refreshed page and the form is
offered again at the new version with what the user typed still in it (nothing is lost).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from huiqi.accounts.enums import Role
from huiqi.appeals import forms_tickets, selectors, selectors_tickets, services, ticket_display
from huiqi.appeals.enums import TicketAction, TicketState
from huiqi.appeals.forms_tickets import ACTIONS, SUPERVISE, action_label, form_for, kept_input
from huiqi.core.errors import ApplicationError, ConflictError, ValidationFailedError
from huiqi.core.pagination import CappedPaginator
from huiqi.enterprises import selectors as enterprise_selectors

A = TicketAction
PAGE_SIZE = 30

SERVICES: dict[str, Callable[..., Any]] = {
    A.INSTRUCT: lambda *, ticket, **kw: services.record_leader_instruction(appeal=ticket.appeal, **kw),
    A.DISPATCH: services.dispatch_ticket,
    A.REDISPATCH: services.redispatch_ticket,
    A.ACCEPT: services.accept_ticket,
    A.RETURN: services.return_ticket,
    A.RECLASSIFY: services.reclassify_ticket,
    A.REQUEST_EXTENSION: services.request_extension,
    A.APPROVE_EXTENSION: services.approve_extension,
    A.REJECT_EXTENSION: services.reject_extension,
    A.PAUSE: services.pause_ticket,
    A.RESUME: services.resume_ticket,
    A.SUBMIT_REPLY: services.submit_reply,
    A.APPROVE_REPLY: services.approve_reply,
    A.SEND_BACK_REPLY: services.send_back_reply,
    A.RECORD_FOLLOW_UP: services.record_follow_up,
    A.REOPEN: services.reopen_ticket,
    A.CLOSE: services.close_ticket,
    A.DIRECT_REPLY: services.answer_directly,
    A.MERGE: services.merge_appeal,
    SUPERVISE: lambda *, expected_version, **kw: services.supervise_ticket(**kw),
}


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """An ApplicationError from a selector or service becomes a page with its status and message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return render(request, "enterprises/error.html", {"error": error}, status=error.status_code)

    return wrapper


def _page(request: HttpRequest, queryset: Any, per_page: int = PAGE_SIZE) -> Any:
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("page"))


def _deadlines(tickets: Any) -> list[dict[str, Any]]:
    return [{"ticket": t, "deadline": ticket_display.deadline_status(t, with_percent=False)} for t in tickets]


# --- queues ------------------------------------------------------------------------------------------


def _dispatcher_tabs(user: Any) -> dict[str, int]:
    return {
        "dispatch": selectors_tickets.dispatcher_queue(user=user).count(),
        "reviews": selectors_tickets.reply_review_queue(user=user).count(),
        "extensions": selectors_tickets.extension_review_queue(user=user).count(),
    }


@require_GET
@login_required
@shows_application_errors
def dispatch_queue(request: HttpRequest) -> HttpResponse:
    """派单: awaiting dispatch, urgent and red-list first, with the classifier's and routing's
    suggestions and a quick dispatch form per ticket."""
    user = request.user
    page = _page(request, selectors_tickets.dispatcher_queue(user=user), per_page=20)
    tickets = list(page.object_list)
    suggestions = ticket_display.suggestions_for([t.appeal for t in tickets])
    routes = selectors_tickets.routes_for([t.appeal for t in tickets])
    departments, categories = forms_tickets.department_choices(), forms_tickets.category_choices()
    rows = []
    for ticket in tickets:
        appeal, suggestion = ticket.appeal, suggestions.get(ticket.appeal_id)
        route = routes.get(appeal.pk)
        initial: dict[str, Any] = {"category": appeal.category_id or appeal.suggested_category_id}
        if route is not None and route.lead_department is not None:
            initial["lead_department"] = route.lead_department.pk
            initial["assisting_departments"] = [d.pk for d in route.assisting_departments]
        form = form_for(
            A.DISPATCH,
            user=user,
            ticket=ticket,
            initial=initial,
            departments=departments,
            categories=categories,
            id_prefix=f"t{ticket.pk}_",
        )
        rows.append(
            {
                "ticket": ticket,
                "appeal": appeal,
                "suggestion": suggestion,
                "route": route,
                "form": form,
                "deadline": ticket_display.deadline_status(ticket, with_percent=False),
            }
        )
    context = {"page": page, "rows": rows, "tabs": _dispatcher_tabs(user), "tab": "dispatch"}
    return render(request, "appeals/tickets/dispatch_queue.html", context)


@require_GET
@login_required
@shows_application_errors
def review_queue(request: HttpRequest) -> HttpResponse:
    """答复审核 and 延期审批 for dispatchers: replies to approve or send back, extension requests."""
    user = request.user
    page = _page(request, selectors_tickets.reply_review_queue(user=user))
    tickets = list(page.object_list)
    pending = {r.ticket_id: r for r in selectors_tickets.pending_replies(ticket_ids=[t.pk for t in tickets])}
    rows = [{**row, "reply": pending.get(row["ticket"].pk)} for row in _deadlines(tickets)]
    extensions = _deadlines(selectors_tickets.extension_review_queue(user=user)[:100])
    for row in extensions:
        row["extension"] = selectors.pending_extension(ticket=row["ticket"])
    context = {
        "page": page,
        "rows": rows,
        "extensions": extensions,
        "tabs": _dispatcher_tabs(user),
        "tab": request.GET.get("tab", "reviews"),
    }
    return render(request, "appeals/tickets/review_queue.html", context)


@require_GET
@login_required
@shows_application_errors
def department_queue(request: HttpRequest) -> HttpResponse:
    """部门工单 for handlers: their department's open tickets by state, with deadline badges."""
    queue = selectors_tickets.department_work_queue(user=request.user, state=request.GET.get("state", ""))
    page = _page(request, queue.tickets)
    rows = _deadlines(page.object_list)
    for row in rows:
        row["leads"] = selectors_tickets.leads_ticket(user=request.user, ticket=row["ticket"])
    states = [
        {"value": s.value, "label": s.label, "count": queue.counts[s.value]}
        for s in selectors_tickets.DEPARTMENT_STATES
    ]
    context = {
        "queue": queue,
        "page": page,
        "rows": rows,
        "states": states,
        "total": sum(queue.counts.values()),
    }
    return render(request, "appeals/tickets/department_queue.html", context)


@require_GET
@login_required
@shows_application_errors
def supervision_queue(request: HttpRequest) -> HttpResponse:
    """督办 for supervisors: overdue and warning tickets, supervision records, a 督办 form per ticket."""
    overview = selectors_tickets.supervision_overview(user=request.user)

    def rows(tickets: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                **row,
                "form": form_for(
                    SUPERVISE, user=request.user, ticket=row["ticket"], id_prefix=f"t{row['ticket'].pk}_"
                ),
            }
            for row in _deadlines(tickets)
        ]

    context = {
        "overdue": rows(overview.overdue),
        "warning": rows(overview.warning),
        "supervisions": overview.supervisions,
    }
    return render(request, "appeals/tickets/supervision_queue.html", context)


@require_GET
@login_required
@shows_application_errors
def follow_up_queue(request: HttpRequest) -> HttpResponse:
    """回访 for agents: replied tickets waiting for a call (the caller's number in full for agents)."""
    page = _page(request, selectors_tickets.follow_up_queue(user=request.user))
    tickets = list(page.object_list)
    replies = {
        r.ticket_id: r for r in selectors_tickets.latest_approved_replies(ticket_ids=[t.pk for t in tickets])
    }
    rows = [
        {
            "ticket": t,
            "reply": replies.get(t.pk),
            "phone": selectors.caller_phone_for(user=request.user, appeal=t.appeal),
        }
        for t in tickets
    ]
    return render(request, "appeals/tickets/follow_up_queue.html", {"page": page, "rows": rows})


# --- the ticket page ---------------------------------------------------------------------------------


def _action_forms(
    request: HttpRequest, ticket: Any, failed: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The forms of the actions the user may take now; a failed submission replaces its own form
    (bound with its errors, or, after a conflict, fresh at the new version with the input kept).
    The second value is the failed submission when its action is no longer offered."""
    user = request.user
    actions: list[str] = list(selectors_tickets.actions_on_page(user=user, ticket=ticket))
    if selectors_tickets.can_supervise(user=user, ticket=ticket):
        actions.append(SUPERVISE)
    departments = categories = None
    if {A.DISPATCH, A.REDISPATCH, A.RECLASSIFY} & set(actions):
        departments, categories = forms_tickets.department_choices(), forms_tickets.category_choices()
    route = selectors_tickets.route_for(appeal=ticket.appeal) if A.DISPATCH in actions else None
    forms = []
    for action in actions:
        spec = ACTIONS[action]
        initial: dict[str, Any] = {}
        if action == A.DISPATCH:
            initial["category"] = ticket.appeal.category_id or ticket.appeal.suggested_category_id
            if route is not None and route.lead_department is not None:
                initial["lead_department"] = route.lead_department.pk
                initial["assisting_departments"] = [d.pk for d in route.assisting_departments]
        error = None
        if failed is not None and failed["action"] == action:
            error = failed["error"]
            if failed["form"] is not None:
                form = failed["form"]
            else:
                initial.update(failed["kept"])
                form = form_for(
                    action,
                    user=user,
                    ticket=ticket,
                    initial=initial,
                    departments=departments,
                    categories=categories,
                )
        else:
            form = form_for(
                action,
                user=user,
                ticket=ticket,
                initial=initial,
                departments=departments,
                categories=categories,
            )
        forms.append(
            {
                "action": action,
                "label": action_label(action),
                "spec": spec,
                "form": form,
                "error": error,
                "url": reverse("appeals:ticket_action", args=[ticket.pk, action]),
                "had_files": bool(failed and failed["action"] == action and failed.get("had_files")),
                "note": _route_note(route) if action == A.DISPATCH else "",
            }
        )
    orphan = failed if failed is not None and failed["action"] not in actions else None
    return forms, orphan


def _route_note(route: Any) -> str:
    if route is None or route.lead_department is None:
        return "派单规则：无匹配规则，请选择主办单位。"
    note = f"派单规则建议：{route.lead_department.name}"
    if route.assisting_departments:
        note += "，协办 " + "、".join(d.name for d in route.assisting_departments)
    if route.rule is not None:
        note += f"（规则“{getattr(route.rule, 'name', route.rule)}”）"
    return note + "。"


def _render_ticket(
    request: HttpRequest, ticket_id: int, *, failed: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    ticket = selectors.get_ticket(user=user, ticket_id=ticket_id)
    appeal = ticket.appeal
    forms, orphan = _action_forms(request, ticket, failed)
    enterprise = appeal.enterprise
    context = {
        "ticket": ticket,
        "appeal": appeal,
        "enterprise": enterprise,
        "enterprise_phone": enterprise_selectors.phone_for(user, enterprise.contact_phone)
        if enterprise
        else "",
        "can_open_enterprise": enterprise is not None and enterprise_selectors.can_read_registry(user),
        "caller_phone": selectors.caller_phone_for(user=user, appeal=appeal),
        "deadline": ticket_display.deadline_status(ticket),
        "assisting": list(ticket.assisting_departments.all()),
        "leads": selectors_tickets.leads_ticket(user=user, ticket=ticket),
        "timeline": ticket_display.timeline(ticket=ticket),
        "records": selectors_tickets.ticket_records(ticket=ticket),
        "suggestion": ticket_display.suggestions_for([appeal]).get(appeal.pk),
        "pending_extension": selectors.pending_extension(ticket=ticket),
        "primary_forms": [f for f in forms if f["spec"].is_primary],
        "other_forms": [f for f in forms if not f["spec"].is_primary],
        "other_open": any(f["error"] or f["form"].errors for f in forms if not f["spec"].is_primary),
        "orphan": orphan,
        "is_open": ticket.state != TicketState.CLOSED,
        "back": _back_link(user),
    }
    return render(request, "appeals/tickets/detail.html", context, status=status)


def _back_link(user: Any) -> tuple[str, str] | None:
    """The viewer's own queue, for the breadcrumb."""
    role = getattr(user, "role", "")
    for roles, label, name in (
        (selectors_tickets.DISPATCH_ROLES, "派单", "appeals:dispatch_queue"),
        (selectors_tickets.SUPERVISION_ROLES, "督办", "appeals:supervision_queue"),
        (selectors_tickets.FOLLOW_UP_ROLES, "回访", "appeals:follow_up_queue"),
        (selectors_tickets.DEPARTMENT_ROLES, "部门工单", "appeals:department_queue"),
    ):
        if role in roles:
            return label, reverse(name)
    return None


@require_GET
@login_required
@shows_application_errors
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    if request.user.role == Role.ENTERPRISE:  # type: ignore[union-attr]
        # Enterprises read their appeal on their own page (plain history, their evaluation form);
        # notification links point here for everyone.
        ticket = selectors.get_ticket(user=request.user, ticket_id=ticket_id)
        return redirect("appeals:my_appeal", number=ticket.appeal.number)
    return _render_ticket(request, ticket_id)


@require_POST
@login_required
@shows_application_errors
def ticket_action(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """Performs one action from a form; on success back to the ticket (or the queue it came from)."""
    if action not in ACTIONS:
        raise Http404("没有这种工单操作。")
    ticket = selectors.get_ticket(user=request.user, ticket_id=ticket_id)
    form = form_for(action, user=request.user, ticket=ticket, data=request.POST, files=request.FILES)
    if not form.is_valid():
        failed = {"action": action, "label": action_label(action), "form": form, "error": None, "kept": {}}
        return _render_ticket(request, ticket_id, failed=failed, status=400)
    try:
        SERVICES[action](
            actor=request.user,
            ticket=ticket,
            expected_version=form.cleaned_data.get("expected_version"),
            **form.service_kwargs(),
        )
    except ConflictError as error:
        # Someone acted first (or the state moved on): show their change, keep this user's input.
        kept = kept_input(request.POST, form_class=ACTIONS[action].form)
        failed = {
            "had_files": bool(request.FILES),
            "action": action,
            "label": action_label(action),
            "form": None,
            "error": error.message,
            "kept": kept,
        }
        return _render_ticket(request, ticket_id, failed=failed, status=409)
    except ValidationFailedError as error:
        _place_error(form, error)
        failed = {"action": action, "label": action_label(action), "form": form, "error": None, "kept": {}}
        return _render_ticket(request, ticket_id, failed=failed, status=400)
    messages.success(request, f"已{action_label(action)}：{ticket.appeal.number}")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("appeals:ticket_detail", ticket_id=ticket.pk)


def _place_error(form: Any, error: ValidationFailedError) -> None:
    """The service names the field it refused; put the message there (or on the form)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
