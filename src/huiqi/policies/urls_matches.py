"""URLs of the impact preview, the enterprise's matches and the match runs, included by policies/urls.py."""

from django.urls import path

from huiqi.policies import views_impact, views_matches

urlpatterns = [
    path("items/<str:code>/versions/<int:number>/impact/", views_impact.version_impact, name="impact"),
    path("mine/", views_matches.my_matches, name="my_matches"),
    path("enterprises/<str:uscc>/matches/", views_matches.enterprise_matches, name="enterprise_matches"),
    path("match-runs/", views_matches.match_run_list, name="match_runs"),
    path("match-runs/status/", views_matches.match_run_status, name="match_run_status"),
]
