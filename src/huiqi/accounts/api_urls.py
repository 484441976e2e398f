from django.urls import path

from huiqi.accounts import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-auth-token"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("departments/", api.DepartmentListApi.as_view(), name="api-departments"),
]
