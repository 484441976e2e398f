"""The appeals API (/api/v1/): registering appeals, reading appeals and tickets, every ticket action,
the category tree and the metrics, through the same services, selectors and permissions as the pages.

Decisions where the issue is silent:
* Another system (the city's 12345 platform) pushes appeals with a system account: a staff user of
  role `agent` in the 12345 hotline centre, named after the system (the demo's is "12345-platform"),
  created by the system administrator like any account and signed in with a token
  (POST /api/v1/auth/token/, then `Authorization: Token <key>`). Its pushes are audited under that
  account. A push with `external_id` is idempotent by (source_system, external_id); `source_system`
  defaults to the account's username, so each system has its own space of ids. The first push
  answers 201, a repeated one 200 with the appeal registered the first time.
* Ticket actions are POST /api/v1/tickets/<id>/<action>/, <action> being the TicketAction value
  (dispatch, accept, request_extension, record_follow_up, instruct ...), each with its own body
  (the fields of workflow.TRANSITIONS) and `expected_version`: a stale version, or an action the
  ticket's state no longer allows because someone acted first, answers 409 in the one error format
  (core.api_errors), and nothing is changed.
* Lists are paged (50, page_size up to 200) with the count capped at 10,000 (core.pagination).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.accounts.enums import Role
from huiqi.appeals import routing, selectors, services
from huiqi.appeals.enums import TicketAction, TicketState
from huiqi.appeals.models import Appeal, Ticket
from huiqi.appeals.serializers import (
    AppealFilterSerializer,
    AppealReceiptSerializer,
    AppealRegisterInputSerializer,
    AppealSerializer,
    CategoryTreeSerializer,
    MetricsSerializer,
    TicketDetailSerializer,
    TicketFilterSerializer,
    TicketSerializer,
    action_input_serializer,
)
from huiqi.appeals.workflow import ACTIONS, CLOCK_RUNNING_STATES
from huiqi.core.api_errors import ErrorResponseSerializer
from huiqi.core.errors import NotFoundError
from huiqi.core.pagination import CappedPaginator
from huiqi.enterprises import selectors as enterprise_selectors

TAG_APPEALS = ["企业诉求 appeals"]
TAG_TICKETS = ["工单 tickets"]
TAG_ACTIONS = ["工单操作 ticket actions"]
ERRORS = {
    400: ErrorResponseSerializer,
    401: ErrorResponseSerializer,
    403: ErrorResponseSerializer,
    404: ErrorResponseSerializer,
}
ACTION_ERRORS = {**ERRORS, 409: ErrorResponseSerializer}
#: Roles that see the routing rules' suggested route on a ticket (those who dispatch or redispatch).
ROUTE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


class AppealsPagination(PageNumberPagination):
    django_paginator_class = CappedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_is_capped"] = self.page.paginator.is_capped  # type: ignore[union-attr]
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "为 true 时 count 只是下限",
        }
        return result


def _validated(serializer: Any) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _page(view: APIView, request: Request, queryset: QuerySet[Any], serializer: Any) -> Response:
    paginator = AppealsPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context={"request": request}).data)


def _filter_appeals(queryset: QuerySet[Appeal], filters: dict[str, Any]) -> QuerySet[Appeal]:
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("state"):
        queryset = queryset.filter(ticket__state=filters["state"])
    if filters.get("category"):
        code = filters["category"]
        queryset = queryset.filter(Q(category__code=code) | Q(category__parent__code=code))
    if filters.get("registered_from"):
        queryset = queryset.filter(registered_at__date__gte=filters["registered_from"])
    if filters.get("registered_to"):
        queryset = queryset.filter(registered_at__date__lte=filters["registered_to"])
    if filters.get("enterprise_uscc"):
        queryset = queryset.filter(enterprise__uscc=filters["enterprise_uscc"].strip().upper())
    if filters.get("external_id"):
        queryset = queryset.filter(external_id=filters["external_id"])
    if filters.get("source_system"):
        queryset = queryset.filter(source_system=filters["source_system"])
    return queryset


class AppealListApi(APIView):
    """GET: the appeals the user may see. POST: register an appeal (any channel the role may use)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG_APPEALS,
        summary="诉求列表 (appeals the user may see)",
        parameters=[AppealFilterSerializer],
        responses={200: AppealSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(AppealFilterSerializer(data=request.query_params))
        queryset = _filter_appeals(selectors.appeals_visible_to(user=request.user), filters)
        queryset = queryset.select_related(
            "suggested_category", "merged_into", "similar_to", "ticket__lead_department"
        ).order_by("-registered_at", "-id")
        return _page(self, request, queryset, AppealSerializer)

    @extend_schema(
        tags=TAG_APPEALS,
        summary="登记诉求 (register an appeal; idempotent by source_system + external_id)",
        description=(
            "坐席、企业用户或外部系统（如 12345 平台的系统账号）登记诉求。带 external_id 的推送按"
            "（source_system, external_id）只登记一次：首次返回 201，重复推送返回 200 和首次登记的诉求。"
        ),
        request={
            "application/json": AppealRegisterInputSerializer,
            "multipart/form-data": AppealRegisterInputSerializer,
        },
        responses={201: AppealReceiptSerializer, 200: AppealReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        started = timezone.now()
        data = _validated(AppealRegisterInputSerializer(data=request.data))
        external_id = (data.get("external_id") or "").strip() or None
        source_system = (data.get("source_system") or "").strip()
        if external_id and not source_system:
            source_system = request.user.username[:40]
        uscc = (data.get("enterprise_uscc") or "").strip()
        appeal = services.register_appeal(
            actor=cast(Any, request.user),
            channel=data["channel"],
            kind=data["kind"],
            content=data["content"],
            title=data.get("title", ""),
            enterprise=_enterprise(request.user, uscc) if uscc else None,
            caller_name=data.get("caller_name", ""),
            caller_phone=data.get("caller_phone", ""),
            category=data.get("category") or None,
            priority=data.get("priority") or None,
            external_id=external_id,
            source_system=source_system or None,
            attachments=data.get("attachments") or (),
        )
        if appeal.registered_at < started:  # a repeated push: the appeal registered the first time
            appeal = selectors.get_appeal(user=request.user, number=appeal.number)  # only if visible
            return Response(appeal_receipt(appeal), status=status.HTTP_200_OK)
        return Response(appeal_receipt(appeal), status=status.HTTP_201_CREATED)


def _enterprise(user: Any, uscc: str) -> Any:
    """The enterprise of a USCC among those the user may read, in one query (the intake hot path)."""
    enterprise = enterprise_selectors.enterprise_for_appeal(user=user, uscc=uscc)
    if enterprise is None:
        code = enterprise_selectors.compact_code(uscc)
        raise NotFoundError(
            f"市场主体库中没有统一社会信用代码为 {code} 的企业（或您无权查看）。", field="enterprise_uscc"
        )
    return enterprise


def appeal_receipt(appeal: Appeal) -> dict[str, Any]:
    """The answer to a registration (AppealReceiptSerializer), built by hand: registration is the hot
    path of the 12345 push (benchmarks/README.md, "Appeal intake throughput") and a nested DRF
    serializer costs more than the rest of the view."""
    ticket = appeal.ticket
    enterprise = appeal.enterprise
    return {
        "number": appeal.number,
        "registered_at": _iso(appeal.registered_at),
        "channel": appeal.channel,
        "kind": appeal.kind,
        "priority": appeal.priority,
        "is_red_list": appeal.is_red_list,
        "enterprise": (
            {"uscc": enterprise.uscc, "name": enterprise.name, "red_list": enterprise.red_list}
            if enterprise is not None
            else None
        ),
        "category": appeal.category.code if appeal.category_id and appeal.category else None,
        "similar_to": appeal.similar_to.number if appeal.similar_to_id and appeal.similar_to else None,
        "source_system": appeal.source_system,
        "external_id": appeal.external_id,
        "ticket": {
            "id": ticket.pk,
            "state": ticket.state,
            "version": ticket.version,
            "deadline_at": _iso(ticket.deadline_at),
            "deadline_is_provisional": ticket.deadline_is_provisional,
        },
    }


def _iso(moment: Any) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


class AppealDetailApi(APIView):
    @extend_schema(
        tags=TAG_APPEALS,
        summary="诉求详情 (one appeal by its number)",
        responses={200: AppealSerializer, **ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        appeal = selectors.get_appeal(user=request.user, number=number)
        return Response(AppealSerializer(appeal, context={"request": request}).data)


def _ticket_queue(user: Any, filters: dict[str, Any]) -> QuerySet[Ticket]:
    queue = filters.get("queue")
    if queue == "dispatch":
        return selectors.dispatch_queue(user=user)
    if queue == "mayor_line":
        return selectors.mayor_line_queue(user=user)
    if queue == "department":
        return selectors.department_queue(user=user)
    if queue == "overdue":
        return selectors.tickets_overdue(user=user)
    if queue == "warning":
        return selectors.tickets_in_warning(user=user)
    return selectors.tickets_visible_to(user=user).order_by("-id")


class TicketListApi(APIView):
    @extend_schema(
        tags=TAG_TICKETS,
        summary="工单列表 (tickets the user may see, or one of the work queues)",
        parameters=[TicketFilterSerializer],
        responses={200: TicketSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(TicketFilterSerializer(data=request.query_params))
        queryset = _ticket_queue(request.user, filters)
        if filters.get("state"):
            queryset = queryset.filter(state=filters["state"])
        if filters.get("lead_department"):
            queryset = queryset.filter(lead_department_id=filters["lead_department"])
        if filters.get("is_overdue") is not None:
            overdue = Q(state__in=CLOCK_RUNNING_STATES, deadline_at__lt=timezone.now())
            queryset = queryset.filter(overdue) if filters["is_overdue"] else queryset.exclude(overdue)
        return _page(self, request, queryset, TicketSerializer)


def ticket_detail_response(request: Request, ticket: Ticket, *, status_code: int = 200) -> Response:
    """A ticket as its detail endpoint shows it (the action endpoints answer the same)."""
    ticket = selectors.get_ticket(user=request.user, ticket_id=ticket.pk)
    context: dict[str, Any] = {"request": request}
    if getattr(request.user, "role", None) in ROUTE_ROLES and ticket.state != TicketState.CLOSED:
        appeal = ticket.appeal
        context["route"] = routing.suggest_route(
            appeal=appeal, category=appeal.category or appeal.suggested_category
        )
    return Response(TicketDetailSerializer(ticket, context=context).data, status=status_code)


class TicketDetailApi(APIView):
    @extend_schema(
        tags=TAG_TICKETS,
        summary="工单详情 (a ticket: appeal, history, allowed actions, suggested route)",
        responses={200: TicketDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        return ticket_detail_response(request, selectors.get_ticket(user=request.user, ticket_id=ticket_id))


# --- ticket actions ------------------------------------------------------------------------------------


def _instruct(*, actor: Any, ticket: Ticket, expected_version: int, **fields: Any) -> Ticket:
    return services.record_leader_instruction(
        actor=actor, appeal=ticket.appeal, expected_version=expected_version, **fields
    )


A = TicketAction
SERVICES: dict[TicketAction, Any] = {
    A.INSTRUCT: _instruct,
    A.DISPATCH: services.dispatch_ticket,
    A.REDISPATCH: services.redispatch_ticket,
    A.ACCEPT: services.accept_ticket,
    A.RETURN: services.return_ticket,
    A.RECLASSIFY: services.reclassify_ticket,
    A.REQUEST_EXTENSION: services.request_extension,
    A.APPROVE_EXTENSION: services.approve_extension,
    A.REJECT_EXTENSION: services.reject_extension,
    A.PAUSE: services.pause_ticket,
    A.RESUME: services.resume_ticket,
    A.SUBMIT_REPLY: services.submit_reply,
    A.APPROVE_REPLY: services.approve_reply,
    A.SEND_BACK_REPLY: services.send_back_reply,
    A.RECORD_FOLLOW_UP: services.record_follow_up,
    A.REOPEN: services.reopen_ticket,
    A.CLOSE: services.close_ticket,
    A.DIRECT_REPLY: services.answer_directly,
    A.MERGE: services.merge_appeal,
}


class TicketActionApi(APIView):
    """Base of the per-action endpoints below: parse the action's body, call its service, answer with
    the updated ticket."""

    action_name: TicketAction
    input_serializer: Any
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = selectors.get_ticket(user=request.user, ticket_id=ticket_id)
        data = _validated(self.input_serializer(data=request.data))
        expected_version = data.pop("expected_version")
        fields = {key: value for key, value in data.items() if value not in (None, "")}
        updated = SERVICES[self.action_name](
            actor=request.user, ticket=ticket, expected_version=expected_version, **fields
        )
        return ticket_detail_response(request, updated)


def _camel(action: TicketAction) -> str:
    return "".join(part.capitalize() for part in action.value.split("_"))


def _action_view(action: TicketAction) -> type[TicketActionApi]:
    serializer = action_input_serializer(action)

    def post(self: TicketActionApi, request: Request, ticket_id: int) -> Response:
        return TicketActionApi.post(self, request, ticket_id)

    post = extend_schema(
        tags=TAG_ACTIONS,
        operation_id=f"tickets_{action.value}",
        summary=f"{action.label} ({action.value.replace('_', ' ')})",
        description=(
            f"对工单执行“{action.label}”。须提交 expected_version（您看到的工单版本）：他人已先操作时返回 409，"
            "本次操作不生效。成功时返回更新后的工单。"
        ),
        request={"application/json": serializer, "multipart/form-data": serializer},
        responses={200: TicketDetailSerializer, **ACTION_ERRORS},
    )(post)
    return type(
        f"Ticket{_camel(action)}Api",
        (TicketActionApi,),
        {
            "action_name": action,
            "input_serializer": serializer,
            "post": post,
            "__doc__": f"工单操作“{action.label}”（{action.value}）。",
            "__module__": __name__,
        },
    )


#: One endpoint class per action of the workflow table (TicketDispatchApi, TicketAcceptApi, ...).
ACTION_VIEWS: dict[TicketAction, type[TicketActionApi]] = {action: _action_view(action) for action in ACTIONS}
globals().update({view.__name__: view for view in ACTION_VIEWS.values()})


# --- reference data and metrics ------------------------------------------------------------------------


class CategoryListApi(APIView):
    @extend_schema(
        tags=TAG_APPEALS,
        summary="诉求分类树 (the two-level category tree)",
        parameters=[OpenApiParameter("include_inactive", bool, description="包括停用的分类")],
        responses={200: CategoryTreeSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        include_inactive = request.query_params.get("include_inactive", "").lower() in ("1", "true", "yes")
        tree = selectors.category_tree(include_inactive=include_inactive)
        data = [
            {"id": top.pk, "code": top.code, "name": top.name, "children": children} for top, children in tree
        ]
        return Response(CategoryTreeSerializer(data, many=True).data)


class AppealMetricsApi(APIView):
    @extend_schema(
        tags=TAG_APPEALS,
        summary="诉求统计 (the metrics of a period, as on the metrics page)",
        description=(
            "参数同统计页面：period（day/week/month/quarter/year/custom）、on、start、end、granularity、"
            "channel、kind、category、department。领导、督办员、派单员看全市，承办单位看本单位。"
        ),
        parameters=[
            OpenApiParameter("period", str, description="day / week / month / quarter / year / custom"),
            OpenApiParameter("on", str, description="期间内的某一天 YYYY-MM-DD（默认今天）"),
            OpenApiParameter("start", str, description="自定义区间开始 YYYY-MM-DD"),
            OpenApiParameter("end", str, description="自定义区间结束 YYYY-MM-DD"),
            OpenApiParameter("granularity", str, description="趋势粒度 day / week / month"),
            OpenApiParameter("channel", str),
            OpenApiParameter("kind", str),
            OpenApiParameter("category", int, description="分类 id"),
            OpenApiParameter("department", int, description="部门 id"),
        ],
        responses={200: MetricsSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        from huiqi.appeals.metrics import selectors as metrics_selectors

        query = metrics_selectors.parse_metrics_query(request.query_params)
        report = metrics_selectors.appeal_metrics(user=request.user, query=query)
        return Response(MetricsSerializer(report).data)
