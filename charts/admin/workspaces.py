"""Workspaces: where charts live and which variable holds each one's signing key.

The API host and the signing-key variable decide where Panes sends a workspace's admin token and
every viewer's token, so they are changed only by superusers or holders of
``charts.change_workspace_routing``, only to values the operator allowed in the environment
(``charts.routing``), and every change is written to the admin history with old and new values.
Everyone else sees them read-only; a workspace they add points at Panes' built-in host with its
variable (the model's defaults).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import checks, routing
from ..models import Workspace

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _ChartCount(TypedDict):  # what WorkspaceAdmin.get_queryset annotates
        chart_count: int

ROUTING_FIELDS = ("api_host", "signing_key_env")
ROUTING_PERMISSION = "charts.change_workspace_routing"
ROUTING_LABELS = {"api_host": "API host", "signing_key_env": "signing key variable"}
BUILTIN = "Panes built-in"


class WorkspaceAdminForm(forms.ModelForm):
    """The admin builds the fields (without the routing ones for those who may not change them)."""

    def clean_api_host(self) -> str:
        value = self.cleaned_data.get("api_host") or ""
        if not value:
            return ""
        if (problem := routing.api_host_problem(value)) is not None:
            allowed = ", ".join(routing.allowed_api_hosts()) or "none"
            raise forms.ValidationError(
                f"{problem} Allowed: blank (Panes' built-in host) or {allowed}. The operator adds hosts to "
                "PANES_ALLOWED_API_HOSTS in the environment."
            )
        return routing.normalise_origin(value)  # stored as the origin it is compared as

    def clean_signing_key_env(self) -> str:
        value = (self.cleaned_data.get("signing_key_env") or "").strip()
        if (problem := routing.variable_problem(value)) is not None:
            allowed = ", ".join(routing.allowed_variables()) or "none"
            raise forms.ValidationError(
                f"{problem} Allowed: {allowed}. The operator adds variables to PANES_SIGNING_KEY_VARIABLES "
                "in the environment."
            )
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean returns self.cleaned_data
        cleaned = self.cleaned_data
        api_host = cleaned.get("api_host", self.instance.api_host)
        variable = cleaned.get("signing_key_env", self.instance.signing_key_env)
        if api_host is not None and variable and (problem := routing.pairing_problem(api_host, variable)):
            field = "signing_key_env" if "signing_key_env" in self.fields else None
            self.add_error(field, problem)
        return cleaned


def can_change_routing(request: HttpRequest) -> bool:
    return request.user.has_perm(ROUTING_PERMISSION)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    form = WorkspaceAdminForm
    list_display = ["name", "workspace_id", "host", "signing_key_env", "signing_key", "chart_count"]
    search_fields = ["name", "workspace_id", "signing_key_env"]
    readonly_fields = ["signing_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["name", "workspace_id", "api_host", "signing_key_env", "signing_key", "default_tenant_params"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(chart_count=Count("charts"))

    def get_readonly_fields(self, request: HttpRequest, obj: Workspace | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not can_change_routing(request):
            # Not in the form at all: a POSTed value is ignored, and a new workspace keeps the
            # model's defaults (the built-in host and its variable).
            fields = [*ROUTING_FIELDS, *fields]
        return fields

    def construct_change_message(self, request: HttpRequest, form, formsets, add: bool = False) -> list[dict]:
        """Django's message, with each routing field's old → new value in place of its bare name
        (on add: its value), so the history shows where keys and tokens go. Names and origins
        only: never a key."""
        message = super().construct_change_message(request, form, formsets, add)
        notes = {
            name: self._routing_note(form, name, add)
            for name in ROUTING_FIELDS
            if name in form.fields and (add or name in form.changed_data)
        }
        if not notes:
            return message
        if add:
            return [*message, {"changed": {"fields": list(notes.values())}}]
        by_label = {str(form.fields[name].label): note for name, note in notes.items()}
        for entry in message:
            if "changed" in entry:
                entry["changed"]["fields"] = [by_label.get(label, label) for label in entry["changed"]["fields"]]
        return message

    @classmethod
    def _routing_note(cls, form: forms.ModelForm, name: str, add: bool) -> str:
        new = cls._shown(name, form.cleaned_data.get(name) or "")
        if add:
            return f"{ROUTING_LABELS[name]}: {new}"
        return f"{ROUTING_LABELS[name]}: {cls._shown(name, form.initial.get(name) or '')} → {new}"

    @staticmethod
    def _shown(name: str, value: str) -> str:
        if name == "api_host" and not value:
            return BUILTIN
        return value or "(blank)"

    @admin.display(description=gettext_lazy("host"))
    def host(self, obj: Workspace) -> str:
        if not obj.api_host:
            return BUILTIN
        if (problem := routing.api_host_problem(obj.api_host)) is not None:
            return format_html('<strong class="errornote">{}</strong> — {}', _("not allowed"), problem)
        return obj.api_host

    @admin.display(description=gettext_lazy("signing key"))
    def signing_key(self, obj: Workspace) -> str:
        if not obj.signing_key_env:
            return "-"
        status, explanation = checks.signing_key_status(obj.signing_key_env)
        if status == checks.KEY_SET:
            return "set"
        return format_html('<strong class="errornote">{}</strong> — {}', status, explanation)

    @admin.display(description=gettext_lazy("charts"), ordering="chart_count")
    def chart_count(self, obj: WithAnnotations[Workspace, _ChartCount]) -> int:
        return obj.chart_count
