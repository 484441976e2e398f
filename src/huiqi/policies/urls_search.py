"""URLs of policy search and the document page (views_search.py), included by policies/urls.py."""

from django.urls import path

from huiqi.policies import views_search

urlpatterns = [
    path("search/", views_search.policy_search, name="search"),
    path("documents/<int:document_id>/", views_search.document_detail, name="document"),
]
