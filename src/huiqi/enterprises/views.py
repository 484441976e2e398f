"""Pages of the enterprise registry. Thin: parse, call one selector or service, render.

Permission decisions live in selectors and services; an ApplicationError they raise becomes a page
with its message (403, 404 or 400) through `shows_application_errors`.
"""

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from huiqi.accounts.enums import Role
from huiqi.core.errors import ApplicationError, PermissionDeniedError, ValidationFailedError
from huiqi.core.pagination import CappedPaginator
from huiqi.enterprises import selectors, services
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.forms import EnterpriseEditForm, EnterpriseFilterForm, EnterpriseImportForm

PAGE_SIZE = 50
COUNT_CAP = 10_000  # the list counts at most this many matches (core.pagination: no full COUNT(*))
ERRORS_SHOWN = 500
FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
    # A history restore after a cache miss asks for the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@require_GET
@login_required
@shows_application_errors
def enterprise_list(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.ENTERPRISE:  # type: ignore[union-attr]
        return redirect("enterprises:mine")
    form = EnterpriseFilterForm(request.GET or None)
    filter_errors = form.filter_errors()
    queryset = selectors.search_enterprises(user=request.user, **form.search_kwargs())
    if filter_errors:
        queryset = queryset.none()  # a mistyped filter must not silently show the whole registry
    paginator = CappedPaginator(queryset, PAGE_SIZE, count_cap=COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "enterprise": enterprise,
            "region_label": selectors.region_label(enterprise.region_code),
            "industry_label": selectors.industry_label(enterprise.industry_code),
            "contact_phone": selectors.phone_for(request.user, enterprise.contact_phone),
        }
        for enterprise in page.object_list
    ]
    context = {
        "form": form,
        "filter_errors": filter_errors,
        "page": page,
        "rows": rows,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "common_tags": selectors.COMMON_TAGS,
        "can_export": selectors.can_export_enterprises(request.user),
        "can_import": selectors.can_import_enterprises(request.user),
    }
    template = "enterprises/_table.html" if _is_htmx(request) else "enterprises/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
@shows_application_errors
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    detail = selectors.enterprise_detail(user=request.user, uscc=uscc)
    history = selectors.enterprise_history(user=request.user, enterprise=detail.enterprise, limit=500)
    return render(
        request, "enterprises/detail.html", {"detail": detail, "e": detail.enterprise, "history": history}
    )


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def enterprise_edit(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = selectors.get_enterprise(user=request.user, uscc=uscc)
    if not selectors.can_edit_registry(request.user):
        raise PermissionDeniedError("只有系统管理员可以修改企业信息。")
    form = EnterpriseEditForm(request.POST or None, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "没有修改任何字段。")
            return redirect("enterprises:detail", uscc=enterprise.uscc)
        try:
            services.update_enterprise_profile(
                enterprise=enterprise, actor=request.user, changes=changes, source=ChangeSource.USER
            )
        except ValidationFailedError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"已保存 {len(changes)} 项修改。")
            return redirect("enterprises:detail", uscc=enterprise.uscc)
    return render(request, "enterprises/edit.html", {"form": form, "e": enterprise})


def _add_service_errors(form: Any, error: ValidationFailedError) -> None:
    """Puts a service's ValidationFailedError on the fields it names (extra["errors"]: {field: [reason]})."""
    by_field = error.extra.get("errors")
    placed = False
    if isinstance(by_field, dict):
        for name, reasons in by_field.items():
            if name in form.fields:
                for reason in reasons if isinstance(reasons, list) else [reasons]:
                    form.add_error(name, str(reason))
                placed = True
    if not placed:
        form.add_error(error.field if error.field in form.fields else None, error.message)


@require_GET
@login_required
@shows_application_errors
def my_enterprises(request: HttpRequest) -> HttpResponse:
    if request.user.role != Role.ENTERPRISE:  # type: ignore[union-attr]
        return redirect("enterprises:list")
    enterprises = selectors.enterprises_visible_to(user=request.user)
    details = [
        selectors.describe_enterprise(user=request.user, enterprise=e) for e in enterprises.order_by("name")
    ]
    return render(request, "enterprises/mine.html", {"details": details})


@require_GET
@login_required
@shows_application_errors
def enterprise_export(request: HttpRequest) -> HttpResponseBase:
    file_format = request.GET.get("format", "csv")
    if file_format not in FILE_TYPES:
        raise ValidationFailedError("导出格式只能是 csv 或 xlsx。", field="format")
    if not selectors.can_export_enterprises(request.user):
        raise PermissionDeniedError("您的角色不能导出市场主体库。")
    form = EnterpriseFilterForm(request.GET or None)
    if filter_errors := form.filter_errors():
        raise ValidationFailedError(f"筛选条件有误，未导出：{'；'.join(filter_errors)}")
    queryset = selectors.search_enterprises(user=request.user, **form.search_kwargs())
    output = Path(tempfile.mkstemp(prefix="huiqi-export-", suffix=f".{file_format}")[1])
    services.export_enterprises(
        output=output,
        file_format=file_format,
        actor=request.user,
        mask_personal_data=not selectors.can_export_full_phones(request.user),
        queryset=queryset,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    handle = _DeletingFile(output)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"enterprises-{stamp}.{file_format}",
        content_type=FILE_TYPES[file_format],
    )


class _DeletingFile:
    """A read-only file that removes itself when the response closes it (exports can be large)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def enterprise_import(request: HttpRequest) -> HttpResponse:
    batches = selectors.import_batches_for(user=request.user)
    form = EnterpriseImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.start_import_batch(
                uploaded_file=form.cleaned_data["file"],
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
                atomic=form.cleaned_data["atomic"],
            )
        except ValidationFailedError as error:
            form.add_error("file", error.message)
        else:
            return redirect("enterprises:import_batch", batch_id=batch.pk)
    return render(request, "enterprises/import.html", {"form": form, "batches": batches[:30]})


@require_GET
@login_required
@shows_application_errors
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.get_import_batch(user=request.user, batch_id=batch_id)
    is_running = batch.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    errors = selectors.import_batch_errors(batch=batch)
    context = {
        "batch": batch,
        "is_running": is_running,
        "percent": _percent(batch),
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
    }
    template = "enterprises/_batch_status.html" if _is_htmx(request) else "enterprises/import_batch.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _percent(batch: Any) -> int:
    if batch.status == ImportStatus.DONE:
        return 100
    if not batch.total_rows:
        return 0
    return min(100, int(batch.processed_rows * 100 / batch.total_rows))


@require_GET
@login_required
@shows_application_errors
def import_errors(request: HttpRequest, batch_id: int, file_format: str) -> HttpResponse:
    batch = selectors.get_import_batch(user=request.user, batch_id=batch_id)
    content = services.error_report(batch=batch, file_format=file_format)
    response = HttpResponse(content, content_type=FILE_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.{file_format}"'
    return response
