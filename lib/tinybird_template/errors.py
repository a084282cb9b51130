"""The one error the template language raises: what Tinybird would answer in ``{"error": …}``."""
from __future__ import annotations

from collections.abc import Mapping


class TemplateError(Exception):
    """A template that cannot be rendered for these values.

    ``message`` is the text for ``{"error": message}``; ``param`` names the request param at
    fault when there is one; ``status`` is the HTTP status to answer with (400 unless the
    template chose another with ``error()``/``custom_error()``); ``payload`` is the whole JSON
    body when ``custom_error()`` gave one.
    """

    def __init__(
        self,
        message: str,
        param: str | None = None,
        status: int = 400,
        payload: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.payload: dict[str, object] = dict(payload) if payload is not None else {"error": message}

    def __repr__(self) -> str:
        return f"TemplateError({self.message!r}, param={self.param!r}, status={self.status})"
