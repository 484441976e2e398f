"""Accounts API: token sign-in, the signed-in user, the department list."""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.accounts import selectors, services
from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.lockout import LOCKED_STATUS, lockout_message
from huiqi.accounts.models import Department
from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.errors import ApplicationError, PermissionDeniedError, ValidationFailedError


class AccountLockedError(ApplicationError):
    status_code = LOCKED_STATUS
    code = "account_locked"


class SignInFailedError(ValidationFailedError):
    code = "sign_in_failed"


class TokenObtainApi(APIView):
    """Exchanges a username and password for an API token (`Authorization: Token <key>`).

    The password goes through the same django-axes lock-out as the sign-in page.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class TokenInputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        tags=["账号 accounts"],
        summary="获取接口令牌 (obtain an API token)",
        request=TokenInputSerializer,
        responses={200: TokenOutputSerializer, 400: ErrorResponseSerializer, 429: ErrorResponseSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes reads and marks the Django request, not DRF's wrapper.
        django_request = request._request
        user = authenticate(
            django_request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if getattr(django_request, "axes_locked_out", False):
            raise AccountLockedError(lockout_message())
        if user is None:
            raise SignInFailedError("用户名或密码错误。连续失败多次后账号将被临时锁定。")
        # A token sign-in is a sign-in: django-axes clears the failures (AXES_RESET_ON_SUCCESS),
        # last_login is updated and the audit log records it, as for the sign-in page.
        django_request.huiqi_sign_in_method = "api_token"  # type: ignore[attr-defined]
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token = services.issue_api_token(user=user)
        return Response({"token": token.key})


class DepartmentOutputSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, allow_null=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "level", "parent_id", "parent_code", "region_code"]


class MeApi(APIView):
    """The signed-in user: role, department, and the enterprises an enterprise user acts for."""

    class MeOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        full_name = serializers.CharField()
        role = serializers.CharField()
        role_label = serializers.CharField()
        department = DepartmentOutputSerializer(allow_null=True)
        enterprises = inline_serializer(
            "MeEnterprise",
            fields={
                "id": serializers.IntegerField(),
                "uscc": serializers.CharField(),
                "name": serializers.CharField(),
                "capacity": serializers.CharField(),
            },
            many=True,
        )

    @extend_schema(
        tags=["账号 accounts"], summary="当前用户 (the signed-in user)", responses={200: MeOutputSerializer}
    )
    def get(self, request: Request) -> Response:
        user = request.user
        enterprises = [
            {
                "id": m.enterprise.pk,
                "uscc": m.enterprise.uscc,
                "name": m.enterprise.name,
                "capacity": m.capacity,
            }
            for m in selectors.memberships_for(user)
        ]
        body = {
            "id": user.pk,
            "username": user.username,
            "full_name": user.full_name,  # type: ignore[union-attr]
            "role": user.role,  # type: ignore[union-attr]
            "role_label": user.get_role_display(),  # type: ignore[union-attr]
            "department": DepartmentOutputSerializer(user.department).data if user.department else None,  # type: ignore[union-attr]
            "enterprises": enterprises,
        }
        return Response(body)


class DepartmentListApi(ListAPIView):
    """Active departments (the organisation tree, flat; `parent_id` links it). Readable by every staff user."""

    serializer_class = DepartmentOutputSerializer

    @extend_schema(
        tags=["账号 accounts"],
        summary="部门列表 (departments)",
        parameters=[
            OpenApiParameter(
                "level",
                str,
                enum=DepartmentLevel.values,
                description="市级 city / 区县级 district / 镇街级 town",
            ),
            OpenApiParameter("parent", int, description="上级部门 id"),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        if self.request.user.role == Role.ENTERPRISE:  # type: ignore[union-attr]
            raise PermissionDeniedError("部门列表仅供工作人员查看。")
        level = self.request.query_params.get("level") or None
        if level and level not in DepartmentLevel.values:
            raise ValidationFailedError(f"层级“{level}”无效，应为 city、district 或 town。", field="level")
        parent = self.request.query_params.get("parent")
        parent_id: int | None = None
        if parent:
            try:
                parent_id = int(parent)
            except ValueError as exc:
                raise ValidationFailedError(f"上级部门“{parent}”应为整数 id。", field="parent") from exc
        return selectors.department_list(level=level, parent_id=parent_id)
