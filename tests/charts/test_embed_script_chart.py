"""/embed/chart/<id>/ (what embed.js frames for data-panes-chart): one chart, with the dashboard
embed's rules — signed in, visible to the active tenant through a dashboard, else 404, and
framable only by PANES_EMBED_ALLOWED_ORIGINS."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from charts.models import TokenGrant
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard, make_tinybird_chart
from tests.conftest import LOCAL_KEY_ENV

INTRANET = "https://intranet.example.com"


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def sales(workspace, acme):
    chart = make_chart(workspace, "Sales", "sales", filter_params="date_from,date_to")
    make_dashboard("sales", acme, charts=[chart, make_chart(workspace, "Costs", "costs")])
    return chart


def url(chart_id: int, query: str = "") -> str:
    return reverse("charts:chart_embed", args=[chart_id]) + (f"?{query}" if query else "")


def iframe_srcs(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe class="tile__frame" src="([^"]+)"', html)]


def page_config(html: str) -> dict:
    return json.loads(unescape(re.search(r'id="panes-page-config" type="application/json">(.*?)</script>', html, re.S).group(1)))


def test_it_renders_one_full_width_tile_with_a_token_for_that_chart_only(alice_client, sales) -> None:
    response = alice_client.get(url(sales.pk, "date_from=2026-03-01"))
    html = response.content.decode()
    assert response.status_code == 200
    [src] = iframe_srcs(html)
    parts = urlsplit(src)
    assert parts.path == reverse("charts:frame", args=[sales.pk])
    assert parse_qs(parts.query) == {"date_from": ["2026-03-01"]}
    claims = decode(unquote(parts.fragment.removeprefix("token=")))
    assert [s["resource"] for s in claims["scopes"]] == ["sales"]  # not the dashboard's other pipe
    assert "--span: 12" in html
    assert "<title>Sales · Panes</title>" in html
    assert 'class="topbar"' not in html
    assert TokenGrant.objects.get().dashboard is None


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_only_the_allowed_origins_may_frame_it_and_the_page_knows_them(alice_client, sales) -> None:
    response = alice_client.get(url(sales.pk))
    assert response["Content-Security-Policy"].split("; ")[-1] == f"frame-ancestors 'self' {INTRANET}"
    assert "X-Frame-Options" not in response
    config = page_config(response.content.decode())
    assert {k: config[k] for k in ("embed", "title", "filters", "origins")} == {
        "embed": True, "title": "Sales", "filters": {}, "origins": [INTRANET]
    }
    assert config["charts"] == [{"id": sales.pk, "title": "Sales"}] and config["refresh_seconds"] is None


def test_the_dashboard_page_tells_its_script_its_filters_and_no_parent_origins(alice_client, sales) -> None:
    url = reverse("charts:dashboard", args=["sales"]) + "?date_to=2026-05-31&company_id=globex"
    config = page_config(alice_client.get(url).content.decode())
    assert config["origins"] == [] and config["embed"] is False
    assert config["filters"] == {"date_to": "2026-05-31"}


def test_another_tenants_chart_is_404(bob_client, sales) -> None:
    assert bob_client.get(url(sales.pk)).status_code == 404
    assert bob_client.get(reverse("charts:chart_embed_token", args=[sales.pk])).status_code == 404


def test_a_chart_on_no_visible_dashboard_is_404(alice_client, workspace, sales) -> None:
    loose = make_chart(workspace, "Loose", "loose")
    assert alice_client.get(url(loose.pk)).status_code == 404
    assert alice_client.get(url(999_999)).status_code == 404


def test_staff_without_a_tenant_get_no_organisation_and_a_way_to_the_admin(staff_client, sales) -> None:
    response = staff_client.get(url(sales.pk))
    assert response.status_code == 200 and "No organisation" in response.content.decode()
    assert 'target="_blank" rel="noopener">Open the admin</a>' in response.content.decode()
    assert "<iframe" not in response.content.decode()


def test_anonymous_visitors_get_a_sign_in_link_opening_a_new_window(client, sales) -> None:
    response = client.get(url(sales.pk))
    html = response.content.decode()
    assert response.status_code == 200 and "<iframe" not in html
    assert f'href="{reverse("login")}?next=' in html and 'target="_blank" rel="noopener"' in html


def test_tinybird_charts_can_be_embedded_alone_too(alice_client, workspace, acme) -> None:
    chart = make_tinybird_chart(workspace)
    make_dashboard("tb", acme, charts=[chart])
    [src] = iframe_srcs(alice_client.get(url(chart.pk)).content.decode())
    assert src.startswith("https://app.tinybird.co/")


def test_its_token_endpoint_renews_that_charts_token(alice_client, sales) -> None:
    response = alice_client.get(reverse("charts:chart_embed_token", args=[sales.pk]))
    document = response.json()
    assert response.status_code == 200
    assert [s["resource"] for s in decode(document["token"])["scopes"]] == ["sales"]
    assert document["tenant"] == "acme"
    html = alice_client.get(url(sales.pk)).content.decode()
    assert f'data-token-url="{reverse("charts:chart_embed_token", args=[sales.pk])}"' in html


def test_a_bad_filter_is_a_400_that_says_why(alice_client, sales) -> None:
    response = alice_client.get(url(sales.pk, "date_to=31.03.2026"))
    assert response.status_code == 400
    assert "To: use a date written YYYY-MM-DD" in response.content.decode()
