"""Which engine the built-in host is configured with, read without opening or importing one.

Importing chDB's module alone maps about 200 MB and starts native threads, which a gunicorn
master that forks its workers must not do; the serving set-up (config/pipes_host.py) asks here
whether the engine is embedded, and ``pipes.engine.runtime`` opens the same URL.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def configured_url() -> str:
    """The engine URL from the settings: ``chdb:///folder``, a folder, or a ClickHouse server."""
    return str(settings.ANALYTICS_DATABASE_URL)


def is_embedded(url: str | None = None) -> bool:
    """Whether ``url`` (default: the configured one) is chDB in this process, which lets one
    process own its data folder; a server URL may be opened by every process."""
    url = configured_url() if url is None else url
    scheme = urlsplit(url).scheme if "://" in url else ""
    return scheme in ("", "chdb")
