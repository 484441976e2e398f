from django.urls import path

from huiqi.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
]

# Working-day calendar (工作日历), system administrators.
from huiqi.core import calendar_views  # noqa: E402

urlpatterns += [
    path("calendar/", calendar_views.calendar_page, name="calendar"),
]

# Audit log (审计日志, audit administrator) and inbox (消息, everyone).
from huiqi.core import audit_views, inbox_views  # noqa: E402

urlpatterns += [
    path("audit/", audit_views.audit_log, name="audit"),
    path("audit/export/", audit_views.audit_export, name="audit-export"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/read-all/", inbox_views.inbox_read_all, name="inbox-read-all"),
    path("inbox/<int:notification_id>/read/", inbox_views.inbox_read, name="inbox-read"),
]
