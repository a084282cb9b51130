"""Site-wide views: the load balancer's health check and the 500 handler."""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .middleware import database_unavailable, is_database_outage, wants_json

log = logging.getLogger("panes.health")


def database_status(alias: str) -> str:
    """"ok" after a cheap query on ``alias``, else "unavailable" (and one log line)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.error("healthz: database %s unavailable: %s", alias, type(exc).__name__)
        return "unavailable"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every database answers, 503 otherwise. No login, no session, no cookie. The
    built-in host's ClickHouse is not asked: a page process must never open the chDB folder."""
    statuses = {alias: database_status(alias) for alias in settings.DATABASES}
    healthy = all(status == "ok" for status in statuses.values())
    body = {"status": "ok" if healthy else "unavailable", "database": statuses.pop("default")}
    body.update(statuses)
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage anywhere (a session saved on the way out, the user loaded by
    a middleware) is a 503 like the view-level ones; anything else is a plain 500 page."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_outage(exc):
        return database_unavailable(request, exc)
    if wants_json(request):
        return JsonResponse({"error": "internal error"}, status=500)
    # Without the request: the error may be in the very code context processors would run.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
