"""One error format for every API error:

{"error": {"code": "validation_failed", "message": "...", "fields": {"uscc": ["..."]}, ...}}
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from huiqi.core.errors import ApplicationError


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({k: v for k, v in details.items() if v not in (None, {}, [])})
    return {"error": body}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        extra = dict(exc.extra)
        fields: dict[str, Any] | None = {exc.field: [exc.message]} if exc.field else None
        if isinstance(extra.get("errors"), dict):
            # A service that names every faulty field ({field: [reason]}) gives the same `fields` as a
            # serializer would.
            fields = {
                name: list(r) if isinstance(r, list | tuple) else [r]
                for name, r in extra.pop("errors").items()
            }
        return Response(error_body(exc.code, exc.message, fields=fields, **extra), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("validation_failed", "提交的数据有误，请检查各字段。", fields=fields)
    elif isinstance(exc, exceptions.ParseError):
        # DRF's parse errors are English whatever the language ("JSON parse error - ..."); the reason
        # stays in `detail` for the developer of the client.
        response.data = error_body(
            "parse_error",
            "请求内容无法解析（不是有效的 JSON 或表单格式），未作任何修改。",
            detail=str(exc.detail),
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, str(exc.detail))
    else:  # pragma: no cover - DRF only handles APIException subclasses
        response.data = error_body("error", "请求失败", status=status.HTTP_400_BAD_REQUEST)
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="机器可读的错误代码，如 validation_failed、not_found")
    message = serializers.CharField(help_text="给人看的中文说明")
    # DRF pops declared fields off the class, so this does not shadow Serializer.fields at run time.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="各字段的错误"
    )


class ErrorResponseSerializer(serializers.Serializer):
    """The error format above, for OpenAPI: `responses={400: ErrorResponseSerializer, ...}`."""

    error = ErrorDetailSerializer()
