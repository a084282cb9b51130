"""/settings/: a person's language and time zone, and how pages follow them."""
from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from charts import locale
from charts.models import Membership, PersonSettings
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

SETTINGS = "/settings/"
# 25 hours apart: their calendar dates always differ, whatever the time of the run.
EARLIEST, LATEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    dated = make_chart(workspace, "Sales", "sales", filter_params="date_from,date_to")
    return make_dashboard("sales", acme, globex, charts=[dated])


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def page_config(response) -> dict:
    found = re.search(r'<script id="panes-page-config" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(unescape(found.group(1)))


def save(client, **data):
    return client.post(SETTINGS, {"language": "", "time_zone": "", **data})


def test_the_url_is_named_and_needs_a_sign_in(client) -> None:
    assert reverse("charts:preferences") == SETTINGS
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_top_bar_links_to_it(alice_client, board) -> None:
    assert f'href="{SETTINGS}"' in alice_client.get(reverse("charts:dashboard_list")).content.decode()


def test_the_form_names_the_organisations_time_zone_as_the_default(alice_client, acme) -> None:
    acme.time_zone = "Europe/Warsaw"
    acme.save()
    html = alice_client.get(SETTINGS).content.decode()
    assert "The organisation&#x27;s: Europe/Warsaw" in html or "The organisation's: Europe/Warsaw" in html
    assert '<option value="America/New_York">' in html
    assert '<option value="de">Deutsch</option>' in html


def test_saving_stores_the_choice_and_the_next_page_speaks_it(alice_client, alice, board) -> None:
    response = save(alice_client, language="de", time_zone="Europe/Berlin")
    assert response.status_code == 302
    assert response["Location"] == SETTINGS + "?saved=1"
    stored = PersonSettings.objects.get(user=alice)
    assert (stored.language, stored.time_zone) == ("de", "Europe/Berlin")
    assert alice_client.session[locale.SESSION_KEY] == {"language": "de", "time_zone": "Europe/Berlin"}

    page = alice_client.get(reverse("charts:dashboard", args=["sales"]))
    assert html_lang(page) == "de"
    html = page.content.decode()
    assert "Abmelden" in html and "Meine Dashboards" in html
    assert "Log out" not in html
    saved = alice_client.get(SETTINGS + "?saved=1").content.decode()
    assert "Ihre Einstellungen sind gespeichert." in saved


def test_saving_blanks_returns_to_the_browsers_language(alice_client, alice) -> None:
    save(alice_client, language="pl")
    assert html_lang(alice_client.get(SETTINGS)) == "pl"
    save(alice_client)
    assert PersonSettings.objects.get(user=alice).language == ""
    assert html_lang(alice_client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="de")) == "de"
    assert html_lang(alice_client.get(SETTINGS)) == "en"


@pytest.mark.parametrize(("header", "expected", "text"), [("de-DE,de;q=0.9", "de", "Abmelden"), ("pl", "pl", "Wyloguj się")])
def test_the_browsers_language_is_used_when_the_person_chose_none(alice_client, board, header, expected, text) -> None:
    page = alice_client.get(reverse("charts:dashboard_list"), HTTP_ACCEPT_LANGUAGE=header)
    assert html_lang(page) == expected
    assert text in page.content.decode()


def test_the_persons_choice_beats_the_browsers(alice_client, board) -> None:
    save(alice_client, language="de")
    page = alice_client.get(reverse("charts:dashboard_list"), HTTP_ACCEPT_LANGUAGE="pl")
    assert html_lang(page) == "de"
    assert "Wyloguj" not in page.content.decode()


@pytest.mark.parametrize("data", [{"language": "fr"}, {"language": "xx-yy"}, {"time_zone": "Mars/Olympus"}, {"time_zone": "UTC+1"}])
def test_an_unknown_language_or_time_zone_is_a_form_error_and_nothing_is_saved(alice_client, alice, data) -> None:
    response = save(alice_client, **data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "field__error" in response.content.decode()
    assert not PersonSettings.objects.filter(user=alice).exists()
    assert alice_client.session.get(locale.SESSION_KEY) in (None, {"language": "", "time_zone": ""})


def test_a_sign_in_copies_the_persons_settings_into_the_session(client, alice) -> None:
    PersonSettings.objects.create(user=alice, language="pl", time_zone="Europe/Warsaw")
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.session[locale.SESSION_KEY] == {"language": "pl", "time_zone": "Europe/Warsaw"}
    assert html_lang(client.get(reverse("charts:dashboard_list"))) == "pl"


def test_a_sign_in_without_settings_leaves_both_to_the_browser_and_the_organisation(client, alice) -> None:
    client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert client.session[locale.SESSION_KEY] == {"language": "", "time_zone": ""}


def _today_of_the_page(client) -> str:
    page = client.get(reverse("charts:dashboard", args=["sales"]) + "?period=last_7_days")
    assert page.status_code == 200
    return page_config(page)["filters"]["date_to"]


def _dates_in(zone: str) -> set[str]:
    return {datetime.now(ZoneInfo(zone)).date().isoformat()}


def test_the_persons_time_zone_decides_what_today_is(alice_client, acme, board) -> None:
    acme.time_zone = LATEST
    acme.save()
    before = _dates_in(EARLIEST)
    save(alice_client, time_zone=EARLIEST)
    assert _today_of_the_page(alice_client) in before | _dates_in(EARLIEST)


def test_without_one_the_organisations_time_zone_decides(alice_client, acme, board) -> None:
    acme.time_zone = LATEST
    acme.save()
    before = _dates_in(LATEST)
    today = _today_of_the_page(alice_client)
    assert today in before | _dates_in(LATEST)
    assert today not in _dates_in(EARLIEST)


def _page_queries(client, path: str) -> int:
    client.get(path)  # warm: tokens minted and cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_a_persons_settings_cost_the_dashboard_page_no_query(client, alice, carol, acme, board) -> None:
    path = reverse("charts:dashboard", args=["sales"])
    client.force_login(alice)
    without = _page_queries(client, path)
    PersonSettings.objects.create(user=carol, language="de", time_zone=EARLIEST)
    client.force_login(carol)
    session = client.session
    assert session[locale.SESSION_KEY] == {"language": "de", "time_zone": EARLIEST}
    assert _page_queries(client, path) == without


def test_a_single_sign_on_fills_the_session_too_and_its_first_page_speaks_the_persons_language(client, settings, acme) -> None:
    settings.PANES_SSO_ENABLED = True
    settings.PANES_SSO_HEADER = "X-Remote-User"
    settings.PANES_SSO_TRUSTED_PROXIES = ["10.0.0.5"]
    dora = get_user_model().objects.create_user(username="dora")  # no password: sign-on may sign her in
    Membership.objects.create(user=dora, tenant=acme)
    PersonSettings.objects.create(user=dora, language="pl", time_zone="Europe/Warsaw")
    page = client.get(reverse("charts:dashboard_list"), REMOTE_ADDR="10.0.0.5", HTTP_X_REMOTE_USER="dora")
    assert page.status_code == 200
    assert client.session[locale.SESSION_KEY] == {"language": "pl", "time_zone": "Europe/Warsaw"}
    assert html_lang(page) == "pl"


def test_an_error_page_speaks_the_browsers_language(alice_client) -> None:
    response = alice_client.get("/d/no-such-dashboard/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 404
    assert html_lang(response) == "pl"
    assert "Nie znaleziono strony" in response.content.decode()


def test_the_sign_in_page_speaks_the_browsers_language(client, db) -> None:
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "Benutzername" in html and "Passwort" in html
