"""Tenants, their members, their filter rules and the intranet groups that grant membership.

A rule's value is checked against the built-in host's rows (``host_rows``) when it is saved and
when its tenant's or its own change form opens; those forms list the values the host holds. A
person and their memberships are added together on the user form (``PanesUserAdmin``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.messages.storage.base import BaseStorage
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from ..forms import TenantFilterRuleForm
from ..models import IntranetGroupRule, Membership, Tenant, TenantFilterRule, Workspace
from .gaps import GapReportMixin, object_id_of
from .host_rows import HostRows
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


class UserMembershipInline(SafeAutocomplete, admin.TabularInline):
    """A person's memberships on their own form, so a user and their tenant are added together."""

    model = Membership
    extra = 1
    fields = ["tenant", "role", "is_active", "source"]
    readonly_fields = ["source"]
    autocomplete_fields = ["tenant"]
    verbose_name = "membership"
    verbose_name_plural = "Tenants this person belongs to"


def builtin_params() -> list[str]:
    """The tenant params of the built-in workspaces, for the values a tenant form lists."""
    names: list[str] = []
    for workspace in Workspace.objects.filter(api_host=""):
        try:
            names.extend(workspace.tenant_param_names)
        except Exception:  # an invalid stored list: the workspace form refuses these
            continue
    return names


def tell_rule_checks(request: HttpRequest, rules: Iterable[TenantFilterRule], *, params: Iterable[str] = ()) -> None:
    """Warnings for rules that match no rows on the built-in host, and the values it holds."""
    host = HostRows(request)
    rules = list(rules)
    for warning in host.rule_warnings(rules):
        warn_once(request, warning)
    for note in host.value_notes([*(r.param for r in rules), *params]):
        messages.info(request, note)


def warn_once(request: HttpRequest, text: str) -> None:
    """A warning, unless it is already queued (a save's warning, then the form it leads back to)."""
    storage = messages.get_messages(request)
    queued = {str(m) for m in storage}
    if isinstance(storage, BaseStorage):
        storage.used = False  # reading them above must not drop them
    if text not in queued:
        messages.warning(request, text)


def rules_of(tenant_id: int) -> QuerySet[TenantFilterRule]:
    return TenantFilterRule.objects.filter(tenant_id=tenant_id).select_related("tenant", "chart__workspace")


class TenantFilterRuleInline(SafeAutocomplete, admin.TabularInline):
    model = TenantFilterRule
    form = TenantFilterRuleForm
    extra = 0
    fields = ["param", "value_type", "value", "chart"]
    autocomplete_fields = ["chart"]

    def get_extra(self, request: HttpRequest, obj: Tenant | None = None, **kwargs: object) -> int:
        # A new tenant sees nothing until it has a rule (fail closed): offer the first row.
        return 1 if obj is None else 0


@admin.register(Tenant)
class TenantAdmin(GapReportMixin, admin.ModelAdmin):
    gap_side = "tenant"
    gap_warning = gettext_noop("Charts on dashboards this tenant sees that fail closed for it: {}")
    list_display = ["name", "slug", "is_active", "time_zone", "member_count", "rule_count", "rate_limit_rps", "missing_rules"]
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

    @admin.display(description=gettext_lazy("members"), ordering="member_count")
    def member_count(self, obj: WithAnnotations[Tenant, _Counts]) -> int:
        return obj.member_count

    @admin.display(description=gettext_lazy("rules"), ordering="rule_count")
    def rule_count(self, obj: WithAnnotations[Tenant, _Counts]) -> int:
        return obj.rule_count

    @admin.display(description=gettext_lazy("charts failing closed"))
    def missing_rules(self, obj: Tenant) -> str:
        return self.gap_names(obj)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method == "GET":
            tell_rule_checks(request, [], params=builtin_params())
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        pk = object_id_of(object_id)
        if request.method == "GET" and pk is not None:
            tell_rule_checks(request, rules_of(pk), params=builtin_params())
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for warning in HostRows(request).rule_warnings(rules_of(form.instance.pk)):
            warn_once(request, warning)


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

    @admin.display(description=gettext_lazy("applies to"), ordering="chart__title")
    def scope(self, obj: TenantFilterRule) -> str:
        return _("chart %(chart)s") % {"chart": obj.chart} if obj.chart_id else _("every pipe")

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method == "GET":
            tell_rule_checks(request, [], params=builtin_params())
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        pk = object_id_of(object_id)
        if request.method == "GET" and pk is not None:
            tell_rule_checks(request, TenantFilterRule.objects.filter(pk=pk).select_related("tenant", "chart__workspace"))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: TenantFilterRule, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in HostRows(request).rule_warnings([obj]):
            warn_once(request, warning)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PanesUserAdmin(UserAdmin):
    """Django's user admin with the person's memberships inline: the add form takes the user
    name, the password twice and their tenants at once."""

    inlines = [UserMembershipInline]
