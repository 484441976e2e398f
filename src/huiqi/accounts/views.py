from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from huiqi.accounts import selectors, services
from huiqi.accounts.enums import Role
from huiqi.accounts.external_signin import ExternalSignInFailedError, get_provider
from huiqi.accounts.forms import PasswordChangeForm, PasswordResetForm
from huiqi.accounts.models import User
from huiqi.accounts.permissions import require_role
from huiqi.core.errors import ApplicationError, PermissionDeniedError


class SignInView(auth_views.LoginView):
    """Django's sign-in (password checked through django-axes), plus the external sign-in button."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["external_provider"] = get_provider()
        context["session_minutes"] = settings.SESSION_COOKIE_AGE // 60
        return context


def external_start(request: HttpRequest) -> HttpResponse:
    provider = get_provider()
    if provider is None:
        raise Http404("未启用统一身份认证登录。")
    return redirect(provider.authorization_url(request))


def external_callback(request: HttpRequest) -> HttpResponse:
    provider = get_provider()
    if provider is None:
        raise Http404("未启用统一身份认证登录。")
    try:
        user = provider.authenticate_callback(request)
        if user is None or not user.is_active:
            raise ExternalSignInFailedError("统一身份认证未能对应到本平台的有效账号，请联系系统管理员。")
    except ExternalSignInFailedError as exc:
        services.record_sign_in_failure(username="", failures=None, is_locked_out=False)
        messages.error(request, exc.message)
        return redirect("accounts:login")
    request.huiqi_sign_in_method = f"external:{provider.key or type(provider).__name__}"  # type: ignore[attr-defined]
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("core:home")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                user=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改。")
            return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    """The security administrator's page: accounts, who is locked out, unlock and reset password."""
    try:
        require_role(request.user, Role.SECURITY_ADMIN)
    except PermissionDeniedError as exc:
        return render(request, "accounts/forbidden.html", {"message": exc.message}, status=403)
    query = request.GET.get("q", "").strip()
    locked = set(selectors.locked_usernames())
    users = list(selectors.users_for_security_admin(query=query)[:200])
    return render(
        request,
        "accounts/account_list.html",
        {"users": users, "locked": locked, "query": query, "reset_form": PasswordResetForm()},
    )


@login_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    try:
        services.unlock_user(actor=request.user, user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已解锁账号“{user.username}”。")
    return redirect("accounts:account_list")


@login_required
@require_POST
def account_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = PasswordResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写新密码。")
        return redirect("accounts:account_list")
    try:
        services.reset_password(actor=request.user, user=user, new_password=form.cleaned_data["new_password"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重置账号“{user.username}”的密码，请通知本人登录后立即修改。")
    return redirect("accounts:account_list")
