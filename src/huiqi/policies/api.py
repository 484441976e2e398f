"""The policies API (/api/v1/): the library, the version workflow, import and export, search,
matching and the impact preview, through the same selectors, services and permission checks as the
pages. Every error, from a serializer or a service, leaves in the one format of core.api_errors.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.errors import ValidationFailedError
from huiqi.enterprises import selectors as enterprise_selectors
from huiqi.policies import drafting, impact, match_runs, search, selectors_library, services
from huiqi.policies.enterprise_matches import matched_items_for
from huiqi.policies.item_file import dump_item
from huiqi.policies.models import PolicyItemVersion
from huiqi.policies.search_index import describe_rules
from huiqi.policies.serializers import (
    AsOfSerializer,
    EnterprisePolicyMatchesSerializer,
    ImpactPreviewSerializer,
    MatchRunInputSerializer,
    MatchRunSerializer,
    PolicyDocumentDetailSerializer,
    PolicyDocumentFilterSerializer,
    PolicyDocumentSerializer,
    PolicyImportInputSerializer,
    PolicyImportReportSerializer,
    PolicyItemDataSerializer,
    PolicyItemFilterSerializer,
    PolicyItemSerializer,
    PolicyItemVersionSerializer,
    PolicySearchFilterSerializer,
    PolicySearchResultSerializer,
    ReasonSerializer,
)
from huiqi.rules.errors import RuleValidationError

TAG_DOCUMENTS = ["政策文件 policy documents"]
TAG_ITEMS = ["政策条目 policy items"]
TAG_SEARCH = ["政策查询 policy search"]
TAG_MATCHING = ["政策匹配 policy matching"]
ERRORS = {
    400: ErrorResponseSerializer,
    401: ErrorResponseSerializer,
    403: ErrorResponseSerializer,
    404: ErrorResponseSerializer,
}
WRITE_ERRORS = {**ERRORS, 409: ErrorResponseSerializer}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
VERSION_PARAMETERS = [
    OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="条目编码"),
    OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="版本号"),
]
CODE_PARAMETER = [OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="条目编码")]


class LibraryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _validated(serializer: Any) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _version_response(
    request: Request, version: PolicyItemVersion, code: int = status.HTTP_200_OK
) -> Response:
    """The version as the requester now sees it (fresh history and allowed steps)."""
    fresh = selectors_library.get_item_version(
        user=request.user, code=version.item.code, number=version.number
    )
    return Response(PolicyItemVersionSerializer(fresh, context={"request": request}).data, status=code)


# ----------------------------------------------------------------------------------- documents
class PolicyDocumentListApi(APIView):
    pagination_class = LibraryPagination

    @extend_schema(
        tags=TAG_DOCUMENTS,
        summary="政策文件列表 (policy documents)",
        parameters=[PolicyDocumentFilterSerializer],
        responses={200: PolicyDocumentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(PolicyDocumentFilterSerializer(data=request.query_params))
        documents = selectors_library.documents_for(user=request.user, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(documents, request, view=self)
        return paginator.get_paginated_response(PolicyDocumentSerializer(page, many=True).data)


class PolicyDocumentDetailApi(APIView):
    @extend_schema(
        tags=TAG_DOCUMENTS,
        summary="政策文件详情及其奖补项目 (one document with its items)",
        responses={200: PolicyDocumentDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, document_id: int) -> Response:
        detail = selectors_library.document_detail(user=request.user, document_id=document_id)
        items = [
            {
                "version": entry.version,
                "is_effective": entry.is_effective,
                "is_open": entry.is_open,
                "rules_text": describe_rules(entry.version),
            }
            for entry in detail.items
        ]
        serializer = PolicyDocumentDetailSerializer(
            detail.document, context={"detail": detail, "items": items}
        )
        return Response(serializer.data)


# --------------------------------------------------------------------------------------- items
class PolicyItemListApi(APIView):
    """GET: items (with their versions the requester may see). POST: a new item as a draft."""

    pagination_class = LibraryPagination

    @extend_schema(
        tags=TAG_ITEMS,
        summary="政策条目列表 (policy items)",
        description="草稿与待审核版本只对政策编辑、政策审核可见；从未发布的条目对其他用户不存在。",
        parameters=[PolicyItemFilterSerializer],
        responses={200: PolicyItemSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(PolicyItemFilterSerializer(data=request.query_params))
        items = selectors_library.items_for(user=request.user, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(PolicyItemSerializer(page, many=True).data)

    @extend_schema(
        tags=TAG_ITEMS,
        summary="新建政策条目草稿 (create an item as a draft)",
        description="政策编辑。内容为政策条目文件格式（DATA-CONTRACT.md 第 2 节）；错误按路径列在 fields 中。",
        request=PolicyItemDataSerializer,
        responses={201: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _validated(PolicyItemDataSerializer(data=request.data))
        version = drafting.create_draft_item(actor=request.user, data=data)
        return _version_response(request, version, status.HTTP_201_CREATED)


class PolicyItemDetailApi(APIView):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="政策条目及其版本 (one item with its versions)",
        parameters=CODE_PARAMETER,
        responses={200: PolicyItemSerializer, **ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        item = selectors_library.get_item(user=request.user, code=code)
        return Response(PolicyItemSerializer(item).data)


class PolicyItemVersionListApi(APIView):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="新建版本草稿 (new draft version from the published one)",
        description="政策编辑。复制最新的已发布版本为新草稿；已有草稿或待审核版本时返回 409。",
        parameters=CODE_PARAMETER,
        request=None,
        responses={201: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        item = selectors_library.get_item(user=request.user, code=code)
        version = drafting.new_draft_from_published(actor=request.user, item=item)
        return _version_response(request, version, status.HTTP_201_CREATED)


class PolicyItemVersionDetailApi(APIView):
    """GET: one version with its rules and history. PATCH: change a draft."""

    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAG_ITEMS,
        summary="条目版本详情 (one version)",
        parameters=VERSION_PARAMETERS,
        responses={200: PolicyItemVersionSerializer, **ERRORS},
    )
    def get(self, request: Request, code: str, number: int) -> Response:
        version = selectors_library.get_item_version(user=request.user, code=code, number=number)
        return Response(PolicyItemVersionSerializer(version, context={"request": request}).data)

    @extend_schema(
        tags=TAG_ITEMS,
        summary="修改草稿 (update a draft)",
        description="政策编辑。只提交要修改的键（文件格式）；其余保持不变。只有草稿可以修改（否则 409）。",
        parameters=VERSION_PARAMETERS,
        request=PolicyItemDataSerializer,
        responses={200: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, code: str, number: int) -> Response:
        changes = _validated(PolicyItemDataSerializer(data=request.data, partial=True))
        version = selectors_library.get_item_version(user=request.user, code=code, number=number)
        data = {**_current_data(version), **changes}
        if not set(changes) & {"document_id", *drafting.DOCUMENT_KEYS}:
            data["document_id"] = version.document_id  # keep its document unless the change names one
        version = drafting.update_draft_version(actor=request.user, version=version, data=data)
        return _version_response(request, version)


def _current_data(version: PolicyItemVersion) -> dict[str, Any]:
    """The draft's content in the file format; empty if its stored rules no longer validate (then a
    PATCH must send them whole)."""
    try:
        return services.version_as_mapping(version)
    except RuleValidationError:
        return {}


class _StepApi(APIView):
    """One step of workflow.py on a version; the services check the status and the role."""

    def _version(self, request: Request, code: str, number: int) -> PolicyItemVersion:
        return selectors_library.get_item_version(user=request.user, code=code, number=number)


class PolicyItemVersionSubmitApi(_StepApi):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="提交审核 (submit a draft for review)",
        description="政策编辑。条件须有效、示例须全部通过，否则 400 并列出每处错误。",
        parameters=VERSION_PARAMETERS,
        request=None,
        responses={200: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str, number: int) -> Response:
        version = services.submit_for_review(actor=request.user, version=self._version(request, code, number))
        return _version_response(request, version)


class PolicyItemVersionReturnApi(_StepApi):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="退回修改 (return to the editor)",
        description="政策审核，须说明理由。",
        parameters=VERSION_PARAMETERS,
        request=ReasonSerializer,
        responses={200: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str, number: int) -> Response:
        reason = _validated(ReasonSerializer(data=request.data)).get("reason", "")
        version = services.return_to_editor(
            actor=request.user, version=self._version(request, code, number), reason=reason
        )
        return _version_response(request, version)


class PolicyItemVersionPublishApi(_StepApi):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="审核发布 (publish)",
        description="政策审核。发布前再次运行示例，任何一例不通过即拒绝。",
        parameters=VERSION_PARAMETERS,
        request=None,
        responses={200: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str, number: int) -> Response:
        version = services.publish_item_version(
            actor=request.user, version=self._version(request, code, number)
        )
        return _version_response(request, version)


class PolicyItemVersionRetireApi(_StepApi):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="废止 (retire a published version)",
        parameters=VERSION_PARAMETERS,
        request=ReasonSerializer,
        responses={200: PolicyItemVersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, code: str, number: int) -> Response:
        reason = _validated(ReasonSerializer(data=request.data)).get("reason", "")
        version = services.retire_item_version(
            actor=request.user, version=self._version(request, code, number), reason=reason
        )
        return _version_response(request, version)


# ------------------------------------------------------------------------------ import / export
class PolicyItemImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG_ITEMS,
        summary="导入政策条目 YAML (import item files)",
        description=(
            "与 `huiqi import_policies` 相同：每个条目单独校验，有效的导入，无效或示例不通过的拒绝并给出"
            "出错的文件与 YAML 路径。draft=true（政策编辑）作为草稿；draft=false（系统管理员）直接发布。"
        ),
        request={"multipart/form-data": PolicyImportInputSerializer},
        responses={200: PolicyImportReportSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _validated(PolicyImportInputSerializer(data=request.data))
        with tempfile.TemporaryDirectory(prefix="huiqi-policy-import-") as folder:
            names: dict[str, str] = {}
            paths = []
            for index, upload in enumerate(data["files"]):
                if upload.size > MAX_UPLOAD_BYTES:
                    raise ValidationFailedError(
                        f"文件 {upload.name} 超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。", field="files"
                    )
                name = Path(upload.name or f"file{index}.yaml").name
                target = Path(folder) / f"{index:03d}-{name}"
                with target.open("wb") as file:
                    for chunk in upload.chunks():
                        file.write(chunk)
                names[str(target)] = name
                paths.append(target)
            report = services.import_policy_items(paths=paths, actor=request.user, as_draft=data["draft"])

        def shown(text: str) -> str:
            for stored, name in names.items():
                text = text.replace(stored, name)
            return text

        body = {
            "files": [shown(file) for file in report.files],
            "accepted": [{**vars(item), "location": shown(item.location)} for item in report.imported],
            "rejected": [
                {
                    "location": shown(item.location),
                    "code": item.code,
                    "faults": [{"path": shown(f.path), "message": f.message} for f in item.faults],
                }
                for item in report.rejected
            ],
            "summary": report.summary(),
        }
        return Response(PolicyImportReportSerializer(body).data)


class PolicyItemExportApi(APIView):
    @extend_schema(
        tags=TAG_ITEMS,
        summary="导出政策条目 YAML (export an item)",
        description="最新的已发布版本，与 `huiqi export_policies` 写出的文件相同；?version=N 导出指定版本。",
        parameters=[
            *CODE_PARAMETER,
            OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False),
        ],
        responses={
            (200, "application/yaml"): OpenApiResponse(OpenApiTypes.STR, description="政策条目文件"),
            **ERRORS,
        },
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        number = request.query_params.get("version")
        if number:
            if not number.isdigit():
                raise ValidationFailedError("version 应为版本号（正整数）。", field="version")
            version = selectors_library.get_item_version(user=request.user, code=code, number=int(number))
        else:
            version = selectors_library.newest_published_version(user=request.user, code=code)
        label = version.get_status_display()
        text = dump_item(
            services.version_as_mapping(version),
            header=f"{version.item.code} 第 {version.number} 版（{label}）",
        )
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{version.item.code}.yaml"'
        return response


# -------------------------------------------------------------------------------------- search
class PolicySearchApi(APIView):
    @extend_schema(
        tags=TAG_SEARCH,
        summary="政策全文检索 (full-text search of documents and items)",
        description=(
            "jieba 分词、BM25 排序；筛选：层级、发文部门、区划（含下级）、主题、现行有效、正在申报、类型。"
            "无关键词时按发布日期列出。title_html / snippet_html 已做 HTML 转义，匹配处以 <mark> 标出。"
        ),
        parameters=[PolicySearchFilterSerializer],
        responses={200: PolicySearchResultSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(PolicySearchFilterSerializer(data=request.query_params))
        page, size = filters.pop("page"), filters.pop("page_size")
        results = search.search_policies(
            user=request.user, query=filters.pop("q", ""), offset=(page - 1) * size, limit=size, **filters
        )
        body = {**vars(results), "page": page}
        return Response(PolicySearchResultSerializer(body).data)


# ------------------------------------------------------------------------------------ matching
class EnterprisePolicyMatchesApi(APIView):
    """GET: what an enterprise can get (我能享受哪些政策). POST: recompute its stored results first."""

    @extend_schema(
        tags=TAG_MATCHING,
        summary="企业可享受的政策 (an enterprise's matches, explained)",
        description="企业用户只能查看本企业；工作人员按市场主体库的权限。",
        parameters=[AsOfSerializer],
        responses={200: EnterprisePolicyMatchesSerializer, **ERRORS},
    )
    def get(self, request: Request, uscc: str) -> Response:
        as_of = _validated(AsOfSerializer(data=request.query_params))["as_of"]
        enterprise = enterprise_selectors.get_enterprise(user=request.user, uscc=uscc)
        matches = matched_items_for(user=request.user, enterprise=enterprise, as_of=as_of)
        return Response(EnterprisePolicyMatchesSerializer(matches).data)

    @extend_schema(
        tags=TAG_MATCHING,
        summary="重新计算企业匹配结果 (recompute an enterprise's matches)",
        request=None,
        responses={200: EnterprisePolicyMatchesSerializer, **ERRORS},
    )
    def post(self, request: Request, uscc: str) -> Response:
        enterprise = enterprise_selectors.get_enterprise(user=request.user, uscc=uscc)
        match_runs.recompute_enterprise_matches(actor=request.user, enterprise=enterprise)
        matches = matched_items_for(user=request.user, enterprise=enterprise)
        return Response(EnterprisePolicyMatchesSerializer(matches).data)


class PolicyItemVersionImpactApi(APIView):
    @extend_schema(
        tags=TAG_MATCHING,
        summary="发布前影响评估 (impact preview of a version)",
        description="政策编辑、政策审核、领导。符合与需补充信息的企业数，按区县、行业、规模分布，预计金额与预算，"
        "以及与现行版本相比新增与失去资格的企业。",
        parameters=[*VERSION_PARAMETERS, AsOfSerializer],
        responses={200: ImpactPreviewSerializer, **ERRORS},
    )
    def get(self, request: Request, code: str, number: int) -> Response:
        as_of = _validated(AsOfSerializer(data=request.query_params))["as_of"]
        version = selectors_library.get_item_version(user=request.user, code=code, number=number)
        preview = impact.preview_impact(actor=request.user, version=version, as_of=as_of)
        return Response(ImpactPreviewSerializer(preview).data)


class PolicyMatchRunListApi(APIView):
    """GET: the newest all-against-all runs. POST: start one (in the background)."""

    @extend_schema(
        tags=TAG_MATCHING,
        summary="全量匹配任务列表 (match runs)",
        responses={200: MatchRunSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        runs = match_runs.match_runs_for(user=request.user)
        return Response(MatchRunSerializer(runs, many=True).data)

    @extend_schema(
        tags=TAG_MATCHING,
        summary="发起全量匹配 (start a match run)",
        description="政策审核、系统管理员。返回任务；轮询任务详情查看进度。已有全量任务在运行时返回 409。",
        request=MatchRunInputSerializer,
        responses={202: MatchRunSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _validated(MatchRunInputSerializer(data=request.data))
        run = match_runs.start_match_run(
            actor=request.user, as_of=data["as_of"], item_codes=data["item_codes"]
        )
        run.refresh_from_db()
        return Response(MatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PolicyMatchRunDetailApi(APIView):
    @extend_schema(
        tags=TAG_MATCHING,
        summary="匹配任务进度 (one match run)",
        responses={200: MatchRunSerializer, **ERRORS},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = match_runs.get_match_run(user=request.user, run_id=run_id)
        return Response(MatchRunSerializer(run).data)
