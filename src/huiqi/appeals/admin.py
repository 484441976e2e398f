"""Admin of the appeals' reference data: the category tree and the time-limit rules (system
administrator, accounts.permissions.SystemAdminOnlyAdminMixin). Appeals and tickets change only
through the services, so they are not edited here."""

from django.contrib import admin

from huiqi.accounts.permissions import SystemAdminOnlyAdminMixin
from huiqi.appeals.models import Category, TimeLimitRule


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
