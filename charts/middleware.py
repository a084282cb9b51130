"""Framing policy: the embed view may be framed by the configured origins, nothing else may."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def embed_origins() -> list[str]:
    """The configured embed origins, minus anything that could break out of the CSP directive."""
    return [o for o in settings.PANES_EMBED_ALLOWED_ORIGINS if o and not any(c in o for c in " \t;,'\"\r\n")]


class FrameAncestorsMiddleware:
    """Adds CSP frame-ancestors to every response.

    Views marked with ``response.panes_embeddable = True`` may be framed by the origins in
    PANES_EMBED_ALLOWED_ORIGINS (and X-Frame-Options is dropped for them); chart frames marked
    ``panes_same_origin_frame`` may be framed by Panes itself (and by the embed origins, since an
    embedded dashboard's chart frames have those as ancestors); everything else by nobody.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "panes_embeddable", False):
            ancestors = " ".join(["'self'", *embed_origins()])
            response.xframe_options_exempt = True
            response.headers.pop("X-Frame-Options", None)
        elif getattr(response, "panes_same_origin_frame", False):
            # Chart frames sit inside Panes pages, and an embed page sits inside the allowed
            # origins; frame-ancestors checks every ancestor, so those origins must be listed here
            # too or the charts of an embedded dashboard would be blocked.
            ancestors = " ".join(["'self'", *embed_origins()])
            if embed_origins():
                response.xframe_options_exempt = True
                response.headers.pop("X-Frame-Options", None)
            else:
                response.headers["X-Frame-Options"] = "SAMEORIGIN"
        else:
            ancestors = "'none'"
        existing = response.headers.get("Content-Security-Policy")
        directive = f"frame-ancestors {ancestors}"
        response.headers["Content-Security-Policy"] = f"{existing}; {directive}" if existing else directive
        return response
