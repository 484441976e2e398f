from django.urls import path

from huiqi.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
]
