"""Tenants, their members, their filter rules and the intranet groups that grant membership."""
from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from ..forms import TenantFilterRuleForm
from ..models import IntranetGroupRule, Membership, Tenant, TenantFilterRule
from .gaps import GapReportMixin
from .widgets import SafeAutocomplete

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Counts(TypedDict):  # what TenantAdmin.get_queryset annotates
        member_count: int
        rule_count: int


class MembershipInline(SafeAutocomplete, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "is_active", "source"]
    readonly_fields = ["source"]
    autocomplete_fields = ["user"]


class TenantFilterRuleInline(SafeAutocomplete, admin.TabularInline):
    model = TenantFilterRule
    form = TenantFilterRuleForm
    extra = 0
    fields = ["param", "value_type", "value", "chart"]
    autocomplete_fields = ["chart"]


@admin.register(Tenant)
class TenantAdmin(GapReportMixin, admin.ModelAdmin):
    gap_side = "tenant"
    gap_warning = "Charts on dashboards this tenant sees that fail closed for it: {}"
    list_display = ["name", "slug", "is_active", "member_count", "rule_count", "rate_limit_rps", "missing_rules"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, TenantFilterRuleInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships", distinct=True), rule_count=Count("filter_rules", distinct=True))
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: WithAnnotations[Tenant, _Counts]) -> int:
        return obj.member_count

    @admin.display(description="rules", ordering="rule_count")
    def rule_count(self, obj: WithAnnotations[Tenant, _Counts]) -> int:
        return obj.rule_count

    @admin.display(description="charts failing closed")
    def missing_rules(self, obj: Tenant) -> str:
        return self.gap_names(obj)


@admin.register(Membership)
class MembershipAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "is_active", "source", "created_at"]
    list_filter = ["role", "is_active", "source", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__slug"]
    list_select_related = ["user", "tenant"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(IntranetGroupRule)
class IntranetGroupRuleAdmin(SafeAutocomplete, admin.ModelAdmin):
    """Which intranet groups (from single sign-on) give membership of which tenant."""

    list_display = ["group", "tenant", "role"]
    list_filter = ["role", "tenant"]
    search_fields = ["group", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


@admin.register(TenantFilterRule)
class TenantFilterRuleAdmin(SafeAutocomplete, admin.ModelAdmin):
    form = TenantFilterRuleForm
    list_display = ["param", "value", "value_type", "tenant", "scope"]
    list_filter = ["value_type", "tenant"]
    search_fields = ["param", "value", "tenant__name", "tenant__slug", "chart__title", "chart__pipe_name"]
    list_select_related = ["tenant", "chart"]
    autocomplete_fields = ["tenant", "chart"]

    @admin.display(description="applies to", ordering="chart__title")
    def scope(self, obj: TenantFilterRule) -> str:
        return f"chart {obj.chart}" if obj.chart_id else "every pipe"
