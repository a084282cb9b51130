"""Framing policy: the embed view may be framed by the configured origins, nothing else may."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class FrameAncestorsMiddleware:
    """Adds CSP frame-ancestors to every response.

    Views marked with ``response.panes_embeddable = True`` may be framed by the origins in
    PANES_EMBED_ALLOWED_ORIGINS (and X-Frame-Options is dropped for them); chart frames marked
    ``panes_same_origin_frame`` may be framed by Panes itself; everything else by nobody.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "panes_embeddable", False):
            ancestors = " ".join(["'self'", *settings.PANES_EMBED_ALLOWED_ORIGINS])
            response.xframe_options_exempt = True
            response.headers.pop("X-Frame-Options", None)
        elif getattr(response, "panes_same_origin_frame", False):
            ancestors = "'self'"
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        else:
            ancestors = "'none'"
        existing = response.headers.get("Content-Security-Policy")
        directive = f"frame-ancestors {ancestors}"
        response.headers["Content-Security-Policy"] = f"{existing}; {directive}" if existing else directive
        return response
