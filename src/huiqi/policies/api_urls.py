"""URLs of the policies API (api.py), included in /api/v1/ by huiqi/urls.py."""

from django.urls import path

from huiqi.policies import api

VERSION = "policy-items/<str:code>/versions/<int:number>/"

urlpatterns = [
    path("policy-documents/", api.PolicyDocumentListApi.as_view(), name="api-policy-document-list"),
    path(
        "policy-documents/<int:document_id>/",
        api.PolicyDocumentDetailApi.as_view(),
        name="api-policy-document-detail",
    ),
    path("policy-items/", api.PolicyItemListApi.as_view(), name="api-policy-item-list"),
    path("policy-items/import/", api.PolicyItemImportApi.as_view(), name="api-policy-item-import"),
    path("policy-items/<str:code>/", api.PolicyItemDetailApi.as_view(), name="api-policy-item-detail"),
    path("policy-items/<str:code>/export/", api.PolicyItemExportApi.as_view(), name="api-policy-item-export"),
    path(
        "policy-items/<str:code>/versions/",
        api.PolicyItemVersionListApi.as_view(),
        name="api-policy-item-version-list",
    ),
    path(VERSION, api.PolicyItemVersionDetailApi.as_view(), name="api-policy-item-version-detail"),
    path(
        f"{VERSION}submit/", api.PolicyItemVersionSubmitApi.as_view(), name="api-policy-item-version-submit"
    ),
    path(
        f"{VERSION}return/", api.PolicyItemVersionReturnApi.as_view(), name="api-policy-item-version-return"
    ),
    path(
        f"{VERSION}publish/",
        api.PolicyItemVersionPublishApi.as_view(),
        name="api-policy-item-version-publish",
    ),
    path(
        f"{VERSION}retire/", api.PolicyItemVersionRetireApi.as_view(), name="api-policy-item-version-retire"
    ),
    path(
        f"{VERSION}impact/", api.PolicyItemVersionImpactApi.as_view(), name="api-policy-item-version-impact"
    ),
    path("policies/search/", api.PolicySearchApi.as_view(), name="api-policy-search"),
    path(
        "enterprises/<str:uscc>/policy-matches/",
        api.EnterprisePolicyMatchesApi.as_view(),
        name="api-enterprise-policy-matches",
    ),
    path("policy-match-runs/", api.PolicyMatchRunListApi.as_view(), name="api-policy-match-run-list"),
    path(
        "policy-match-runs/<int:run_id>/",
        api.PolicyMatchRunDetailApi.as_view(),
        name="api-policy-match-run-detail",
    ),
]
