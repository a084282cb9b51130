"""The scripts' languages: the JavaScript catalogue at /jsi18n/<lang>/, ``?locale=xx`` choosing a
page's language and its frames', and the locale and time zone a chart frame draws with."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from charts import locale
from charts.i18n_views import catalogue_url, catalogue_version
from charts.models import PersonSettings
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.test_frame_view import config_of
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme):
    sales = make_chart(
        workspace, "Sales", "sales", chart_type="bar", index_column="product", category_columns="revenue",
        filter_params="date_from, date_to", drill_pipe="orders_detail", drill_params="product",
        cross_filter_param="product",
    )
    return make_dashboard("sales", acme, charts=[sales])


def catalogue(client, lang: str):
    return client.get(reverse("charts:jsi18n", args=[lang]))


def iframe_srcs(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe[^>]*\ssrc="([^"]+)"', html)]


def test_the_catalogue_holds_the_languages_translations(client, db) -> None:
    german = catalogue(client, "de")
    assert german.status_code == 200
    assert german["Content-Type"].startswith("text/javascript")
    text = german.content.decode()
    assert "Wird geladen \\u2026" in text or "Wird geladen …" in text
    assert "Keine Daten f" in text
    polish = catalogue(client, "pl").content.decode()
    assert "Brak danych za ten okres" in polish
    # Polish has three plural forms, and the catalogue says how to pick one.
    assert "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)" in polish


def test_the_english_catalogue_translates_nothing(client, db) -> None:
    english = catalogue(client, "en")
    assert english.status_code == 200
    assert "Keine Daten" not in english.content.decode()


@pytest.mark.parametrize("lang", ["xx", "DE", "de-at", "en-us", "fr"])
def test_other_languages_are_404(client, db, lang) -> None:
    assert catalogue(client, lang).status_code == 404


def test_the_catalogue_is_cacheable_and_reads_no_session(alice_client) -> None:
    response = alice_client.get(catalogue_url("de"))
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert "Cookie" not in response.get("Vary", "")
    assert response["Content-Language"] == "de"
    assert not response.cookies


@pytest.mark.parametrize("query", ["", "?v=", "?v=0123456789ab"])
def test_a_catalogue_without_the_current_version_is_kept_an_hour(client, db, query) -> None:
    # A page from before a deploy asks for an older version: it gets the current catalogue,
    # which browsers must not keep long under that address.
    response = client.get(reverse("charts:jsi18n", args=["de"]) + query)
    assert response.status_code == 200 and "Keine Daten f" in response.content.decode()
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=3600"}


def test_the_catalogues_version_changes_when_its_translations_do(tmp_path, settings) -> None:
    messages = tmp_path / "de" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    settings.LOCALE_PATHS = [tmp_path]
    missing = catalogue_version("de")
    (messages / "djangojs.mo").write_bytes(b"first build")
    first = catalogue_version("de")
    (messages / "djangojs.mo").write_bytes(b"second, a new translation")
    second = catalogue_version("de")
    assert len({missing, first, second}) == 3
    assert catalogue_version("pl") == missing  # no catalogue: the same as none
    assert catalogue_url("de") == f"/jsi18n/de/?v={second}"


def test_a_signed_in_persons_language_does_not_change_the_catalogue(alice_client, alice) -> None:
    session = alice_client.session
    session[locale.SESSION_KEY] = {"language": "pl", "time_zone": ""}
    session.save()
    assert "Keine Daten f" in catalogue(alice_client, "de").content.decode()


def test_pages_load_the_catalogue_of_their_language_before_their_modules(alice_client, board) -> None:
    html = alice_client.get(reverse("charts:dashboard", args=["sales"]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # A classic script, deferred or not, runs before the (deferred) module scripts after it.
    script = html.index(f'<script src="{catalogue_url("de")}"')
    assert script < html.index('type="module"')


def test_locale_in_the_query_makes_the_page_and_its_frames_that_language(alice_client, board) -> None:
    response = alice_client.get(reverse("charts:dashboard", args=["sales"]) + "?locale=de", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert catalogue_url("de") in html
    [src] = iframe_srcs(html)
    assert parse_qs(urlsplit(src).query)["locale"] == ["de"]
    # The drill-through and the token refresh ask for the same language.
    drill = unescape(re.search(r'data-drill-url="([^"]+)"', html).group(1))
    assert parse_qs(urlsplit(drill).query)["locale"] == ["de"]
    token_url = unescape(re.search(r'data-token-url="([^"]+)"', html).group(1))
    assert parse_qs(urlsplit(token_url).query)["locale"] == ["de"]
    # "locale" is a presentation key, not a filter the page reports as ignored.
    assert "ignored" not in html


def test_locale_in_the_query_wins_over_the_persons_own_language(alice_client, alice, board) -> None:
    session = alice_client.session
    session[locale.SESSION_KEY] = {"language": "pl", "time_zone": ""}
    session.save()
    response = alice_client.get(reverse("charts:dashboard", args=["sales"]) + "?locale=de")
    assert response["Content-Language"] == "de"
    plain = alice_client.get(reverse("charts:dashboard", args=["sales"]))
    assert plain["Content-Language"] == "pl"


def test_an_unknown_locale_is_ignored(alice_client, board) -> None:
    response = alice_client.get(reverse("charts:dashboard", args=["sales"]) + "?locale=xx", HTTP_ACCEPT_LANGUAGE="pl")
    assert response["Content-Language"] == "pl"
    [src] = iframe_srcs(response.content.decode())
    assert "locale" not in parse_qs(urlsplit(src).query)


def test_a_page_without_locale_keeps_bare_frame_urls(alice_client, board) -> None:
    html = alice_client.get(reverse("charts:dashboard", args=["sales"]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    [src] = iframe_srcs(html)
    assert urlsplit(src).query == ""


def test_the_frame_draws_in_the_requests_language_and_the_persons_time_zone(alice_client, alice, board) -> None:
    chart = board.tiles.get().chart
    PersonSettings.objects.create(user=alice, language="pl", time_zone="America/New_York")
    session = alice_client.session
    session[locale.SESSION_KEY] = {"language": "pl", "time_zone": "America/New_York"}
    session.save()
    config = config_of(alice_client.get(reverse("charts:frame", args=[chart.pk])))
    assert config["locale"] == "pl" and config["time_zone"] == "America/New_York"
    config = config_of(alice_client.get(reverse("charts:frame", args=[chart.pk]) + "?locale=de"))
    assert config["locale"] == "de" and config["time_zone"] == "America/New_York"
    assert "error" not in config  # locale is no filter


def test_the_frame_falls_back_to_the_browsers_language_and_the_tenants_time_zone(alice_client, acme, board) -> None:
    acme.time_zone = "Europe/Warsaw"
    acme.save()
    chart = board.tiles.get().chart
    config = config_of(alice_client.get(reverse("charts:frame", args=[chart.pk]), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert config["locale"] == "de" and config["time_zone"] == "Europe/Warsaw"
    config = config_of(alice_client.get(reverse("charts:drill_frame", args=[chart.pk]) + "?locale=pl"))
    assert config["locale"] == "pl"
