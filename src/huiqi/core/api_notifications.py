"""The signed-in user's inbox over the API: GET /api/v1/notifications/, POST .../<id>/read/."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.core import selectors
from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.models import Notification
from huiqi.core.notifications import services as notification_services

TAGS = ["消息 notifications"]


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event_key", "subject", "body", "link", "created_at", "read_at", "is_read"]

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class NotificationListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="我的站内消息",
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="true：只看未读"),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: NotificationSerializer(many=True), 401: ErrorResponseSerializer},
    )
    def get(self, request: Request) -> Response:
        unread_only = request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        notifications = selectors.inbox_for(user=request.user, unread_only=unread_only)
        paginator = NotificationPagination()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="把一条站内消息标为已读",
        request=None,
        responses={200: NotificationSerializer, 404: ErrorResponseSerializer},
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = notification_services.mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)
