"""Admin for the built-in host: pipes with their params (SQL that does not run is a form error),
and a read-only list of the loaded datasources."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Datasource, Pipe, PipeParam
from .query import check_sql


class PipeParamFormSet(forms.BaseInlineFormSet):
    """Checks the pipe's SQL against the params being saved with it: every placeholder declared,
    and the SQL runs on the analytics database."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not self.instance.sql:
            return
        declared = [
            PipeParam(
                name=form.cleaned_data["name"],
                type=form.cleaned_data["type"],
                required=form.cleaned_data.get("required", False),
                default=form.cleaned_data.get("default", ""),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("name")
        ]
        try:
            check_sql(self.instance.sql, declared)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class PipeParamInline(admin.TabularInline):
    model = PipeParam
    formset = PipeParamFormSet
    extra = 1
    fields = ("name", "type", "required", "default", "description")


class PipeForm(forms.ModelForm):
    class Meta:
        model = Pipe
        fields = ("name", "pipe_id", "description", "sql")
        widgets = {
            "sql": forms.Textarea(attrs={"rows": 14, "cols": 100, "style": "font-family: monospace", "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2, "cols": 100}),
        }


@admin.register(Pipe)
class PipeAdmin(admin.ModelAdmin):
    form = PipeForm
    inlines = [PipeParamInline]
    list_display = ("name", "pipe_id", "param_names", "updated_at")
    search_fields = ("name", "pipe_id", "description")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pipe]:
        return super().get_queryset(request).prefetch_related("params")

    @admin.display(description="params")
    def param_names(self, pipe: Pipe) -> str:
        return ", ".join(f"{p.name}{'' if p.required else '?'}" for p in pipe.params.all())


@admin.register(Datasource)
class DatasourceAdmin(admin.ModelAdmin):
    """Read-only: datasources change only by loading (``manage.py load_datasource``)."""

    list_display = ("name", "schema", "row_count", "loaded_at")
    search_fields = ("name",)
    fields = ("name", "description", "schema", "row_count", "loaded_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Datasource | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Datasource | None = None) -> bool:
        return False
