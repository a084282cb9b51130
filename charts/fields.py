"""Comma-separated lists kept in one text column, parsed and validated in one place.

A chart's tenant params, filter params, columns and colours, a workspace's default tenant params
and a tenant's brand palette are each typed as "a, b" by a person and stored as that text. Their
Python value is a ``CommaList``: a tuple of the cleaned items (stripped, blanks and duplicates
dropped, in order). Each field has a ``kind`` that says what an item is: a pipe param name, a
column name or a CSS colour. The form field and ``full_clean`` refuse a list with a bad item and
name it; nothing else in Panes splits these strings.

A value stored around validation (``QuerySet.update``, an old row, a raw SQL fix) still loads:
its bad items are kept apart in ``CommaList.rejected``, out of the tuple, and written back as they
were when the row is saved again. ``validated()`` raises for such a value, for callers that must
fail closed rather than use part of a list (a chart's tenant params).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

SEPARATOR = ", "
PARAM_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ItemKind:
    """What one item of a list is: its pattern, and how a person is told an item is not one."""

    key: str  # stored in migrations
    pattern: re.Pattern[str]
    noun: str  # "a parameter name": in "'1x' is not a parameter name."
    # Where a list splits: at commas, but not those inside rgb(...) for colours.
    separator: re.Pattern[str] = re.compile(",")

    def parse(self, value: object) -> CommaList:
        """The list ``value`` holds: text as stored or typed, or items already split."""
        if isinstance(value, CommaList) and value.kind is self:
            return value
        if value is None:
            parts: Iterable[str] = ()
        elif isinstance(value, str):
            parts = self.separator.split(value)
        elif isinstance(value, Iterable):
            parts = (str(item) for item in value)
        else:
            parts = (str(value),)
        items = dict.fromkeys(part.strip() for part in parts)
        items.pop("", None)
        valid = [item for item in items if self.pattern.fullmatch(item)]
        rejected = [item for item in items if not self.pattern.fullmatch(item)]
        return CommaList(valid, rejected=rejected, kind=self)

    def __reduce__(self) -> tuple:
        return kind_named, (self.key,)  # pickled by name: one instance per kind

    def error(self, rejected: Iterable[str]) -> ValidationError:
        return ValidationError(
            [ValidationError("%(item)r is not %(noun)s.", code="invalid_item", params={"item": item, "noun": self.noun})
             for item in rejected]
        )


PARAM = ItemKind(
    key="param",
    pattern=PARAM_NAME_RE,
    noun="a parameter name (letters, digits and underscores; not starting with a digit)",
)
COLUMN = ItemKind(
    key="column",
    pattern=re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}"),
    noun="a column name (letters, digits and underscores; not starting with a digit)",
)
# #rgb, #rgba, #rrggbb, #rrggbbaa; rgb()/hsl() with plain numbers; or a colour keyword. Nothing
# else reaches a chart's options: no url(), no ";", no "</style>".
COLOR = ItemKind(
    key="color",
    pattern=re.compile(
        r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})"
        r"|(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%\s,/deg+-]{1,60}\)"
        r"|[a-zA-Z]{3,30}"
    ),
    noun="a CSS colour (#rrggbb, rgb(…), hsl(…) or a colour name)",
    separator=re.compile(r",(?![^()]*\))"),
)
KINDS = {kind.key: kind for kind in (PARAM, COLUMN, COLOR)}


def kind_named(key: str) -> ItemKind:
    return KINDS[key]


class CommaList(tuple):
    """The valid items of a comma-separated field, in order; ``rejected``: stored items that are
    not valid (only ever non-empty for a value saved around validation)."""

    rejected: tuple[str, ...]
    kind: ItemKind

    def __new__(cls, items: Iterable[str] = (), *, rejected: Iterable[str] = (), kind: ItemKind = PARAM) -> CommaList:
        value = super().__new__(cls, items)
        value.rejected = tuple(rejected)
        value.kind = kind
        return value

    def __getnewargs_ex__(self) -> tuple[tuple, dict]:
        return (tuple(self),), {"rejected": self.rejected, "kind": self.kind}

    def __str__(self) -> str:
        """The text stored and shown in a form: the valid items, then any rejected ones."""
        return SEPARATOR.join((*self, *self.rejected))

    def validated(self) -> tuple[str, ...]:
        """The items, or the ValidationError naming the stored items that are not valid."""
        if self.rejected:
            raise self.kind.error(self.rejected)
        return tuple(self)


class CommaListDescriptor(DeferredAttribute):
    """Whatever is assigned (text, a list, a CommaList) reads back as a CommaList, so
    ``Chart(colors="#111, #222").colors`` is the same value as after a save and a load."""

    def __set__(self, instance: models.Model, value: object) -> None:
        instance.__dict__[self.field.attname] = self.field.to_python(value)


class CommaSeparatedFormField(forms.CharField):
    """A text input of "a, b" whose cleaned value is a CommaList; a bad item is named."""

    def __init__(self, *, kind: ItemKind = PARAM, **kwargs) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def prepare_value(self, value: object) -> object:
        return str(value) if isinstance(value, CommaList) else value

    def to_python(self, value: object) -> CommaList:  # type: ignore[override]
        text = super().to_python(value)  # strips
        return self.kind.parse(text)

    def validate(self, value: CommaList) -> None:
        super().validate(value)
        if value.rejected:
            raise self.kind.error(value.rejected)

    def run_validators(self, value: CommaList) -> None:
        super().run_validators(str(value))  # max_length counts the stored text, not the items


class CommaSeparatedField(models.CharField):
    """A CharField whose value is a CommaList of ``kind`` items (see the module docstring)."""

    descriptor_class = CommaListDescriptor
    description = "Comma-separated list"
    # For django-stubs: what the attribute accepts and what it reads back as.
    _pyi_private_set_type: str | Iterable[str]  # type: ignore[assignment]
    _pyi_private_get_type: CommaList  # type: ignore[assignment]

    def __init__(self, *args, kind: str = PARAM.key, **kwargs) -> None:
        self.kind = KINDS[kind]
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind.key
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression, connection) -> CommaList:
        return self.kind.parse(value)

    def to_python(self, value: object) -> CommaList:
        return self.kind.parse(value)

    def get_prep_value(self, value: object) -> str:
        return str(self.kind.parse(value))

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.value_from_object(obj))

    def validate(self, value: CommaList, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if value.rejected:
            raise self.kind.error(value.rejected)

    def run_validators(self, value: CommaList) -> None:
        super().run_validators(str(value))  # max_length counts the stored text, not the items

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CommaSeparatedFormField, "kind": self.kind, **kwargs})
