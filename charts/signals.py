"""Signal receivers of the dashboards app, connected in ``ChartsConfig.ready``."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

from . import locale


def remember_person_locale(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At every sign-in (the login form and SSO alike) copy the person's language and time zone
    into the new session: pages read them from there without a query."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[locale.SESSION_KEY] = locale.of_person(user).as_session()


def connect() -> None:
    user_logged_in.connect(remember_person_locale, dispatch_uid="charts.remember_person_locale")
