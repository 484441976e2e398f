"""URLs of the appeals API (api.py), included in /api/v1/ by huiqi/urls.py."""

from django.urls import path

from huiqi.appeals import api

urlpatterns = [
    path("appeals/", api.AppealListApi.as_view(), name="api-appeal-list"),
    path("appeals/<str:number>/", api.AppealDetailApi.as_view(), name="api-appeal-detail"),
    path("appeal-categories/", api.CategoryListApi.as_view(), name="api-appeal-category-list"),
    path("appeal-metrics/", api.AppealMetricsApi.as_view(), name="api-appeal-metrics"),
    path("tickets/", api.TicketListApi.as_view(), name="api-ticket-list"),
    path("tickets/<int:ticket_id>/", api.TicketDetailApi.as_view(), name="api-ticket-detail"),
    *(
        path(f"tickets/<int:ticket_id>/{action.value}/", view.as_view(), name=f"api-ticket-{action.value}")
        for action, view in api.ACTION_VIEWS.items()
    ),
]
