"""Autocomplete widgets that treat a tampered id as a form error, not a 500."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, ManyToManyField
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin
    from django.contrib.admin.widgets import AutocompleteMixin

    # The mixins below are only ever combined with these; mypy checks them as their subclasses.
    _AutocompleteBase = AutocompleteMixin
    _ModelAdminBase = BaseModelAdmin[Any]
else:
    _AutocompleteBase = _ModelAdminBase = object


class _ValidIdsOnly(_AutocompleteBase):
    """Autocomplete widgets that skip ids their target field cannot hold.

    Re-rendering a form with errors makes Django's widget query ``pk__in=[...]`` with the posted
    values; a tampered non-numeric id would raise ValueError there (a 500). It is a form error.
    """

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        valid = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class ValidatedAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class ValidatedAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocomplete(_ModelAdminBase):
    """Admin mixin: autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
