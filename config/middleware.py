"""Site-wide response policies: one Content-Security-Policy, and a plain 503 while a database is down.

The policy is django-csp's: ``CONTENT_SECURITY_POLICY`` in the settings is the page policy of
every HTML response (``frame-ancestors 'none'`` included), and views widen it with django-csp's
decorators (``charts.middleware`` for the embed views and chart frames).
``ContentSecurityPolicyMiddleware`` adds what a static setting cannot say:

- JSON, CSV and every other non-HTML answer (the pipe API, token refreshes, error JSON) gets
  ``default-src 'none'`` whatever its view asked for: nothing may load, run or frame from data.
- Pages under the admin may use ``<style>`` blocks (``'unsafe-inline'`` styles); scripts stay 'self'.
- A ``lib.origins.SettingOrigins`` in a source list is replaced by the origins in that setting
  when the header is written, so the policy follows the settings of that moment.
- ``frame-ancestors`` is written last, so the framing rule sits at one place in every header.

It sits outside every middleware that can answer, so error pages (handler404/500, the 503 of
``DatabaseUnavailableMiddleware``) carry the policy too; only with DEBUG on does django-csp leave
Django's technical 404/500 pages (inline scripts and styles) without one.

``DatabaseUnavailableMiddleware`` turns a database outage raised by a view into a 503 (an HTML
page, or JSON for API and JSON requests) and one log line; ``config.views.server_error`` does the
same for an outage raised anywhere else (a session saved on the way out). Nothing is remembered
between requests, so the site recovers by itself on the first request after the database returns.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from csp.constants import NONE, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template import loader
from django.urls import reverse

from lib.origins import SettingOrigins, origins

log = logging.getLogger("panes.database")

API_PREFIX = "/v0/"
DB_UNAVAILABLE = "database unavailable"
RETRY_AFTER_SECONDS = "30"

FRAME_ANCESTORS = "frame-ancestors"
# JSON, CSV and other data: nothing may load, run or frame from it.
DATA_POLICY: dict[str, Any] = {"default-src": [NONE], "base-uri": [NONE], "form-action": [NONE]}


def resolve(sources: Any) -> Any:
    """A directive's sources with every ``SettingOrigins`` replaced by its setting's origins now."""
    if sources is None or isinstance(sources, (bool, str)):
        return sources
    resolved: list[Any] = []
    for source in sources:
        if isinstance(source, SettingOrigins):
            value = getattr(settings, source.name, None) or []
            resolved.extend(origins([value] if isinstance(value, str) else value))
        else:
            resolved.append(source)
    return resolved


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: the page policy on HTML, ``default-src 'none'`` on everything else."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if not response.get("Content-Type", "").startswith("text/html"):
            return PolicyParts(config=DATA_POLICY, update={FRAME_ANCESTORS: [NONE]})
        configured = parts.config if parts.config is not None else default_config(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
        config = {name: resolve(sources) for name, sources in (configured or {}).items()}
        replace = {name: resolve(sources) for name, sources in (parts.replace or {}).items()}
        update = {name: resolve(sources) for name, sources in (parts.update or {}).items()}
        if request.path.startswith(reverse("admin:index")):
            # Django's admin (and the dashboard preview) use a few <style> blocks.
            update["style-src"] = [*(update.get("style-src") or []), UNSAFE_INLINE]
        # django-csp appends update's directives after the others, in order: frame-ancestors
        # moves there, with the configured (or replaced) sources first.
        ancestors = replace.pop(FRAME_ANCESTORS) if FRAME_ANCESTORS in replace else config.get(FRAME_ANCESTORS)
        config.pop(FRAME_ANCESTORS, None)
        ancestors = [*(ancestors or []), *(update.pop(FRAME_ANCESTORS, None) or [])]
        update[FRAME_ANCESTORS] = [source for source in ancestors if source != NONE] or [NONE]
        return PolicyParts(config, update, replace, parts.nonce)


def is_database_outage(exc: BaseException) -> bool:
    """OperationalError and InterfaceError (what every backend raises when a server is gone or
    a file cannot be opened), and any other DatabaseError raised while connecting."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DatabaseError) and _raised_while_connecting(exc)


def _raised_while_connecting(exc: BaseException) -> bool:
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if code.co_name in ("connect", "get_new_connection") and "django/db/backends" in code.co_filename.replace("\\", "/"):
            return True
    return False


def wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith(API_PREFIX)
        or request.path.endswith(".json")
        or "application/json" in request.headers.get("Accept", "")
    )


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a database outage, after one log line (the error's class and first line: a
    driver's message names the host and database, never a password)."""
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    log.error("database unavailable: %s %s: %s: %s", request.method, request.path, type(exc).__name__, detail)
    if wants_json(request):
        response: HttpResponse = JsonResponse({"error": DB_UNAVAILABLE}, status=503)
        if request.path.startswith(API_PREFIX):
            response["Access-Control-Allow-Origin"] = "*"  # the pipe API is CORS-open, errors too
    else:
        # Rendered without the request: context processors would ask the database for the user.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    response["Cache-Control"] = "no-store"
    # Our one line replaces django.request's own. (django.utils.log.log_response reads this
    # private flag; django-stubs does not declare it.)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class DatabaseUnavailableMiddleware:
    """A view that meets a database outage answers 503 instead of a 500 with a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return database_unavailable(request, exception)
        return None
