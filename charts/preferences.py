"""A person's own settings page (/settings/): their language and their time zone.

Saving writes ``PersonSettings`` and the session's copy (``charts.locale.SESSION_KEY``), which is
what every later page reads, so the next page speaks the chosen language without a query.
"""
from __future__ import annotations

from functools import cache
from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import locale, tenancy
from .models import PersonSettings, time_zones


@cache
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(time_zones()))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False)

    def __init__(self, *args: object, organisation_zone: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Languages are named in their own language: a person who cannot read the page's still
        # finds theirs.
        cast(forms.ChoiceField, self.fields["language"]).choices = [("", _("The browser's language")), *settings.LANGUAGES]
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = [
            ("", _("The organisation's: %(zone)s") % {"zone": organisation_zone}),
            *((name, name) for name in time_zone_names()),
        ]

    def clean_language(self) -> str:
        return locale.supported_language(self.cleaned_data["language"])

    def clean_time_zone(self) -> str:
        return locale.valid_time_zone(self.cleaned_data["time_zone"])


def _organisation_zone(request: HttpRequest) -> str:
    tenant = tenancy.active_tenant(request)
    return locale.time_zone_name(locale.PersonLocale("", ""), tenant)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    zone = _organisation_zone(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST, organisation_zone=zone)
        if form.is_valid():
            chosen = locale.PersonLocale(form.cleaned_data["language"], form.cleaned_data["time_zone"])
            PersonSettings.objects.update_or_create(
                user_id=cast(int, request.user.pk), defaults={"language": chosen.language, "time_zone": chosen.time_zone}
            )
            request.session[locale.SESSION_KEY] = chosen.as_session()
            # The rest of this request in the new language too (later pages read the session).
            browser = translation.get_language_from_request(request)
            translation.activate(locale.language(chosen, browser))
            return redirect(f"{reverse('charts:preferences')}?saved=1")
        status = 400
    else:
        person = locale.of_person(request.user)
        form = PreferencesForm(initial=person.as_session(), organisation_zone=zone)
        status = 200
    context = {"form": form, "saved": request.GET.get("saved") == "1" and request.method == "GET"}
    return render(request, "charts/preferences.html", context, status=status)
