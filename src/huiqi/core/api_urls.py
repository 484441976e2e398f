from django.urls import path

urlpatterns: list = []

# Audit log and inbox.
from huiqi.core import api_audit, api_notifications  # noqa: E402

urlpatterns += [
    path("audit-events/", api_audit.AuditEventListApi.as_view(), name="api-audit-events"),
    path("notifications/", api_notifications.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        api_notifications.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
]

# Working-day calendar (工作日历).
from huiqi.core import api  # noqa: E402

urlpatterns += [
    path("calendar/workdays/add", api.WorkdaysAddApi.as_view(), name="api-calendar-workdays-add"),
    path("calendar/workdays/between", api.WorkdaysBetweenApi.as_view(), name="api-calendar-workdays-between"),
    path("calendar/years/<int:year>/", api.CalendarYearDetailApi.as_view(), name="api-calendar-year"),
]
