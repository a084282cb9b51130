"""Origins: ``scheme://host[:port]`` and nothing else (Content-Security-Policy sources).

Pure (no Django): the settings check their origins with it at start-up, and ``config.middleware``
reduces the sources it reads from settings with it when it writes a header.
A value that could end a directive or start another (spaces, ``;``, ``,``, quotes) is no origin.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


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
    """The safe origins among ``values``, in order, without repeats; unsafe ones are left out."""
    return list(dict.fromkeys(o for o in map(origin_of, values) if o))


@dataclass(frozen=True)
class SettingOrigins:
    """A Content-Security-Policy source that stands for the origins in the setting ``name`` (one
    origin or a list): ``config.middleware`` reads it when it writes the header, so the policy and
    the code that uses the same setting never disagree (nor under ``override_settings``)."""

    name: str
