"""Framing: who may put a Panes page in a frame.

Nobody, by default: ``frame-ancestors 'none'`` in ``CONTENT_SECURITY_POLICY`` and
``X-Frame-Options: DENY``. The views that are meant to be framed say so with decorators:

- the embed views: ``@xframe_options_exempt`` and ``@csp_replace(EMBED_ANCESTORS)``: Panes and
  PANES_EMBED_ALLOWED_ORIGINS;
- chart frames: ``@xframe_options_for_chart_frames`` and ``@csp_replace(EMBED_ANCESTORS)`` too:
  they sit inside Panes pages, and inside an embed page whose own ancestors are the embed origins
  (frame-ancestors checks every ancestor, so those origins must be listed or the charts of an
  embedded dashboard would be blocked).

``SettingOrigins`` stands in the source list for the setting: ``config.middleware`` writes its
origins when it writes the header, so the setting counts as it is at that moment.
"""
from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin

from lib.origins import SettingOrigins

from . import locale, tenancy


def embed_origins() -> list[str]:
    """The configured embed origins, minus anything that could break out of the CSP directive."""
    return [o for o in settings.PANES_EMBED_ALLOWED_ORIGINS if o and not any(c in o for c in " \t;,'\"\r\n")]


# For django-csp's csp_replace: framed by Panes and the embed origins.
EMBED_ANCESTORS = {"frame-ancestors": [SELF, SettingOrigins("PANES_EMBED_ALLOWED_ORIGINS")]}


def xframe_options_for_chart_frames(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """X-Frame-Options SAMEORIGIN, or none at all while embed origins are configured: the header
    cannot name them, so frame-ancestors alone decides."""
    same_origin, exempt = xframe_options_sameorigin(view), xframe_options_exempt(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return (exempt if embed_origins() else same_origin)(request, *args, **kwargs)

    return wrapper


class PersonLocaleMiddleware:
    """After LocaleMiddleware (the browser's language) and authentication: a signed-in person's
    own language wins, and their time zone, else their organisation's, is the active one. Both
    come from the session (charts.locale), the organisation from the request's cached tenancy:
    no query a page would not make anyway. Only people's pages (the charts app and the admin) are
    touched: the pipe API and the health check never read the session."""

    PAGES = ("charts.", "django.contrib.admin.")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    # The JavaScript catalogue names its language in its URL and is cached publicly: it must not
    # read the session (that would make it vary on the cookie).
    SESSIONLESS = ("charts.i18n_views",)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any) -> None:
        module = getattr(view_func, "__module__", "")
        if not module.startswith(self.PAGES) or module in self.SESSIONLESS:
            return None
        self._person(request)
        # ?locale=xx (an embed's data-locale) wins for this response, signed in or not.
        asked = locale.query_language(request.GET)
        if asked:
            translation.activate(asked)
            request.LANGUAGE_CODE = asked
        return None

    def _person(self, request: HttpRequest) -> None:
        try:
            if not request.user.is_authenticated:
                return
            person = locale.PersonLocale.from_session(request.session.get(locale.SESSION_KEY))
            tenant = None if person.time_zone else tenancy.active_tenant(request)
        except DatabaseError:
            return  # the view meets the outage too, and answers it (config.middleware)
        if person.language:
            translation.activate(person.language)
            request.LANGUAGE_CODE = person.language
        timezone.activate(zoneinfo.ZoneInfo(locale.time_zone_name(person, tenant)))
