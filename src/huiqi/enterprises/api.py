"""The registry API (/api/v1/): the same selectors, services and permissions as the pages.

Every error, from a serializer or a service, leaves in the one format of core.api_errors.
"""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.pagination import CappedPaginator
from huiqi.enterprises import selectors, services
from huiqi.enterprises.enums import ChangeSource
from huiqi.enterprises.serializers import (
    EnterpriseDetailOutputSerializer,
    EnterpriseFilterSerializer,
    EnterpriseInputSerializer,
    EnterpriseOutputSerializer,
    EnterpriseUpdateSerializer,
    HistoryEntrySerializer,
    ImportBatchSerializer,
    ImportInputSerializer,
)

TAG_REGISTRY = ["市场主体库 enterprises"]
TAG_IMPORTS = ["企业导入 enterprise imports"]
ERRORS = {
    400: ErrorResponseSerializer,
    401: ErrorResponseSerializer,
    403: ErrorResponseSerializer,
    404: ErrorResponseSerializer,
}


class RegistryPagination(PageNumberPagination):
    """Page numbers, with the count capped (core.pagination): `count_is_capped` says there are more."""

    django_paginator_class = CappedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_is_capped"] = self.page.paginator.is_capped  # type: ignore[union-attr]
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "为 true 时 count 只是下限：匹配的企业更多，请缩小筛选范围",
        }
        return result


class HistoryPagination(PageNumberPagination):
    page_size = 100


def _validated(serializer: Any) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _profile_data(data: dict[str, Any]) -> dict[str, Any]:
    """API input to the services' field values: tags as the ";"-joined text the model stores."""
    if "tags" in data:
        data["tags"] = ";".join(t.strip() for t in data["tags"] or [] if t and t.strip())
    return data


class EnterpriseListApi(APIView):
    """GET: the registry, filtered and paged. POST: register a new enterprise (system administrator)."""

    pagination_class = RegistryPagination

    @extend_schema(
        tags=TAG_REGISTRY,
        summary="查询市场主体库 (search the registry)",
        parameters=[EnterpriseFilterSerializer],
        responses={200: EnterpriseOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = EnterpriseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.search_enterprises(user=request.user, **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = EnterpriseOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAG_REGISTRY,
        summary="新增企业 (register an enterprise)",
        request=EnterpriseInputSerializer,
        responses={201: EnterpriseDetailOutputSerializer, **ERRORS, 409: ErrorResponseSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _profile_data(_validated(EnterpriseInputSerializer(data=request.data)))
        enterprise = services.create_enterprise(actor=request.user, data=data, source=ChangeSource.API)
        detail = selectors.describe_enterprise(user=request.user, enterprise=enterprise)
        output = EnterpriseDetailOutputSerializer(enterprise, context={"request": request, "detail": detail})
        return Response(output.data, status=status.HTTP_201_CREATED)


class EnterpriseDetailApi(APIView):
    """GET: one enterprise with its derived facts. PATCH: change fields (recorded in its history)."""

    @extend_schema(
        tags=TAG_REGISTRY,
        summary="企业详情 (one enterprise)",
        responses={200: EnterpriseDetailOutputSerializer, **ERRORS},
    )
    def get(self, request: Request, uscc: str) -> Response:
        detail = selectors.enterprise_detail(user=request.user, uscc=uscc)
        output = EnterpriseDetailOutputSerializer(
            detail.enterprise, context={"request": request, "detail": detail}
        )
        return Response(output.data)

    @extend_schema(
        tags=TAG_REGISTRY,
        summary="修改企业信息 (update an enterprise)",
        description="只提交要修改的字段；每项修改记入变更记录，来源为“接口”。",
        request=EnterpriseUpdateSerializer,
        responses={200: EnterpriseDetailOutputSerializer, **ERRORS, 409: ErrorResponseSerializer},
    )
    def patch(self, request: Request, uscc: str) -> Response:
        enterprise = selectors.get_enterprise(user=request.user, uscc=uscc)
        if not selectors.can_edit_registry(request.user):
            raise PermissionDeniedError("只有系统管理员可以修改企业信息。")
        changes = _profile_data(_validated(EnterpriseUpdateSerializer(data=request.data)))
        enterprise = services.update_enterprise_profile(
            enterprise=enterprise, actor=request.user, changes=changes, source=ChangeSource.API
        )
        detail = selectors.describe_enterprise(user=request.user, enterprise=enterprise)
        output = EnterpriseDetailOutputSerializer(
            detail.enterprise, context={"request": request, "detail": detail}
        )
        return Response(output.data)


class EnterpriseHistoryListApi(APIView):
    """The enterprise's profile changes, newest first."""

    pagination_class = HistoryPagination

    @extend_schema(
        tags=TAG_REGISTRY,
        summary="企业变更记录 (profile history)",
        responses={200: HistoryEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, uscc: str) -> Response:
        enterprise = selectors.get_enterprise(user=request.user, uscc=uscc)
        entries = selectors.enterprise_history(user=request.user, enterprise=enterprise)
        paginator = self.pagination_class()
        page: Any = paginator.paginate_queryset(entries, request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(HistoryEntrySerializer(page, many=True).data)


class EnterpriseImportListApi(APIView):
    """GET: past import batches. POST: upload a CSV or XLSX file; the import runs in the background."""

    parser_classes = [MultiPartParser, FormParser]
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=TAG_IMPORTS,
        summary="导入批次列表 (import batches)",
        responses={200: ImportBatchSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        batches = selectors.import_batches_for(user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(batches, request, view=self)
        return paginator.get_paginated_response(ImportBatchSerializer(page, many=True).data)

    @extend_schema(
        tags=TAG_IMPORTS,
        summary="上传企业数据文件 (start an import)",
        description="返回批次；轮询批次详情查看进度与被拒绝的行。",
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ImportBatchSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        if not selectors.can_import_enterprises(request.user):
            raise PermissionDeniedError("只有系统管理员可以导入企业数据。")
        data = _validated(ImportInputSerializer(data=request.data))
        batch = services.start_import_batch(
            uploaded_file=data["file"], actor=request.user, dry_run=data["dry_run"], atomic=data["atomic"]
        )
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class EnterpriseImportDetailApi(APIView):
    @extend_schema(
        tags=TAG_IMPORTS,
        summary="导入批次进度与错误 (import progress and rejected rows)",
        responses={200: ImportBatchSerializer, **ERRORS},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        batch = selectors.get_import_batch(user=request.user, batch_id=batch_id)
        return Response(ImportBatchSerializer(batch).data)


class EnterpriseImportErrorsApi(APIView):
    @extend_schema(
        tags=TAG_IMPORTS,
        summary="下载错误报告 CSV (rejected rows as CSV)",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="行号、列、原因及原行内容"),
            **ERRORS,
        },
    )
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        batch = selectors.get_import_batch(user=request.user, batch_id=batch_id)
        content = services.error_report(batch=batch, file_format="csv")
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
        return response
