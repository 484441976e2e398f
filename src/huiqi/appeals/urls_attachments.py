"""URL of attachment downloads (views_attachments.py), included by appeals/urls.py ("appeals" namespace)."""

from django.urls import path

from huiqi.appeals import views_attachments

urlpatterns = [
    path(
        "attachments/<int:attachment_id>/",
        views_attachments.download_attachment,
        name="attachment_download",
    ),
]
