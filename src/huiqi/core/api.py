"""Core API: the working-day calendar (工作日历). Thin views: parse, call workdays / a selector /
a service, render. Errors go through huiqi.core.api_errors (one format)."""

from __future__ import annotations

import datetime
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiqi.core import calendar_selectors, calendar_services, workdays
from huiqi.core.errors import ValidationFailedError

CALENDAR_TAG = "工作日历 calendar"

ApiErrorSerializer = inline_serializer(
    "CalendarApiError",
    fields={
        "error": inline_serializer(
            "CalendarApiErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
                "errors": serializers.ListField(child=serializers.DictField(), required=False),
            },
        )
    },
)


def _query_date(request: Request, name: str) -> datetime.date:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        raise ValidationFailedError(f"缺少参数 {name}（日期，YYYY-MM-DD）。", field=name)
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailedError(f"参数 {name} 的日期“{raw}”无效，应为 YYYY-MM-DD。", field=name) from exc


def _provisional_fields(result: workdays.WorkdayResult[Any]) -> dict[str, Any]:
    return {"is_provisional": result.is_provisional, "unscheduled_years": list(result.unscheduled_years)}


class WorkdaysAddOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    days = serializers.CharField(help_text="整数，或带半天（如 2.5）；负数表示向前倒数")
    result = serializers.CharField(help_text="YYYY-MM-DD；带半天时为上午下班时刻（ISO 8601 带时区）")
    deadline_at = serializers.DateTimeField(help_text="作为时间戳的期限：日期即当天下班时刻")
    is_provisional = serializers.BooleanField(help_text="涉及尚未录入节假日安排的年份（只扣除周末）")
    unscheduled_years = serializers.ListField(child=serializers.IntegerField())


class WorkdaysAddApi(APIView):
    """The date N working days after `date`, counting from the day after (自受理次日起计算)."""

    @extend_schema(
        tags=[CALENDAR_TAG],
        summary="加工作日 (add working days)",
        parameters=[
            OpenApiParameter("date", datetime.date, required=True, description="受理日期 YYYY-MM-DD"),
            OpenApiParameter("days", str, required=True, description="工作日数：整数或 0.5 的倍数"),
        ],
        responses={200: WorkdaysAddOutputSerializer, 400: ApiErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        start = _query_date(request, "date")
        days = request.query_params.get("days", "").strip()
        if not days:
            raise ValidationFailedError("缺少参数 days（工作日数）。", field="days")
        result = workdays.add_working_days(start, days)
        value = result.value
        return Response(
            {
                "date": start.isoformat(),
                "days": days,
                "result": value.isoformat(),
                "deadline_at": workdays.deadline_at(value).isoformat(),
                **_provisional_fields(result),
            }
        )


class WorkdaysBetweenOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    working_days = serializers.IntegerField()
    is_provisional = serializers.BooleanField()
    unscheduled_years = serializers.ListField(child=serializers.IntegerField())


class WorkdaysBetweenApi(APIView):
    """The number of working days after `start` up to and including `end`."""

    @extend_schema(
        tags=[CALENDAR_TAG],
        summary="两日之间的工作日数 (working days between)",
        parameters=[
            OpenApiParameter("start", datetime.date, required=True, description="开始日期（不计入）"),
            OpenApiParameter("end", datetime.date, required=True, description="结束日期（计入）"),
        ],
        responses={200: WorkdaysBetweenOutputSerializer, 400: ApiErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        start, end = _query_date(request, "start"), _query_date(request, "end")
        result = workdays.working_days_between(start, end)
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "working_days": result.value,
                **_provisional_fields(result),
            }
        )


class ScheduleDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")


class CalendarYearOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    is_scheduled = serializers.BooleanField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named "source"
    entered_by = serializers.CharField()
    entered_at = serializers.DateTimeField(allow_null=True)
    holidays = ScheduleDaySerializer(many=True)
    makeup_days = ScheduleDaySerializer(many=True)


class CalendarYearInputSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=100, help_text="通知文号或标题")  # type: ignore[assignment]
    holidays = ScheduleDaySerializer(many=True, help_text="放假日期（含放假期间的周末）")
    makeup_days = ScheduleDaySerializer(
        many=True, required=False, default=list, help_text="调休上班日（周末）"
    )


class CalendarYearDetailApi(APIView):
    """One year's holiday schedule: GET for any signed-in user; PUT (system administrators) enters or
    replaces it, as the State Council's notice says, and recomputes provisional deadlines."""

    def _render(self, year: int) -> Response:
        schedule = calendar_selectors.year_schedule(year=year)
        return Response(
            {
                "year": schedule.year,
                "is_scheduled": schedule.is_scheduled,
                "source": schedule.source,
                "entered_by": schedule.entered_by,
                "entered_at": schedule.entered_at.isoformat() if schedule.entered_at else None,
                "holidays": [{"date": d.day.isoformat(), "name": d.name} for d in schedule.holidays],
                "makeup_days": [{"date": d.day.isoformat(), "name": d.name} for d in schedule.makeup_days],
            }
        )

    @extend_schema(
        tags=[CALENDAR_TAG],
        summary="年度节假日安排 (a year's holiday schedule)",
        responses={200: CalendarYearOutputSerializer},
    )
    def get(self, request: Request, year: int) -> Response:
        return self._render(year)

    @extend_schema(
        tags=[CALENDAR_TAG],
        summary="录入年度节假日安排 (enter a year's schedule; system administrators)",
        request=CalendarYearInputSerializer,
        responses={
            200: CalendarYearOutputSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="校验失败：errors 逐项说明"),
            403: ApiErrorSerializer,
        },
    )
    def put(self, request: Request, year: int) -> Response:
        data = CalendarYearInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        calendar_services.enter_year_schedule(
            actor=request.user,
            year=year,
            source=data.validated_data["source"],
            holidays=[(d["date"], d["name"]) for d in data.validated_data["holidays"]],
            makeup_days=[(d["date"], d["name"]) for d in data.validated_data["makeup_days"]],
        )
        return self._render(year)
