"""Chart and dashboard titles per language: set in the admin, shown in the active language."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from charts.admin.dashboards import DashboardAdminForm
from charts.forms import ChartAdminForm
from charts.models import Chart, Dashboard
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme):
    revenue = make_chart(workspace, "Revenue", "revenue", title_translations={"de": "Umsatz", "pl": "Przychód"})
    orders = make_chart(workspace, "Orders", "orders", title_translations={"de": "Bestellungen"})
    dashboard = make_dashboard("sales", acme, charts=[revenue, orders])
    dashboard.title_translations = {"de": "Verkaufsübersicht", "pl": "Przegląd sprzedaży"}
    dashboard.save()
    return dashboard


def json_script(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(unescape(found.group(1)))


def render(source: str, **context: object) -> str:
    return Template("{% load panes_i18n %}" + source).render(Context(context))


def test_the_filter_follows_the_active_language_and_falls_back_to_english(workspace) -> None:
    chart = make_chart(workspace, "Revenue", "revenue", title_translations={"de": "Umsatz", "pl": " "})
    with translation.override("de"):
        assert render("{{ chart|title_in }}", chart=chart) == "Umsatz"
    with translation.override("pl"):
        assert render("{{ chart|title_in }}", chart=chart) == "Revenue"  # blank means none
    with translation.override("en"):
        assert render("{{ chart|title_in }}", chart=chart) == "Revenue"
    assert render('{{ chart|title_in:"de" }}', chart=chart) == "Umsatz"


def test_the_filter_shows_a_plain_title_as_it_is_and_nothing_for_none() -> None:
    class Named:
        title = "My own board"

    assert render("{{ thing|title_in }}", thing=Named()) == "My own board"
    assert render("[{{ thing|title_in }}]", thing=None) == "[]"


@pytest.mark.parametrize(
    ("language", "dashboard", "charts"),
    [
        ("de", "Verkaufsübersicht", ["Umsatz", "Bestellungen"]),
        ("pl", "Przegląd sprzedaży", ["Przychód", "Orders"]),
        ("en", "Sales", ["Revenue", "Orders"]),
    ],
)
def test_the_dashboard_page_shows_the_titles_of_its_language(alice_client, board, language, dashboard, charts) -> None:
    html = alice_client.get(reverse("charts:dashboard", args=["sales"]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<title>{dashboard} · Panes</title>" in html
    assert f'<h1 class="page-title">{dashboard}</h1>' in html
    assert re.findall(r'<iframe class="tile__frame" src="[^"]*" title="([^"]*)"', html) == charts
    assert [c["title"] for c in json_script(html, "panes-page-config")["charts"]] == charts
    assert json_script(html, "panes-page-config")["title"] == dashboard


def test_the_dashboard_list_shows_the_translated_title(alice_client, board) -> None:
    html = alice_client.get(reverse("charts:dashboard_list"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert '<span class="card__title">Przegląd sprzedaży</span>' in html
    assert "2 wykresy" in html  # and the count in Polish, plural form for 2


def test_a_chart_frame_shows_the_translated_title(alice_client, board) -> None:
    revenue = Chart.objects.get(pipe_name="revenue")
    html = alice_client.get(reverse("charts:frame", args=[revenue.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "<title>Umsatz</title>" in html
    assert '<h2 class="frame__title">Umsatz</h2>' in html
    assert json_script(html, "panes-chart-config")["title"] == "Umsatz"


def test_an_unconfigured_tile_keeps_its_translated_title_and_says_why_in_the_language(alice_client, workspace, acme) -> None:
    regional = make_chart(workspace, "Regional", "regional", tenant_params="company_id,region", title_translations={"de": "Regional-DE"})
    make_dashboard("regions", acme, charts=[regional])
    html = alice_client.get(reverse("charts:dashboard", args=["regions"]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    tile = re.search(rf'<section[^>]*data-chart="{regional.pk}"[^>]*>(.*?)</section>', html, re.S)
    assert 'aria-label="Regional-DE"' in tile.group(0)
    assert '<h2 class="tile__title">Regional-DE</h2>' in tile.group(1)
    assert "Für Ihre Organisation nicht eingerichtet" in tile.group(1)


# --- Admin --------------------------------------------------------------------------------------------


def chart_data(workspace, **overrides) -> dict:
    data = {
        "workspace": workspace.pk, "title": "Revenue", "description": "", "kind": Chart.Kind.PANES,
        "pipe_name": "revenue", "pipe_id": "", "height": "320", "tenant_params": "", "snippet": "",
        "chart_type": Chart.ChartType.LINE, "index_column": "day", "category_columns": "total",
        "filter_params": "", "colors": "", "unit": "", "refresh_seconds": "", "preview_tenant": "",
    }
    data.update(overrides)
    return data


def test_the_chart_form_has_one_title_field_per_other_language(workspace) -> None:
    with translation.override("en"):
        form = ChartAdminForm()
        assert str(form.fields["title_de"].label) == "Title (Deutsch)"
        assert str(form.fields["title_pl"].label) == "Title (Polski)"
    with translation.override("de"):
        assert str(form.fields["title_pl"].label) == "Titel (Polski)"  # the admin's own language
    assert "title_en" not in form.fields and "title_translations" not in form.fields


def test_the_chart_form_stores_the_titles_and_a_blank_one_removes_it(workspace) -> None:
    form = ChartAdminForm(data=chart_data(workspace, title_de=" Umsatz ", title_pl="Przychód"))
    assert form.is_valid(), form.errors
    chart = form.save()
    assert chart.title_translations == {"de": "Umsatz", "pl": "Przychód"}

    form = ChartAdminForm(data=chart_data(workspace, title_de="Erlöse", title_pl=""), instance=chart)
    assert form.is_valid(), form.errors
    chart = form.save()
    chart.refresh_from_db()
    assert chart.title_translations == {"de": "Erlöse"}
    assert ChartAdminForm(instance=chart).initial["title_de"] == "Erlöse"


def test_the_chart_change_page_shows_the_stored_titles(staff_client, workspace) -> None:
    chart = make_chart(workspace, "Revenue", "revenue", title_translations={"pl": "Przychód"})
    html = staff_client.get(reverse("admin:charts_chart_change", args=[chart.pk])).content.decode()
    assert "Title (Deutsch)" in html and "Title (Polski)" in html
    assert re.search(r'<input[^>]*name="title_pl"[^>]*value="Przychód"', html)


def dashboard_post(**overrides) -> dict:
    data = {
        "title": "Wall", "slug": "wall", "description": "", "refresh_seconds": "",
        "tiles-TOTAL_FORMS": "0", "tiles-INITIAL_FORMS": "0", "tiles-MIN_NUM_FORMS": "0", "tiles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_the_dashboard_admin_saves_the_titles(staff_client, db) -> None:
    page = staff_client.get(reverse("admin:charts_dashboard_add")).content.decode()
    assert page.index('name="title"') < page.index('name="title_de"') < page.index('name="title_pl"')
    assert 'name="title_translations"' not in page
    response = staff_client.post(reverse("admin:charts_dashboard_add"), dashboard_post(title_de="Wand", title_pl="Ściana"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Dashboard.objects.get(slug="wall").title_translations == {"de": "Wand", "pl": "Ściana"}


def test_the_dashboard_admin_keeps_titles_of_languages_it_does_not_offer(staff_client, db) -> None:
    board = Dashboard.objects.create(title="Wall", slug="wall", title_translations={"fr": "Mur", "de": "Wand"})
    assert DashboardAdminForm(instance=board).initial["title_de"] == "Wand"
    response = staff_client.post(
        reverse("admin:charts_dashboard_change", args=[board.pk]), dashboard_post(title_de="", title_pl="Ściana")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    board.refresh_from_db()
    assert board.title_translations == {"fr": "Mur", "pl": "Ściana"}


def test_the_tenant_changelist_shows_its_time_zone(staff_client, acme) -> None:
    acme.time_zone = "Europe/Warsaw"
    acme.save()
    html = staff_client.get(reverse("admin:charts_tenant_changelist")).content.decode()
    assert "column-time_zone" in html and "Europe/Warsaw" in html
