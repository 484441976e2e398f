"""The working-day calendar page (工作日历) for system administrators: a year's month grids, the form
to enter a year's State Council schedule, and the form to change one day."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from huiqi.core import calendar_selectors, calendar_services
from huiqi.core.calendar_forms import DayForm, YearScheduleForm, format_schedule_lines
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError


def _year_from(request: HttpRequest) -> int:
    raw = request.POST.get("year") or request.GET.get("year") or ""
    try:
        year = int(raw)
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _forbidden(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
    return render(request, "accounts/forbidden.html", {"message": exc.message}, status=403)


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    year = _year_from(request)
    try:
        view = calendar_selectors.calendar_year_view(actor=request.user, year=year)
    except PermissionDeniedError as exc:
        return _forbidden(request, exc)

    schedule = view.schedule
    schedule_form = YearScheduleForm(
        initial={
            "year": year,
            "source": schedule.source,
            "holidays": format_schedule_lines(schedule.holidays),
            "makeup_days": format_schedule_lines(schedule.makeup_days),
        }
    )
    day_form = DayForm(prefix="day")
    active = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "enter_year":
                active = "schedule"
                schedule_form = YearScheduleForm(request.POST)
                if schedule_form.is_valid():
                    arguments = schedule_form.service_arguments()
                    try:
                        calendar_services.enter_year_schedule(actor=request.user, **arguments)
                    except ValidationFailedError as exc:
                        schedule_form.add_service_errors(exc)
                    else:
                        messages.success(
                            request,
                            f"已录入 {arguments['year']} 年节假日安排：放假 {len(arguments['holidays'])} 天，"
                            f"调休上班 {len(arguments['makeup_days'])} 天；临时期限已重算。",
                        )
                        return redirect(f"{reverse('core:calendar')}?year={arguments['year']}")
            elif action == "set_day":
                active = "day"
                day_form = DayForm(request.POST, prefix="day")
                if day_form.is_valid():
                    day = day_form.cleaned_data["day"]
                    try:
                        calendar_services.set_day(
                            actor=request.user,
                            day=day,
                            is_working_day=day_form.cleaned_data["is_working_day"],
                            name=day_form.cleaned_data["name"],
                        )
                    except ValidationFailedError as exc:
                        day_form.add_error(exc.field if exc.field in day_form.fields else None, exc.message)
                    else:
                        messages.success(request, f"已修改 {day.isoformat()}。")
                        return redirect(f"{reverse('core:calendar')}?year={day.year}")
        except PermissionDeniedError as exc:
            return _forbidden(request, exc)

    return render(
        request,
        "core/calendar.html",
        {
            "view": view,
            "year": year,
            "schedule_form": schedule_form,
            "day_form": day_form,
            "active_form": active,
            "is_provisional": not schedule.is_scheduled,
            "years_nav": [year - 1, year, year + 1],
        },
    )
