"""Admin forms: the chart form that reads a pasted Tinybird snippet, and typed filter rules."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Chart, Tenant, TenantFilterRule, Workspace, coerce_rule_value
from .snippets import SnippetError, parse_chart_snippet, redact_tokens
from .title_fields import TitleTranslationsForm


@dataclass(frozen=True)
class ColumnAnswer:
    """A pipe's columns as (name, type), or None with the reason they could not be read."""

    columns: tuple[tuple[str, str], ...] | None
    reason: str = ""
    pipe_missing: bool = False


class ChartAdminForm(TitleTranslationsForm):
    """A chart, with a "Tinybird snippet or URL" field that is parsed, never stored.

    The parsed host, region, pipe and chart id go into the chart; the token the snippet may
    carry is dropped by the parser.
    """

    snippet = forms.CharField(
        label=gettext_lazy("Tinybird snippet or URL"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "For Tinybird-hosted charts: in Tinybird, open the chart's code view (&lt;&gt;), choose the "
            "iframe example and paste it here (or only its URL). Any token in it is ignored. Leave blank to keep "
            "the chart it points at now."
        ),
    )

    preview_tenant = forms.ModelChoiceField(
        queryset=Tenant.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=gettext_lazy("the first tenant it is configured for"),
        label=gettext_lazy("Preview as"),
        help_text=gettext_lazy("The tenant whose rows the preview draws and whose columns are checked; not saved."),
    )

    # Set by the admin (ChartAdmin.get_form, as a staticmethod): reads the pipe's columns as ``preview_tenant`` (or
    # a default tenant) and returns them, or a reason they could not be read. Without it (a form
    # made in code) columns are not checked.
    column_reader: Callable[[Chart, Tenant | None], ColumnAnswer] | None = None

    class Meta:
        model = Chart
        exclude = ["embed_host", "embed_region", "embed_chart_uuid", "title_translations"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns_unchecked = ""
        if "pipe_name" in self.fields:
            # A pasted snippet names the pipe; the field is then only needed for Panes charts.
            self.fields["pipe_name"].required = False
            self.fields["pipe_name"].help_text = (
                _("Chosen from the workspace's pipes; filled in from the snippet for Tinybird-hosted charts.")
            )
        if "workspace" in self.fields and not self.is_bound and self.instance.pk is None and "workspace" not in self.initial:
            only = list(Workspace.objects.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                self.initial["workspace"] = only[0]

    def clean_snippet(self) -> str:
        text = self.cleaned_data.get("snippet", "")
        if not text:
            return ""
        try:
            parsed = parse_chart_snippet(text)
        except SnippetError as exc:
            raise ValidationError(str(exc), code="bad_snippet") from None
        self._parsed_snippet = parsed
        return ""  # nothing of the pasted text is kept, the token least of all

    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean returns self.cleaned_data
        cleaned = self.cleaned_data
        parsed = getattr(self, "_parsed_snippet", None)
        kind = cleaned.get("kind")
        if parsed is not None:
            if kind != Chart.Kind.TINYBIRD:
                self.add_error("snippet", _("A snippet is only for Tinybird-hosted charts; set the kind to Tinybird."))
                return cleaned
            self.instance.embed_host = parsed.host
            self.instance.embed_region = parsed.region
            self.instance.embed_chart_uuid = parsed.chart_uuid
            pipe_name = cleaned.get("pipe_name")
            if pipe_name and pipe_name != parsed.pipe_name:
                self.add_error(
                    "pipe_name",
                    _("The snippet is a chart of pipe %(snippet)s, not %(pipe)s. Clear this field to take the snippet's.")
                    % {"snippet": repr(parsed.pipe_name), "pipe": repr(pipe_name)},
                )
                return cleaned
            cleaned["pipe_name"] = parsed.pipe_name
        elif kind == Chart.Kind.TINYBIRD and not self.instance.embed_chart_uuid and "snippet" not in self.errors:
            self.add_error("snippet", _("A Tinybird-hosted chart needs its iframe snippet or URL."))
        if not cleaned.get("pipe_name") and "pipe_name" not in self.errors and "snippet" not in self.errors:
            self.add_error("pipe_name", _("Name the pipe this chart reads."))
        workspace = cleaned.get("workspace")
        if kind == Chart.Kind.TINYBIRD and workspace is not None and workspace.is_builtin:
            self.add_error(
                "workspace",
                _("A Tinybird-hosted chart needs a Tinybird workspace (one with an API host); %(name)s is Panes' built-in host.")
                % {"name": repr(workspace.name)},
            )
        if kind == Chart.Kind.PANES and not self.errors and self.column_reader is not None:
            self._check_columns(cleaned)
        return cleaned

    def _check_columns(self, cleaned: dict[str, Any]) -> None:
        """Each named column must be one of the pipe's, as the preview tenant reads it."""
        chart = Chart(
            workspace=cleaned["workspace"],
            pipe_name=cleaned.get("pipe_name", ""),
            pipe_id=cleaned.get("pipe_id", ""),
            tenant_params=cleaned.get("tenant_params", ""),
            is_shared=cleaned.get("is_shared", False),
            filter_params=cleaned.get("filter_params", ""),
        )
        assert self.column_reader is not None
        answer = self.column_reader(chart, cleaned.get("preview_tenant"))
        if answer.pipe_missing:
            self.add_error(
                "pipe_name", _("The workspace has no pipe %(pipe)s (%(reason)s).") % {"pipe": repr(chart.pipe_name), "reason": answer.reason}
            )
            return
        if answer.columns is None:
            self.columns_unchecked = answer.reason
            return
        names = [name for name, _type in answer.columns]
        listed = ", ".join(names) or _("none")
        index = cleaned.get("index_column")
        if index and index not in names:
            self.add_error(
                "index_column", _("The pipe has no column %(names)s; its columns: %(columns)s.") % {"names": repr(index), "columns": listed}
            )
        unknown = [c for c in cleaned.get("category_columns") or () if c not in names]
        if unknown:
            self.add_error(
                "category_columns",
                _("The pipe has no column %(names)s; its columns: %(columns)s.")
                % {"names": ", ".join(map(repr, unknown)), "columns": listed},
            )

    def full_clean(self) -> None:
        super().full_clean()
        # If the form is shown again (any field has an error, the paste itself included, even one
        # refused before it is parsed), it shows the paste without the token it may carry.
        key = self.add_prefix("snippet")
        if self.is_bound and self.data.get(key):
            # Bound data is a request's QueryDict (or a dict in tests), typed only as a Mapping.
            data = cast("QueryDict | dict[str, Any]", self.data).copy()
            data[key] = redact_tokens(self.data[key])
            self.data = data

    def _post_clean(self) -> None:
        refused = {name: errors.copy() for name, errors in self.errors.items() if name != NON_FIELD_ERRORS}
        super()._post_clean()
        # Chart.clean judges a field the form refused by the instance's old value ("Name at least
        # one column" under a list whose bad column was just named): the form's errors stand alone.
        self.errors.update(refused)
        # Chart.clean reports a missing snippet on "kind"; this form already said it on the snippet.
        if "snippet" in self.errors and "kind" in self.errors:
            del self.errors["kind"]


class TenantFilterRuleForm(forms.ModelForm):
    """A rule whose value must read as its type; the value is stored normalised."""

    class Meta:
        model = TenantFilterRule
        fields = ["tenant", "param", "value_type", "value", "chart"]

    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean returns self.cleaned_data
        cleaned = self.cleaned_data
        value, value_type = cleaned.get("value"), cleaned.get("value_type")
        if value is not None and value_type:
            try:
                typed = coerce_rule_value(value, value_type)
            except ValueError as exc:
                self.add_error("value", str(exc))
            else:
                cleaned["value"] = str(typed).lower() if isinstance(typed, bool) else str(typed)
        return cleaned
