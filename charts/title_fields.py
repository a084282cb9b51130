"""Titles per language in admin forms: one "Title (Deutsch)", "Title (Polski)" field per language
of LANGUAGES other than the default, stored in the model's ``title_translations``.

A blank field removes that language's title: pages then show the English one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


def other_languages() -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def field_name(code: str) -> str:
    return f"title_{code.replace('-', '_')}"


FIELD_NAMES = tuple(field_name(code) for code, _name in other_languages())


def _declared() -> dict[str, forms.Field]:
    return {
        field_name(code): forms.CharField(
            label=format_lazy(_("Title ({language})"), language=name),
            required=False,
            max_length=200,
            strip=True,
            help_text=_("Blank: the English title."),
            widget=forms.TextInput(attrs={"class": "vTextField"}),  # as wide as the admin's own title field
        )
        for code, name in other_languages()
    }


class _TitleTranslations(forms.ModelForm):
    """Reads and writes ``instance.title_translations`` through the per-language fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.title_translations if isinstance(self.instance.title_translations, dict) else {}
        for code, _name in other_languages():
            if field_name(code) in self.fields and not self.is_bound:
                self.initial.setdefault(field_name(code), stored.get(code, ""))

    def _post_clean(self) -> None:
        # Before the model's own validation (ModelForm._post_clean), so it sees the new titles.
        stored = self.instance.title_translations if isinstance(self.instance.title_translations, dict) else {}
        translations = {k: v for k, v in stored.items() if k not in dict(other_languages())}
        for code, _name in other_languages():
            value = self.cleaned_data.get(field_name(code), "")
            if value:
                translations[code] = value
        self.instance.title_translations = translations
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is missing from django-stubs


# A ModelForm base with the fields declared (the admin checks fieldsets against declared fields).
if TYPE_CHECKING:
    TitleTranslationsForm = _TitleTranslations
else:
    TitleTranslationsForm = type("TitleTranslationsForm", (_TitleTranslations,), {"__module__": __name__, **_declared()})


def with_translations_after_title(fields: list[Any]) -> list[Any]:
    """``fields`` with the per-language title fields right after ``title`` (and the raw JSON out)."""
    rest = [f for f in fields if f not in FIELD_NAMES and f != "title_translations"]
    if "title" not in rest:
        return rest + list(FIELD_NAMES)
    at = rest.index("title") + 1
    return [*rest[:at], *FIELD_NAMES, *rest[at:]]

