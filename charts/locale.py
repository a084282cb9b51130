"""A person's language and time zone.

Language: the person's own setting, else (on a page) the browser's, else English. Time zone: the
person's own, else their organisation's, else the server's TIME_ZONE. Pages take both from the
session (``SESSION_KEY``, written at sign-in and when the person saves their settings, so a page
costs no query for them); report sends, which have no session, read them with ``of_person``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from .models import PersonSettings, Tenant, time_zones

SESSION_KEY = "panes.person"
# ``?locale=de`` on a page of the charts app: that language for this one response (an embed's
# data-locale), over the person's and the browser's; the page passes it on to its chart frames.
QUERY_KEY = "locale"


@dataclass(frozen=True)
class PersonLocale:
    language: str  # "" when the person chose none
    time_zone: str  # "" when the person chose none

    def as_session(self) -> dict[str, str]:
        return {"language": self.language, "time_zone": self.time_zone}

    @classmethod
    def from_session(cls, value: object) -> PersonLocale:
        if not isinstance(value, dict):
            return cls("", "")
        return cls(supported_language(value.get("language")), valid_time_zone(value.get("time_zone")))


def supported_language(code: object) -> str:
    """``code`` when it is one of LANGUAGES (or a region of one: "de-at" -> "de"), else ""."""
    if not isinstance(code, str) or not code:
        return ""
    codes = {c for c, _ in settings.LANGUAGES}
    code = code.lower().replace("_", "-")
    for candidate in (code, code.split("-")[0]):
        if candidate in codes:
            return candidate
    return ""


def valid_time_zone(name: object) -> str:
    """``name`` when it is a known time zone (the list the admin's fields check), else ""."""
    return name if isinstance(name, str) and name in time_zones() else ""


def of_person(user) -> PersonLocale:
    """What the person chose (one query); blanks where they chose nothing."""
    found = PersonSettings.objects.filter(user=user).values_list("language", "time_zone").first()
    if not found:
        return PersonLocale("", "")
    return PersonLocale(supported_language(found[0]), valid_time_zone(found[1]))


def language(person: PersonLocale, browser: str | None = None) -> str:
    """The language to use: the person's, else the browser's (a LANGUAGES code), else LANGUAGE_CODE."""
    return person.language or supported_language(browser) or settings.LANGUAGE_CODE


def time_zone_name(person: PersonLocale, tenant: Tenant | None) -> str:
    """The person's time zone, else their organisation's, else the server's."""
    return (
        person.time_zone
        or (valid_time_zone(tenant.time_zone) if tenant is not None else "")
        or settings.TIME_ZONE
    )


def query_language(query: Mapping[str, str]) -> str:
    """The supported language a page's query string asks for (``?locale=de``), else ""."""
    return supported_language(query.get(QUERY_KEY))
