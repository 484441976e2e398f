"""Pages of the appeals app (namespace "appeals")."""

from django.urls import path

from huiqi.appeals import urls_attachments, urls_intake, urls_tickets
from huiqi.appeals.metrics import views as metrics_views

app_name = "appeals"

urlpatterns = [
    path("metrics/", metrics_views.metrics_page, name="metrics"),
    path("metrics/export.xlsx", metrics_views.metrics_export, name="metrics_export"),
    *urls_intake.urlpatterns,
    *urls_tickets.urlpatterns,
    *urls_attachments.urlpatterns,
]
