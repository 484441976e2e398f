"""Django admin for departments and staff accounts: the system administrator's support tool.

Writes go through accounts.services (validation, 三权分立 checks, audit events), never straight to
the models; nothing is deleted (deactivate instead). Enterprise users are shown but not edited here.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from huiqi.accounts import services
from huiqi.accounts.enums import Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.accounts.permissions import SystemAdminOnlyAdminMixin
from huiqi.core.errors import ApplicationError


def _as_form_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, ValidationError(exc.message))


class DepartmentAdminForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "level", "parent", "region_code", "sort_order", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("level"):
            try:
                services.check_department_placement(level=data["level"], parent=data.get("parent"))
            except ApplicationError as exc:
                _as_form_error(self, exc)
        return data


@admin.register(Department)
class DepartmentAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    form = DepartmentAdminForm
    list_display = ["code", "name", "short_name", "level", "parent", "region_code", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent"]
    ordering = ["sort_order", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code", "level"] if obj else []

    def save_model(self, request: HttpRequest, obj: Department, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_department(
                actor=request.user,
                department=obj,
                name=data["name"],
                short_name=data.get("short_name", ""),
                parent=data.get("parent"),
                region_code=data.get("region_code", ""),
                is_active=data.get("is_active", True),
                sort_order=data.get("sort_order") or 0,
            )
        else:
            created = services.create_department(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent=data.get("parent"),
                region_code=data.get("region_code", ""),
                short_name=data.get("short_name", ""),
                sort_order=data.get("sort_order") or 0,
            )
            obj.pk = created.pk


STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r != Role.ENTERPRISE]


class UserAdminForm(forms.ModelForm):
    initial_password = forms.CharField(
        label="初始密码", strip=False, required=False, widget=forms.PasswordInput(render_value=False)
    )
    role = forms.ChoiceField(label="角色", choices=STAFF_ROLE_CHOICES)

    actor: Any = None

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "department", "phone", "email", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if data.get("role"):
                services.check_staff_assignment(role=data["role"], department=data.get("department"))
            if self.instance.pk:
                services.check_role_separation(
                    actor=self.actor, target=self.instance, new_role=data.get("role")
                )
            else:
                if not data.get("initial_password"):
                    raise services.PasswordInvalidError("请设置初始密码。", field="initial_password")
                probe = User(username=data.get("username", ""), full_name=data.get("full_name", ""))
                services.validate_new_password(data["initial_password"], user=probe, field="initial_password")
        except ApplicationError as exc:
            _as_form_error(self, exc)
        return data


class MembershipInline(admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    fields = ("enterprise", "capacity", "created_at")
    readonly_fields = ("enterprise", "capacity", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    form = UserAdminForm
    list_display = ["username", "full_name", "role", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department__level"]
    search_fields = ["username", "full_name", "phone"]
    autocomplete_fields = ["department"]
    ordering = ["username"]
    inlines = [MembershipInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ["username", "full_name", "role", "department", "phone", "email"]
        return (
            [*base, "is_active", "last_login", "password_changed_at"] if obj else [*base, "initial_password"]
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        if obj.role == Role.ENTERPRISE:
            return [*self.get_fields(request, obj)]
        return ["username", "last_login", "password_changed_at"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.role == Role.ENTERPRISE)

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_staff_user(
                actor=request.user,
                user=obj,
                role=data["role"],
                department=data.get("department"),
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
                is_active=data.get("is_active", True),
            )
        else:
            created = services.create_staff_user(
                actor=request.user,
                username=data["username"],
                password=data["initial_password"],
                role=data["role"],
                department=data.get("department"),
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
            obj.pk = created.pk
