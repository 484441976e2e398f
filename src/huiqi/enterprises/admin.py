"""Django admin for support: read-only views of the registry, its history and the import batches.

Changes go through the registry pages, the API or an import, never through the admin: those paths
call the services, which record the profile history and the audit event that an admin save would skip.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "region_code", "industry_code", "size_class", "red_list", "status"]
    list_filter = ["status", "size_class", "red_list", "ownership"]
    search_fields = ["uscc", "name"]
    show_full_result_count = False  # no COUNT(*) over the whole registry on every page


@admin.register(ProfileChange)
class ProfileChangeAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "field", "old_value", "new_value", "source", "changed_by", "changed_at"]
    list_filter = ["source", "field"]
    search_fields = ["enterprise__uscc", "enterprise__name"]
    raw_id_fields = ["enterprise", "batch", "changed_by"]
    show_full_result_count = False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "file_name",
        "status",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "started_by",
        "created_at",
    ]
    list_filter = ["status", "is_dry_run"]
    exclude = ["errors"]
