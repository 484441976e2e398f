"""Admin of the appeals' reference data: the category tree, the time-limit rules, the routing rules and
the classifier versions (system administrator, accounts.permissions.SystemAdminOnlyAdminMixin).
Appeals and tickets change only through the services, so they are not edited here."""

from typing import Any

from django.contrib import admin, messages

from huiqi.accounts.permissions import SystemAdminOnlyAdminMixin
from huiqi.appeals import classification
from huiqi.appeals.models import Category, ClassifierVersion, RoutingRule, TimeLimitRule
from huiqi.core.errors import ApplicationError


@admin.register(Category)
class CategoryAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "parent", "is_active", "sort_order")
    list_filter = ("is_active", "parent")
    search_fields = ("code", "name")
    ordering = ("parent__code", "sort_order", "code")


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "name", "kind", "category", "priority", "limit_value", "unit", "is_active")
    list_display_links = ("name",)
    list_filter = ("is_active", "unit", "kind", "priority")
    ordering = ("order", "id")


@admin.register(RoutingRule)
class RoutingRuleAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    """派单规则: ordered, first match wins (appeals.routing); empty conditions match anything."""

    list_display = (
        "order",
        "name",
        "category",
        "region_prefix",
        "red_list",
        "size_class",
        "industry_prefix",
        "lead_department",
        "is_active",
    )
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "red_list", "size_class")
    search_fields = ("name", "category__name", "lead_department__name")
    autocomplete_fields = ("category",)
    filter_horizontal = ("assisting_departments",)
    ordering = ("order", "id")
    fieldsets = (
        (None, {"fields": ("name", "order", "is_active")}),
        (
            "条件（留空为不限）",
            {"fields": ("category", "region_prefix", "red_list", "size_class", "industry_prefix")},
        ),
        ("承办单位", {"fields": ("lead_department", "assisting_departments")}),
    )


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(SystemAdminOnlyAdminMixin, admin.ModelAdmin):
    """Trained classifier versions (`huiqi train_classifier`): read-only, except choosing the active one."""

    list_display = (
        "version",
        "trained_at",
        "source",
        "sample_count",
        "accuracy",
        "macro_f1",
        "top3_accuracy",
        "threshold",
        "is_active",
    )
    list_filter = ("is_active", "source")
    actions = ("activate",)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description="启用所选模型（只能选一个）")
    def activate(self, request: Any, queryset: Any) -> None:
        if queryset.count() != 1:
            self.message_user(request, "请只选择一个模型版本。", level=messages.WARNING)
            return
        try:
            version = classification.activate_classifier_version(actor=request.user, version=queryset.get())
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        self.message_user(request, f"已启用分类模型 {version.version}。")
