"""Template tags for text that has one version per language.

``{{ chart|title_in }}`` is the chart's (or dashboard's) title in the active language, falling
back to its English title; anything without ``title_in`` (a personal dashboard, whose name its
owner typed) shows its ``title`` as it is.

``{% js_catalogue_url %}`` is the address of the scripts' translations in the active language.
"""
from __future__ import annotations

from django import template
from django.utils.translation import get_language

from charts.i18n_views import catalogue_url

register = template.Library()


@register.simple_tag
def js_catalogue_url() -> str:
    return catalogue_url(get_language())


@register.filter
def title_in(obj: object, language: str | None = None) -> str:
    if obj is None:
        return ""
    localised = getattr(obj, "title_in", None)
    if callable(localised):
        return str(localised(language or get_language()))
    return str(getattr(obj, "title", ""))
