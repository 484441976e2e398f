"""GET /api/v1/audit-events/: the audit log for the audit administrator, with the page's filters.

Each call is itself audited as "audit.searched" (GB/T 22239-2019 8.1.5.2 a)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.core import audit, selectors
from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.audit_forms import AuditFilterForm
from huiqi.core.errors import ValidationFailedError
from huiqi.core.models import AuditEvent
from huiqi.core.pagination import CappedPaginator

TAGS = ["审计日志 audit"]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_id",
            "actor_name",
            "actor_role",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "source_ip",
            "source",
            "prev_hash",
            "hash",
        ]


class AuditPagination(PageNumberPagination):
    django_paginator_class = CappedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def parse_filters(params: Any) -> AuditFilterForm:
    form = AuditFilterForm(params)
    if not form.is_valid():
        name, messages = next(iter(form.errors.items()))
        raise ValidationFailedError(
            f"筛选条件 {name} 有误：{'；'.join(map(str, messages))}",
            field=name,
            extra={"errors": {field: [str(m) for m in msgs] for field, msgs in form.errors.items()}},
        )
    return form


class AuditEventListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="查询审计日志（仅审计管理员）",
        parameters=[
            OpenApiParameter("actor", OpenApiTypes.STR, description="操作人姓名（包含）或用户名"),
            OpenApiParameter("action", OpenApiTypes.STR, description="操作，前缀匹配，如 enterprise."),
            OpenApiParameter(
                "object_type", OpenApiTypes.STR, description="对象类型，如 enterprises.enterprise"
            ),
            OpenApiParameter("object_id", OpenApiTypes.STR, description="对象标识"),
            OpenApiParameter("occurred_from", OpenApiTypes.DATE, description="起始日期（含）"),
            OpenApiParameter("occurred_to", OpenApiTypes.DATE, description="截止日期（含）"),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: AuditEventSerializer(many=True),
            400: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        form = parse_filters(request.query_params)
        events = selectors.audit_events_for(user=request.user, **form.filters())
        paginator = AuditPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        audit.record_audit_log_access(
            user=request.user,
            action="audit.searched",
            details={"filters": form.active_filters(), "page": paginator.page.number, "via": "api"},  # type: ignore[union-attr]
        )
        return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)
