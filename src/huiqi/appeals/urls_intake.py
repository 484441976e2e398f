"""URLs of the intake pages (views_intake.py), included by appeals/urls.py under the "appeals" namespace."""

from django.urls import path

from huiqi.appeals import views_intake

urlpatterns = [
    path("hotline/", views_intake.hotline, name="hotline"),
    path("hotline/caller/", views_intake.hotline_caller, name="hotline_caller"),
    path("hotline/enterprises/", views_intake.hotline_enterprises, name="hotline_enterprises"),
    path("hotline/enterprise/", views_intake.hotline_enterprise, name="hotline_enterprise"),
    path("hotline/replies/", views_intake.hotline_replies, name="hotline_replies"),
    path("mine/", views_intake.my_appeals, name="my_appeals"),
    path("mine/<str:number>/", views_intake.my_appeal, name="my_appeal"),
    path("new/", views_intake.new_appeal, name="new_appeal"),
    path("mayor-line/", views_intake.mayor_line_queue, name="mayor_line"),
    path("mayor-line/new/", views_intake.mayor_line_new, name="mayor_line_new"),
    path(
        "mayor-line/<int:ticket_id>/instruct/", views_intake.mayor_line_instruct, name="mayor_line_instruct"
    ),
]
