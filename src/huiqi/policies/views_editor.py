"""Pages of the policy editor and reviewer: item list, item editor (visual condition builder with the
YAML beside it), version page (review: rules in Chinese, examples, diff, workflow buttons), review queue.

Thin: parse, call one selector or service, render. Who may do what is decided by the services
(drafting.py, services.py) and selectors_editor.py; which workflow buttons show comes from
workflow.allowed_steps. The builder's live check and YAML import are small JSON endpoints that call
the same validation as saving (drafting.check_draft_data), so what the page shows as typed is what
the server will accept.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core.errors import ApplicationError, ValidationFailedError
from huiqi.enterprises.selectors import COMMON_TAGS
from huiqi.policies import drafting, selectors_editor, services
from huiqi.policies.forms_editor import ItemFilterForm, PolicyItemForm, StepForm, builder_config, initial_for
from huiqi.policies.item_file import ItemFileError, jsonable, read_items
from huiqi.policies.models import PolicyItemVersion
from huiqi.policies.workflow import Step, VersionStatus

PAGE_SIZE = 50
YAML_LIMIT = 200_000  # characters accepted by "应用到编辑器" (an item is a few kilobytes)


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """An ApplicationError from a selector or service becomes a page (or JSON) with its message."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            if request.headers.get("Accept", "").startswith("application/json"):
                return JsonResponse(
                    {"code": error.code, "message": error.message, "errors": error.extra.get("errors") or {}},
                    status=error.status_code,
                )
            return render(request, "policies/editor/error.html", {"error": error}, status=error.status_code)

    return wrapper


def impact_url(version: PolicyItemVersion) -> str:
    """The impact preview of a version (built in another module; linked by its agreed path if its
    URL name is not there yet)."""
    code, number = version.item.code, version.number
    for kwargs in ({"code": code, "number": number}, {"code": code, "version": number}):
        try:
            return reverse("policies:impact", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return f"/policies/items/{code}/versions/{number}/impact/"


def version_url(version: PolicyItemVersion) -> str:
    return reverse("policies:version_detail", kwargs={"code": version.item.code, "number": version.number})


# ----------------------------------------------------------------------------------------- list
@require_GET
@login_required
@shows_application_errors
def item_list(request: HttpRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None, status_choices=selectors_editor.STATUS_FILTERS)
    items = selectors_editor.editor_items(user=request.user, **form.filters())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [selectors_editor.item_row(item) for item in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "policies/editor/item_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_edit": selectors_editor.can_edit_policies(request.user),
            "review_count": selectors_editor.review_queue(user=request.user).count(),
        },
    )


@require_GET
@login_required
@shows_application_errors
def review_queue(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.POLICY_REVIEWER)
    versions = list(selectors_editor.review_queue(user=request.user))
    rows = [
        {
            "version": version,
            "submitted_at": selectors_editor.submitted_at(version),
            "faults": services.version_faults(version),
            "published": selectors_editor.current_published(item=version.item, other_than=version),
        }
        for version in versions
    ]
    return render(request, "policies/editor/review_queue.html", {"rows": rows})


# --------------------------------------------------------------------------------------- editor
def _editor_page(
    request: HttpRequest,
    form: PolicyItemForm,
    *,
    version: PolicyItemVersion | None,
    rule_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    if form.is_bound:
        # Re-show what was typed, including rules that did not validate.
        raw = {name: form.data.get(name) for name in ("eligibility", "reward", "examples")}
        state = {}
        for name, text in raw.items():
            try:
                state[name] = json.loads(text) if text else None
            except json.JSONDecodeError:
                state[name] = None
    else:
        state = {name: form.initial.get(name) for name in ("eligibility", "reward", "examples")}
    if not state.get("eligibility"):
        state["eligibility"] = {"all": []}
    document = None
    document_id = form["document_id"].value()
    if document_id:
        try:
            document = selectors_editor.get_document(user=request.user, document_id=int(document_id))
        except (TypeError, ValueError):
            document = None
    context = {
        "form": form,
        "version": version,
        "builder_config": builder_config(tags=COMMON_TAGS),
        "builder_state": jsonable(state),
        "rule_errors": rule_errors or {},
        "document": document,
        "impact_url": impact_url(version) if version is not None else "",
        "returned": selectors_editor.latest_return(version) if version is not None else None,
    }
    return render(request, "policies/editor/edit.html", context, status=status)


def _save(request: HttpRequest, form: PolicyItemForm, version: PolicyItemVersion | None) -> HttpResponse:
    if not form.is_valid():
        return _editor_page(request, form, version=version, status=400)
    try:
        if version is None:
            saved = drafting.create_draft_item(actor=request.user, data=form.item_data())
        else:
            saved = drafting.update_draft_version(actor=request.user, version=version, data=form.item_data())
    except ValidationFailedError as error:
        errors = error.extra.get("errors")
        rule_errors = form.place_errors(errors) if isinstance(errors, dict) else {}
        if not isinstance(errors, dict):
            form.add_error(None, error.message)
        messages.error(request, error.message)
        return _editor_page(request, form, version=version, rule_errors=rule_errors, status=400)
    check = drafting.check_draft_data(data=form.item_data())
    failing = [example for example in check.examples if not example.is_passing]
    if failing:
        messages.warning(
            request,
            f"已保存草稿 {saved}，但有 {len(failing)} 个示例不通过（提交审核前须全部通过）："
            + "；".join(example.message for example in failing),
        )
    else:
        messages.success(request, f"已保存草稿 {saved}。")
    if request.POST.get("then") == "submit":
        return _take_step(request, saved, Step.SUBMIT, "")
    return redirect("policies:version_edit", code=saved.item.code, number=saved.number)


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def item_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.POLICY_EDITOR)
    if request.method == "POST":
        return _save(request, PolicyItemForm(request.POST), None)
    return _editor_page(
        request, PolicyItemForm(initial={"eligibility": {"all": []}, "examples": []}), version=None
    )


@require_http_methods(["GET", "POST"])
@login_required
@shows_application_errors
def version_edit(request: HttpRequest, code: str, number: int) -> HttpResponse:
    require_role(request.user, Role.POLICY_EDITOR)
    version = selectors_editor.get_version(user=request.user, code=code, number=number)
    if version.status != VersionStatus.DRAFT:
        messages.info(request, f"{version} 当前为“{version.get_status_display()}”，只有草稿可以编辑。")
        return redirect(version_url(version))
    if request.method == "POST":
        return _save(request, PolicyItemForm(request.POST), version)
    return _editor_page(request, PolicyItemForm(initial=initial_for(version)), version=version)


# ------------------------------------------------------------------------------------- versions
@require_GET
@login_required
@shows_application_errors
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = selectors_editor.newest_version(user=request.user, code=code)
    return redirect(version_url(version))


@require_GET
@login_required
@shows_application_errors
def version_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = selectors_editor.get_version(user=request.user, code=code, number=number)
    view = selectors_editor.version_view(user=request.user, version=version)
    return render(
        request,
        "policies/editor/version.html",
        {"view": view, "v": version, "impact_url": impact_url(version), "statuses": VersionStatus},
    )


def _take_step(request: HttpRequest, version: PolicyItemVersion, step: Step, reason: str) -> HttpResponse:
    try:
        if step == Step.SUBMIT:
            done = services.submit_for_review(actor=request.user, version=version)
            messages.success(request, f"{done} 已提交审核。")
        elif step == Step.PUBLISH:
            done = services.publish_item_version(actor=request.user, version=version)
            messages.success(request, f"{done} 已发布，自生效日期 {done.effective_from} 起适用。")
        elif step == Step.RETURN_TO_EDITOR:
            done = services.return_to_editor(actor=request.user, version=version, reason=reason)
            messages.success(request, f"{done} 已退回编辑修改。")
        elif step == Step.RETIRE:
            done = services.retire_item_version(actor=request.user, version=version, reason=reason)
            messages.success(request, f"{done} 已废止。")
        else:
            raise ValidationFailedError(f"页面上不能进行“{step.label}”。", field="step")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(version_url(version))


@require_POST
@login_required
@shows_application_errors
def version_step(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = selectors_editor.get_version(user=request.user, code=code, number=number)
    form = StepForm(request.POST)
    if not form.is_valid() or form.cleaned_data["step"] not in Step.values:
        raise ValidationFailedError("未知的操作。", field="step")
    return _take_step(request, version, Step(form.cleaned_data["step"]), form.cleaned_data["reason"])


@require_POST
@login_required
@shows_application_errors
def version_new(request: HttpRequest, code: str) -> HttpResponse:
    base = selectors_editor.newest_version(user=request.user, code=code)
    try:
        draft = drafting.new_draft_from_published(actor=request.user, item=base.item)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(version_url(base))
    messages.success(request, f"已新建草稿 {draft}（复制自已发布版本），请修改后提交审核。")
    return redirect("policies:version_edit", code=code, number=draft.number)


# ------------------------------------------------------------------------------ JSON endpoints
def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailedError("请求不是有效的 JSON。") from None


def _example_json(example: drafting.ExampleCheck) -> dict[str, Any]:
    return {
        "index": example.index,
        "is_passing": example.is_passing,
        "status": example.status,
        "amount": str(example.amount) if example.amount is not None else None,
        "explanation": example.explanation,
        "message": example.message,
    }


@require_POST
@login_required
@shows_application_errors
def editor_check(request: HttpRequest) -> JsonResponse:
    """The builder's live check: every fault by path, and each example's result (nothing is saved)."""
    require_role(request.user, Role.POLICY_EDITOR)
    body = _json_body(request)
    item = body.get("item") if isinstance(body, dict) else None
    if not isinstance(item, dict):
        raise ValidationFailedError("缺少 item。")
    check = drafting.check_draft_data(data=item)
    return JsonResponse(
        {"errors": check.errors, "examples": [_example_json(example) for example in check.examples]}
    )


@require_POST
@login_required
@shows_application_errors
def editor_parse_yaml(request: HttpRequest) -> JsonResponse:
    """Read YAML typed in the page's YAML view with the import's safe reader, for the builder."""
    require_role(request.user, Role.POLICY_EDITOR)
    body = _json_body(request)
    text = body.get("yaml") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailedError("YAML 为空。", field="yaml")
    if len(text) > YAML_LIMIT:
        raise ValidationFailedError(f"YAML 过长（超过 {YAML_LIMIT} 个字符）。", field="yaml")
    with tempfile.TemporaryDirectory(prefix="huiqi-yaml-") as folder:
        path = Path(folder) / "item.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            raw_items = read_items(path, display="YAML")
        except ItemFileError as error:
            return JsonResponse({"syntax": [str(fault) for fault in error.faults]}, status=400)
    if len(raw_items) != 1 or not isinstance(raw_items[0].data, dict):
        return JsonResponse({"syntax": ["YAML 须为一个条目（映射），编辑器一次只编辑一个条目。"]}, status=400)
    data = jsonable(raw_items[0].data)
    check = drafting.check_draft_data(data=data)
    return JsonResponse(
        {
            "item": data,
            "errors": check.errors,
            "examples": [_example_json(example) for example in check.examples],
        }
    )


@require_GET
@login_required
@shows_application_errors
def editor_documents(request: HttpRequest) -> JsonResponse:
    documents = selectors_editor.find_documents(user=request.user, q=request.GET.get("q", ""))
    return JsonResponse(
        {
            "documents": [
                {
                    "id": document.pk,
                    "title": document.title,
                    "document_number": document.document_number,
                    "level": document.level,
                    "level_label": document.get_level_display(),
                    "region_code": document.region_code,
                    "department": document.issuing_department,
                }
                for document in documents
            ]
        }
    )
