"""The print page and the PDF and PNG downloads, with the renderer stood in for: who may ask,
what the render is asked for (the viewer's query, theme, session, language and zone), what comes
back (names, a clear 503 with nothing half-sent)."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from charts import render
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard, make_tinybird_chart
from tests.conftest import LOCAL_KEY_ENV

QUERY = {"date_from": "2026-11-01", "date_to": "2026-11-30", "city": "Berlin"}


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def charts(workspace):
    return {
        "city": make_chart(workspace, "Revenue by city", "sales_by_city", filter_params="date_from,date_to,city"),
        "tinybird": make_tinybird_chart(workspace),
        "elsewhere": make_chart(workspace, "Not on the board", "other"),
    }


@pytest.fixture
def board(acme, charts):
    board = make_dashboard("sales-overview", acme, charts=[charts["city"], charts["tinybird"]])
    board.title_translations = {"de": "Verkaufsübersicht"}
    board.save()
    return board


class Recorder:
    """Stands in for charts.render.render_dashboard: records each call, answers ``drawn`` or raises."""

    def __init__(self, charts) -> None:
        self.calls: list[dict] = []
        self.error: Exception | None = None
        self.chart = charts["city"]

    def __call__(self, audience, dashboard, query, **options) -> render.DashboardRender:
        self.calls.append({"audience": audience, "dashboard": dashboard, "query": dict(query), **options})
        if self.error is not None:
            raise self.error
        png = render.png_with_text(b"\x89PNG\r\n\x1a\n" + render._chunk(b"IHDR", bytes(13)) + render._chunk(b"IEND", b""), "Description", "city\r\n")
        chart = render.ChartRender(
            chart_id=self.chart.pk, title="Revenue by city", state="ready", png=png, csv="city\r\n",
            csv_name="x.csv", png_name="revenue-by-city-2026-11-01-2026-11-30.png",
        )
        return render.DashboardRender(
            title="Sales overview", filename_stem="sales-overview-2026-11-01-2026-11-30", period_label="",
            filters=[], pdf=b"%PDF-1.4 test" if options.get("pdf") else None, charts=[chart],
        )


@pytest.fixture
def renderer(monkeypatch, charts) -> Recorder:
    recorder = Recorder(charts)
    monkeypatch.setattr(render, "render_dashboard", recorder)
    return recorder


def pdf_url(slug: str = "sales-overview") -> str:
    return reverse("charts:dashboard_pdf", args=[slug])


def png_url(chart_id: int, slug: str = "sales-overview") -> str:
    return reverse("charts:chart_png", args=[slug, chart_id])


@pytest.mark.parametrize("name", ["print", "dashboard_pdf"])
def test_it_needs_a_signed_in_person(client, board, renderer, name) -> None:
    response = client.get(reverse(f"charts:{name}", args=[board.slug]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert renderer.calls == []


def test_the_png_needs_a_signed_in_person(client, board, charts, renderer) -> None:
    response = client.get(png_url(charts["city"].pk))
    assert response.status_code == 302
    assert renderer.calls == []


@pytest.mark.parametrize("name", ["print", "dashboard_pdf"])
def test_another_organisations_dashboard_is_404(bob_client, board, renderer, name) -> None:
    assert bob_client.get(reverse(f"charts:{name}", args=[board.slug])).status_code == 404
    assert renderer.calls == []


def test_the_pdf_is_drawn_with_the_viewers_query_theme_session_language_and_zone(alice_client, alice, acme, board, renderer) -> None:
    alice_client.get(reverse("charts:dashboard", args=[board.slug]))  # a token cached in the session
    response = alice_client.get(pdf_url(), {**QUERY, "theme": "dark"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="sales-overview-2026-11-01-2026-11-30.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content == b"%PDF-1.4 test"
    [call] = renderer.calls
    assert call["query"] == QUERY
    assert call["theme"] == "dark"
    assert call["pdf"] is True
    assert call["chart_ids"] == []  # the PDF alone: no tile is photographed for it
    assert call["base_url"] == "http://testserver"
    assert call["audience"] == render.Audience(user=alice, tenant=acme, language="de", time_zone="UTC")
    assert call["session_from"].session_key == alice_client.session.session_key
    assert "panes.tokens" in call["session_from"]  # the same token the page uses


def test_the_theme_defaults_to_the_viewers_cookie(alice_client, board, renderer) -> None:
    alice_client.cookies["panes_theme"] = "dark"
    alice_client.get(pdf_url())
    assert renderer.calls[0]["theme"] == "dark"


def test_the_sites_own_address_wins_when_set(alice_client, board, renderer, settings) -> None:
    settings.PANES_SITE_URL = "https://panes.example.test"
    alice_client.get(pdf_url())
    assert renderer.calls[0]["base_url"] == "https://panes.example.test"


@pytest.mark.parametrize(
    "allowed, host",
    [
        (["intranet.example.test"], "intranet.example.test"),
        ([".example.test"], "panes.example.test:8443"),
        # loopback is always the server itself, as in `make run` (DEBUG, ALLOWED_HOSTS "*")
        (["*"], "localhost:8000"),
        (["*"], "127.0.0.1:8123"),
        (["*"], "[::1]:8000"),
    ],
)
def test_without_the_sites_address_a_named_host_is_used(alice_client, board, renderer, settings, allowed, host) -> None:
    settings.ALLOWED_HOSTS = allowed
    assert alice_client.get(pdf_url(), HTTP_HOST=host).status_code == 200
    assert renderer.calls[0]["base_url"] == f"http://{host}"


def test_a_host_only_the_wildcard_allows_is_never_where_the_renderer_goes(alice_client, board, monkeypatch, settings) -> None:
    # DEBUG's ALLOWED_HOSTS "*" lets any Host header in: the server's browser, carrying a copy of
    # the viewer's session, must not be sent there. The real renderer refuses before it starts.
    settings.ALLOWED_HOSTS = ["*"]
    monkeypatch.setattr(render, "render_session", lambda *args: pytest.fail("a session was made for the render"))
    response = alice_client.get(pdf_url(), HTTP_HOST="internal-service.corp:8080")
    assert response.status_code == 503
    assert "Exports need the site&#x27;s address (PANES_SITE_URL)." in response.content.decode()
    assert "Content-Disposition" not in response


def test_a_failed_render_is_a_clear_503_and_no_file(alice_client, board, renderer) -> None:
    renderer.error = render.RenderError("These charts were still loading after 60 seconds: Revenue by city")
    response = alice_client.get(pdf_url(), QUERY)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    text = unescape(response.content.decode())
    assert "The PDF could not be drawn: These charts were still loading after 60 seconds: Revenue by city" in text
    assert reverse("charts:dashboard", args=[board.slug]) in text


def test_the_png_of_a_panes_chart_is_its_tile_named_after_the_chart_and_range(alice_client, board, charts, renderer) -> None:
    response = alice_client.get(png_url(charts["city"].pk), {**QUERY, "theme": "dark"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="revenue-by-city-2026-11-01-2026-11-30.png"'
    assert render.png_texts(response.content) == {"Description": "city\r\n"}
    [call] = renderer.calls
    assert (call["chart_ids"], call["pdf"], call["theme"], call["query"]) == ([charts["city"].pk], False, "dark", QUERY)


@pytest.mark.parametrize("which", ["tinybird", "elsewhere"])
def test_a_png_only_of_a_panes_chart_on_that_dashboard(alice_client, board, charts, renderer, which) -> None:
    assert alice_client.get(png_url(charts[which].pk)).status_code == 404
    assert renderer.calls == []


def test_a_png_of_another_organisations_dashboard_is_404(bob_client, board, charts, renderer) -> None:
    assert bob_client.get(png_url(charts["city"].pk)).status_code == 404


def test_a_failed_png_says_so(alice_client, board, charts, renderer) -> None:
    renderer.error = render.RenderError("Chromium could not be started")
    response = alice_client.get(png_url(charts["city"].pk))
    assert response.status_code == 503
    assert "The image could not be drawn: Chromium could not be started" in unescape(response.content.decode())


def test_the_print_page_heads_the_grid_with_what_it_shows(alice_client, board, charts) -> None:
    response = alice_client.get(reverse("charts:print", args=[board.slug]), QUERY, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    html = response.content.decode()
    facts = json.loads(re.search(r'<script id="panes-print-facts" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert facts["title"] == "Verkaufsübersicht"
    assert facts["filename_stem"] == "sales-overview-2026-11-01-2026-11-30"
    assert facts["filters"] == [[facts["filters"][0][0], "Berlin"]]
    text = unescape(html)
    assert "Verkaufsübersicht" in text and "Acme" in text and "Berlin" in text
    assert facts["period_label"] in text
    assert "data-panes-controls" not in html  # no filter bar on paper
    frame = reverse("charts:frame", args=[charts["city"].pk])
    assert re.search(rf'<iframe[^>]+src="{frame}\?[^"]*city=Berlin', html)
    assert "no-store" in response["Cache-Control"]
