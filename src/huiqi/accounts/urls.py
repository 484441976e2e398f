from django.contrib.auth import views as auth_views
from django.urls import path

from huiqi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("external/", views.external_start, name="external_start"),
    path("external/callback/", views.external_callback, name="external_callback"),
    path("manage/", views.account_list, name="account_list"),
    path("manage/<int:pk>/unlock/", views.account_unlock, name="account_unlock"),
    path("manage/<int:pk>/reset-password/", views.account_reset_password, name="account_reset_password"),
]
