"""The JavaScript translation catalogue: ``/jsi18n/<lang>/``.

Django's JavaScriptCatalog for the ``djangojs`` domain (``locale/<lang>/LC_MESSAGES/djangojs.po``),
a classic script that defines ``django.gettext``, ``django.ngettext`` and ``django.interpolate``;
``static/charts/i18n.js`` hands them to Panes' modules. The language is in the URL, not taken
from the request, so the answer depends only on the language and the deploy, and no session or
cookie is read.

Pages link it as ``/jsi18n/<lang>/?v=<version>`` (``catalogue_url``), the version being a digest
of the language's compiled catalogue: a deploy that changes a translation changes the URL, so
browsers keep the versioned catalogue for a year and still never run an old one. A request
without the current version (a page from before a deploy) may be kept for an hour.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from . import locale

VERSIONED_CACHE_SECONDS = 365 * 24 * 60 * 60
UNVERSIONED_CACHE_SECONDS = 60 * 60


def catalogue_url(lang: str) -> str:
    return f"{reverse('charts:jsi18n', args=[lang])}?v={catalogue_version(lang)}"


def catalogue_version(lang: str) -> str:
    """A digest of ``lang``'s compiled djangojs catalogues, read again only when one changes."""
    files = [os.path.join(path, lang, "LC_MESSAGES", "djangojs.mo") for path in settings.LOCALE_PATHS]
    stamps = tuple((file, *_stamp(file)) for file in files)
    return _digest(stamps)


def _stamp(file: str) -> tuple[int, int]:
    try:
        found = os.stat(file)
    except FileNotFoundError:
        return (0, -1)
    return (found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=32)
def _digest(stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for file, _, size in stamps:
        if size >= 0:
            with open(file, "rb") as catalogue:
                digest.update(catalogue.read())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@require_GET
def javascript_catalog(request: HttpRequest, lang: str) -> HttpResponseBase:
    """The catalogue of ``lang`` (one of LANGUAGES, exactly), else 404."""
    if locale.supported_language(lang) != lang:
        raise Http404("No such language")
    with translation.override(lang):
        response = JavaScriptCatalog.as_view(packages=["charts"])(request)
    response.headers["Content-Language"] = lang
    if request.GET.get("v") == catalogue_version(lang):
        patch_cache_control(response, public=True, max_age=VERSIONED_CACHE_SECONDS, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=UNVERSIONED_CACHE_SECONDS)
    return response
