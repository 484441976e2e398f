from django.urls import path, re_path

from huiqi.enterprises import api

urlpatterns = [
    path("enterprises/", api.EnterpriseListApi.as_view(), name="api-enterprise-list"),
    path("enterprises/<str:uscc>/", api.EnterpriseDetailApi.as_view(), name="api-enterprise-detail"),
    path(
        "enterprises/<str:uscc>/history/",
        api.EnterpriseHistoryListApi.as_view(),
        name="api-enterprise-history",
    ),
    path("enterprise-imports/", api.EnterpriseImportListApi.as_view(), name="api-enterprise-import-list"),
    path(
        "enterprise-imports/<int:batch_id>/",
        api.EnterpriseImportDetailApi.as_view(),
        name="api-enterprise-import-detail",
    ),
    re_path(
        r"^enterprise-imports/(?P<batch_id>[0-9]+)/errors\.csv$",
        api.EnterpriseImportErrorsApi.as_view(),
        name="api-enterprise-import-errors",
    ),
]
