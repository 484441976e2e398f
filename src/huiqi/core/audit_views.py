"""The audit log pages (审计日志) for the audit administrator: search with filters, each event's
before/after as a table of changed fields, CSV export. Each search and export is itself audited
(GB/T 22239-2019 8.1.5.2 a)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.core import audit, audit_labels, selectors
from huiqi.core.audit_forms import AuditFilterForm
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.pagination import CappedPaginator

PAGE_SIZE = 50
_MISSING = object()


def _forbidden(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
    return render(request, "accounts/forbidden.html", {"message": exc.message}, status=403)


def _display(value: Any) -> str:
    if value is _MISSING:
        return "—"
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def diff_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """One row per field of before/after: field, old value, new value, whether it changed."""
    before = before if isinstance(before, dict) else ({} if before is None else {"值": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"值": after})
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for key in keys:
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        rows.append({"field": key, "before": _display(old), "after": _display(new), "changed": old != new})
    return rows


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid()
    try:
        events = selectors.audit_events_for(user=request.user, **(form.filters() if valid else {}))
        actions = selectors.audit_actions(user=request.user)
    except PermissionDeniedError as exc:
        return _forbidden(request, exc)
    if form.is_bound and not valid:
        events = events.none()  # a filter the user mistyped must not silently show everything
    paginator = CappedPaginator(events, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "event": event,
            "role": _role_label(event.actor_role),
            "action_label": audit_labels.action_label(event.action),
            "object_type_label": audit_labels.object_type_label(event.object_type),
            "source_label": audit_labels.source_label(event.source),
            "diff": diff_rows(event.before, event.after),
        }
        for event in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    audit.record_audit_log_access(
        user=request.user,
        action="audit.searched",
        details={"filters": form.active_filters() if valid else {}, "page": page.number},
    )
    return render(
        request,
        "core/audit.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "actions": actions,
            "querystring": query.urlencode(),
            "is_capped": paginator.is_capped,
        },
    )


def _csv_lines(events: Any) -> Iterator[str]:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with the BOM
    yield writer.writerow(
        [
            "编号",
            "时间",
            "操作人",
            "角色",
            "操作",
            "操作说明",
            "对象类型",
            "对象标识",
            "对象",
            "来源IP",
            "渠道",
            "变更前",
            "变更后",
            "哈希",
        ]
    )
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.pk,
                timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
                event.actor_name,
                _role_label(event.actor_role),
                event.action,
                audit_labels.action_label(event.action),
                event.object_type,
                event.object_id,
                event.object_repr,
                event.source_ip or "",
                event.source,
                "" if event.before is None else json.dumps(event.before, ensure_ascii=False, sort_keys=True),
                "" if event.after is None else json.dumps(event.after, ensure_ascii=False, sort_keys=True),
                event.hash,
            ]
        )


@login_required
def audit_export(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid()
    try:
        events = selectors.audit_events_for(user=request.user, **(form.filters() if valid else {}))
    except PermissionDeniedError as exc:
        return _forbidden(request, exc)
    if form.is_bound and not valid:
        errors = "；".join(
            f"{form.fields[name].label if name in form.fields else '筛选'}：{'、'.join(map(str, msgs))}"
            for name, msgs in form.errors.items()
        )
        return HttpResponse(
            f"筛选条件有误，未导出：{errors}", status=400, content_type="text/plain; charset=utf-8"
        )
    audit.record_audit_log_access(
        user=request.user,
        action="audit.exported",
        details={"filters": form.active_filters() if valid else {}},
    )
    response = StreamingHttpResponse(
        _csv_lines(events.order_by("id")), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
