"""The audit of minted tokens: visible to staff who may view it, changeable by nobody."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from ..models import TokenGrant
from .preview import pretty_json


@admin.register(TokenGrant)
class TokenGrantAdmin(admin.ModelAdmin):
    list_display = ["issued_at", "token_name", "user", "tenant", "workspace", "dashboard", "expires_at", "scope_count"]
    list_filter = ["tenant", "workspace", "issued_at"]
    search_fields = ["fingerprint", "user__username", "tenant__name", "tenant__slug", "dashboard__title"]
    list_select_related = ["user", "tenant", "workspace", "dashboard"]
    date_hierarchy = "issued_at"
    fields = (
        "id", "user", "tenant", "workspace", "dashboard", "issued_at", "expires_at", "fingerprint", "payload_json",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    @admin.display(description="token name")
    def token_name(self, obj: TokenGrant) -> str:
        return obj.payload.get("name", "?") if isinstance(obj.payload, dict) else "?"

    @admin.display(description="scopes")
    def scope_count(self, obj: TokenGrant) -> int:
        return len(obj.payload.get("scopes", [])) if isinstance(obj.payload, dict) else 0

    @admin.display(description="payload")
    def payload_json(self, obj: TokenGrant) -> str:
        return format_html("<pre>{}</pre>", pretty_json(obj.payload))
