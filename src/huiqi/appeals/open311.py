"""A read and create surface compatible with Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2),
under /open311/v2/, for other systems that speak it: services are the appeal categories, requests
are appeals.

    GET  services.json               the active categories (public: the list is not confidential)
    GET  requests.json               appeals the caller may see; filters service_request_id,
                                     service_code, start_date, end_date, status (open / closed)
    GET  requests/<number>.json      one appeal
    POST requests.json               register an appeal; answers [{service_request_id, service_notice}]

Decisions where the standard or the issue is silent:
* JSON only; the XML format is not offered (a request for .xml answers 400 in the Open311 error
  format). Errors are Open311's own shape, [{"code": 400, "description": "..."}], because clients of
  this surface parse that, not the /api/v1/ error format.
* `api_key` is an API token of this platform (the same as `Authorization: Token <key>`, which is also
  accepted). Reading requests needs one too: appeals are enterprises' affairs, not public reports, and
  each caller sees what the appeals selectors let its account see.
* service_request_id is the appeal number (QY20261121-000123). status is "closed" for a closed
  ticket, else "open"; status_notes the ticket's state in Chinese; agency_responsible the lead
  department; expected_datetime the deadline while the ticket is open.
* Creating: description is the appeal's content (required), service_code its category. Optional
  attributes (attribute[code]=value): kind (consultation/help/complaint/suggestion/praise, default
  help), channel (default web), enterprise_uscc, external_id (idempotent, as in /api/v1/), title.
  first_name and last_name form the contact's name, phone its phone. There are no address fields on
  an appeal, so address_string and lat/long are appended to the content ("位置：...").
* Without start_date and end_date the list covers the last 90 days, at most 1,000 requests, newest
  first (the standard's defaults).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.urls import re_path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.accounts.authentication import ApiTokenAuthentication
from huiqi.appeals import selectors, services
from huiqi.appeals.enums import Channel, Kind, TicketState
from huiqi.appeals.models import Appeal
from huiqi.core.errors import ApplicationError
from huiqi.enterprises import selectors as enterprise_selectors

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
TAG = ["Open311 GeoReport v2"]


class ApiKeyAuthentication(ApiTokenAuthentication):
    """Open311's `api_key` (query string or form field) as this platform's API token."""

    keyword = "Token"

    def authenticate(self, request: Request) -> Any:
        key = request.query_params.get("api_key")
        if not key and request.method == "POST":
            try:
                key = request.data.get("api_key")
            except exceptions.ParseError:
                key = None
        if not key:
            return None
        return self.authenticate_credentials(str(key).strip())


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of `api_key` (else drf-spectacular takes it for the header token)."""

    target_class = "huiqi.appeals.open311.ApiKeyAuthentication"
    name = "open311ApiKey"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "query", "name": "api_key"}


def open311_error(code: int, description: str) -> Response:
    return Response([{"code": code, "description": description}], status=code)


class Open311Api(APIView):
    """Base: JSON only, api_key or token authentication, Open311's error shape."""

    renderer_classes = [JSONRenderer]
    authentication_classes = [ApiKeyAuthentication, ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApplicationError):
            field = f"（{exc.field}）" if exc.field else ""
            return open311_error(exc.status_code, f"{exc.message}{field}")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return open311_error(401, "需要有效的 api_key（本平台的接口令牌）。")
        if isinstance(exc, exceptions.PermissionDenied):
            return open311_error(403, "无权执行此操作。")
        if isinstance(exc, exceptions.APIException):
            return open311_error(exc.status_code, str(exc.detail))
        raise exc

    def check_format(self, fmt: str) -> Response | None:
        if fmt != "json":
            return open311_error(400, f"只支持 JSON 格式（.json），不支持 .{fmt}。")
        return None


def w3c(moment: dt.datetime | None) -> str | None:
    """A W3C (ISO 8601) date-time with the city's offset, as GeoReport v2 asks."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def service_of(category: Any) -> dict[str, Any]:
    parent = category.parent if category.parent_id else None
    keywords = [category.name] + ([parent.name] if parent is not None else [])
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{parent.name} / {category.name}" if parent is not None else category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": parent.name if parent is not None else category.name,
    }


def request_of(appeal: Appeal) -> dict[str, Any]:
    ticket = appeal.ticket
    is_closed = ticket.state == TicketState.CLOSED
    category = appeal.category
    return {
        "service_request_id": appeal.number,
        "status": "closed" if is_closed else "open",
        "status_notes": TicketState(ticket.state).label,
        "service_name": category.name if category is not None else None,
        "service_code": category.code if category is not None else None,
        "description": appeal.content,
        "agency_responsible": ticket.lead_department.name if ticket.lead_department is not None else None,
        "service_notice": None,
        "requested_datetime": w3c(appeal.registered_at),
        "updated_datetime": w3c(ticket.updated_at),
        "expected_datetime": None if is_closed else w3c(ticket.deadline_at),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


class ServiceListOpen311Api(Open311Api):
    """GET services.json: the active categories as Open311 services (first-level ones are groups)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(tags=TAG, summary="服务列表（诉求分类）(GeoReport v2 services)", responses={200: dict})
    def get(self, request: Request, fmt: str) -> Response:
        if (problem := self.check_format(fmt)) is not None:
            return problem
        return Response([service_of(c) for c in selectors.categories()])


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(value: str, name: str) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise exceptions.ValidationError(f"{name} 须为 W3C 日期时间，如 2026-11-21T08:00:00+08:00。")
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def filter_requests(queryset: QuerySet[Appeal], params: Any) -> QuerySet[Appeal]:
    """The standard's filters; service_request_id overrides the others, as the standard says."""
    numbers = _list(params.get("service_request_id"))
    if numbers:
        return queryset.filter(number__in=numbers)
    codes = _list(params.get("service_code"))
    if codes:
        queryset = queryset.filter(Q(category__code__in=codes) | Q(category__parent__code__in=codes))
    statuses = set(_list(params.get("status")))
    if statuses - {"open", "closed"}:
        raise exceptions.ValidationError("status 只能是 open 或 closed（可用逗号分隔）。")
    if statuses == {"open"}:
        queryset = queryset.exclude(ticket__state=TicketState.CLOSED)
    elif statuses == {"closed"}:
        queryset = queryset.filter(ticket__state=TicketState.CLOSED)
    start, end = params.get("start_date"), params.get("end_date")
    if start:
        queryset = queryset.filter(registered_at__gte=_moment(start, "start_date"))
    if end:
        queryset = queryset.filter(registered_at__lte=_moment(end, "end_date"))
    if not start and not end:
        queryset = queryset.filter(registered_at__gte=timezone.now() - dt.timedelta(days=DEFAULT_DAYS))
    return queryset


def _attributes(data: Any) -> dict[str, str]:
    """attribute[code]=value pairs of a form, or an "attribute" object of a JSON body."""
    found: dict[str, str] = {}
    nested = data.get("attribute") if hasattr(data, "get") else None
    if isinstance(nested, dict):
        found.update({str(k): str(v) for k, v in nested.items()})
    for key in data:
        if isinstance(key, str) and key.startswith("attribute[") and key.endswith("]"):
            found[key[len("attribute[") : -1]] = str(data.get(key))
    return found


def _location(data: Any) -> str:
    address = str(data.get("address_string") or "").strip()
    lat, lon = str(data.get("lat") or "").strip(), str(data.get("long") or "").strip()
    if lat or lon:
        try:
            latitude, longitude = Decimal(lat), Decimal(lon)
        except InvalidOperation:
            raise exceptions.ValidationError("lat 和 long 须为数字（WGS84 经纬度）。") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise exceptions.ValidationError("lat 须在 -90 到 90 之间，long 须在 -180 到 180 之间。")
        address = f"{address}（{lat}, {lon}）" if address else f"{lat}, {lon}"
    return address


class RequestListOpen311Api(Open311Api):
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @extend_schema(tags=TAG, summary="诉求列表 (GeoReport v2 GET requests)", responses={200: dict})
    def get(self, request: Request, fmt: str) -> Response:
        if (problem := self.check_format(fmt)) is not None:
            return problem
        queryset = filter_requests(selectors.appeals_visible_to(user=request.user), request.query_params)
        queryset = queryset.select_related("ticket__lead_department").order_by("-registered_at", "-id")
        return Response([request_of(a) for a in queryset[:MAX_REQUESTS]])

    @extend_schema(
        tags=TAG, summary="提交诉求 (GeoReport v2 POST requests)", request=dict, responses={201: dict}
    )
    def post(self, request: Request, fmt: str) -> Response:
        if (problem := self.check_format(fmt)) is not None:
            return problem
        data = request.data
        attributes = _attributes(data)
        service_code = str(data.get("service_code") or "").strip()
        if not service_code:
            return open311_error(400, "缺少 service_code（诉求分类编码，见 services.json）。")
        description = str(data.get("description") or "").strip()
        location = _location(data)
        if location:
            description = f"{description}\n位置：{location}" if description else ""
        name = "".join(str(data.get(k) or "").strip() for k in ("last_name", "first_name"))
        uscc = attributes.get("enterprise_uscc", "").strip()
        enterprise = enterprise_selectors.get_enterprise(user=request.user, uscc=uscc) if uscc else None
        external_id = attributes.get("external_id", "").strip() or None
        source_system = request.user.username[:40] if external_id else None
        if external_id and source_system:
            existing = selectors.find_appeal_by_external_id(
                source_system=source_system, external_id=external_id
            )
            if existing is not None:
                return Response(
                    [
                        {
                            "service_request_id": existing.number,
                            "service_notice": "该诉求此前已提交，未重复登记。",
                        }
                    ]
                )
        appeal = services.register_appeal(
            actor=cast(Any, request.user),
            channel=attributes.get("channel") or Channel.WEB,
            kind=attributes.get("kind") or Kind.HELP,
            content=description,
            title=attributes.get("title", ""),
            enterprise=enterprise,
            caller_name=name,
            caller_phone=str(data.get("phone") or "").strip(),
            category=service_code,
            external_id=external_id,
            source_system=source_system,
        )
        notice = f"诉求已受理，编号 {appeal.number}，办理期限 {timezone.localtime(appeal.ticket.deadline_at):%Y-%m-%d %H:%M}。"
        return Response(
            [{"service_request_id": appeal.number, "service_notice": notice}], status=status.HTTP_201_CREATED
        )


class RequestDetailOpen311Api(Open311Api):
    @extend_schema(tags=TAG, summary="诉求详情 (GeoReport v2 GET request)", responses={200: dict})
    def get(self, request: Request, number: str, fmt: str) -> Response:
        if (problem := self.check_format(fmt)) is not None:
            return problem
        appeal = selectors.get_appeal(user=request.user, number=number)
        return Response([request_of(appeal)])


urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", ServiceListOpen311Api.as_view(), name="open311-services"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", RequestListOpen311Api.as_view(), name="open311-requests"),
    re_path(
        r"^requests/(?P<number>[A-Za-z0-9-]+)\.(?P<fmt>[a-z]+)$",
        RequestDetailOpen311Api.as_view(),
        name="open311-request-detail",
    ),
]
