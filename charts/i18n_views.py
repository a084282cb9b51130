"""The JavaScript translation catalogue: ``/jsi18n/<lang>/``.

Django's JavaScriptCatalog for the ``djangojs`` domain (``locale/<lang>/LC_MESSAGES/djangojs.po``),
a classic script that defines ``django.gettext``, ``django.ngettext`` and ``django.interpolate``;
``static/charts/i18n.js`` hands them to Panes' modules. The language is in the URL, not taken
from the request, so the answer depends only on the language and the deploy: browsers and
proxies may keep it for a day, and no session or cookie is read.
"""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from . import locale

CACHE_SECONDS = 24 * 60 * 60


@require_GET
@cache_control(public=True, max_age=CACHE_SECONDS)
def javascript_catalog(request: HttpRequest, lang: str) -> HttpResponseBase:
    """The catalogue of ``lang`` (one of LANGUAGES, exactly), else 404."""
    if locale.supported_language(lang) != lang:
        raise Http404("No such language")
    with translation.override(lang):
        response = JavaScriptCatalog.as_view(packages=["charts"])(request)
    response.headers["Content-Language"] = lang
    return response
