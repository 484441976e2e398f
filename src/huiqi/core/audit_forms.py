"""The audit log's filter form, shared by the page and the API (same validation, same messages)."""

from __future__ import annotations

from typing import Any

from django import forms


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    action = forms.CharField(
        label="操作", required=False, max_length=60, help_text="前缀匹配，如 enterprise."
    )
    object_type = forms.CharField(label="对象类型", required=False, max_length=60)
    object_id = forms.CharField(label="对象标识", required=False, max_length=64)
    occurred_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", "截止日期不能早于起始日期。")
        return data

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (call after is_valid())."""
        return {
            name: self.cleaned_data.get(name) or ("" if name not in _DATES else None) for name in self.fields
        }

    def active_filters(self) -> dict[str, Any]:
        """Only the filters the user set, for the audit record of the search."""
        return {name: value for name, value in self.filters().items() if value not in ("", None)}


_DATES = {"occurred_from", "occurred_to"}
