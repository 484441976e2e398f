from django.urls import path, re_path

from huiqi.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("mine/", views.my_enterprises, name="mine"),
    path("export/", views.enterprise_export, name="export"),
    path("import/", views.enterprise_import, name="import"),
    path("import/<int:batch_id>/", views.import_batch, name="import_batch"),
    re_path(
        r"^import/(?P<batch_id>[0-9]+)/errors\.(?P<file_format>csv|xlsx)$",
        views.import_errors,
        name="import_errors",
    ),
    path("<str:uscc>/", views.enterprise_detail, name="detail"),
    path("<str:uscc>/edit/", views.enterprise_edit, name="edit"),
]
