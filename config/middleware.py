"""Site-wide response policies: one Content-Security-Policy, and a plain 503 while a database is down.

``ContentSecurityPolicyMiddleware`` writes the whole policy except ``frame-ancestors``, which
``charts.middleware.FrameAncestorsMiddleware`` (further in) has already put in the same header:
the two are merged, so every response carries exactly one CSP.

Where the sources come from:

- ``frame-src``: 'self' and PANES_CSP_FRAME_SRC (default ``https://*.tinybird.co``). Tinybird
  chart iframes can only point at Tinybird UI hosts over https (``charts.snippets`` refuses every
  other host), so a static setting covers every stored chart and costs no query per page.
- ``connect-src``: 'self', PANES_LOCAL_API_ORIGIN and PANES_CSP_CONNECT_SRC everywhere; chart
  frames (the only pages that fetch rows) also get every workspace's API host, read from the
  database with one small query, since that host is free-form data an admin types in.

``DatabaseUnavailableMiddleware`` turns a database outage raised by a view into a 503 (an HTML
page, or JSON for API and JSON requests) and one log line; ``config.views.server_error`` does the
same for an outage raised anywhere else (a session saved on the way out). Nothing is remembered
between requests, so the site recovers by itself on the first request after the database returns.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse

log = logging.getLogger("panes.database")

API_PREFIX = "/v0/"
DB_UNAVAILABLE = "database unavailable"
RETRY_AFTER_SECONDS = "30"

# Everything but the JS-free layout needs: inline style *attributes* carry the grid's spans
# (style="--span: 6"), so style-src-attr allows them; <style> blocks and inline scripts stay out.
PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# JSON, CSV and other data: nothing may load, run or frame from it.
DATA_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'"


def origin_of(value: str) -> str | None:
    """``scheme://host[:port]`` of a URL or origin (wildcard hosts kept), or None if unsafe."""
    value = (value or "").strip()
    if not value or any(c in value for c in " \t\r\n;,'\""):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origins(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(o for o in map(origin_of, values) if o))


def workspace_api_origins() -> list[str]:
    """Every workspace's API host. Chart frames only; a failure just leaves them out."""
    from charts.models import Workspace  # the config layer may know both apps; keep import lazy

    try:
        return origins(Workspace.objects.exclude(api_host="").values_list("api_host", flat=True).distinct())
    except DatabaseError:
        return []


def page_policy(request: HttpRequest, response: HttpResponse) -> str:
    policy = {name: list(sources) for name, sources in PAGE_POLICY.items()}
    policy["frame-src"] += origins(settings.PANES_CSP_FRAME_SRC)
    policy["connect-src"] += origins([settings.PANES_LOCAL_API_ORIGIN, *settings.PANES_CSP_CONNECT_SRC])
    if getattr(response, "panes_same_origin_frame", False):
        policy["connect-src"] += workspace_api_origins()
    if request.path.startswith(reverse("admin:index")):
        # Django's admin (and the dashboard preview) use a few <style> blocks; scripts stay 'self'.
        policy["style-src"].append("'unsafe-inline'")
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}" for name, sources in policy.items())


def merge(ours: str, existing: str) -> str:
    """One policy: our directives, then the existing ones; a directive already there wins."""
    present = {part.split()[0] for part in existing.split(";") if part.strip()}
    kept = [part.strip() for part in ours.split(";") if part.split()[0] not in present]
    return "; ".join([*kept, *(part.strip() for part in existing.split(";") if part.strip())])


class ContentSecurityPolicyMiddleware:
    """One CSP per response: the page policy on HTML, ``default-src 'none'`` on everything else.

    It sits outside every middleware that can answer (error pages from handler500 included) and
    merges with the ``frame-ancestors`` FrameAncestorsMiddleware set further in; a response that
    never went through that one is framed by nobody.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_html = response.get("Content-Type", "").startswith("text/html")
        ours = page_policy(request, response) if is_html else DATA_POLICY
        existing = response.get("Content-Security-Policy") or "frame-ancestors 'none'"
        response["Content-Security-Policy"] = merge(ours, existing)
        return response


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
    response._has_been_logged = True  # our one line replaces django.request's own
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
