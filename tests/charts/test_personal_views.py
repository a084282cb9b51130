"""Personal dashboard pages: the owner's own per tenant, 404 to everyone else, validated on the
server, rendered and minted exactly like shared dashboards."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from charts import personal
from charts.models import Dashboard, DashboardChart, TokenGrant
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def charts(workspace, acme, globex):
    sales = make_chart(workspace, "Sales", "sales")
    stock = make_chart(workspace, "Stock", "stock")
    secret = make_chart(workspace, "Globex only", "globex_only")
    make_dashboard("sales", acme, globex, charts=[sales])
    make_dashboard("ops", acme, charts=[stock])
    make_dashboard("globex-ops", globex, charts=[secret])
    return {"sales": sales, "stock": stock, "secret": secret}


@pytest.fixture
def board(charts, alice, acme) -> Dashboard:
    board = personal.create_dashboard(alice, acme, "Morning")
    personal.add_tile(board, charts["sales"])
    personal.add_tile(board, charts["stock"], width=4)
    return board


def tile_ids(board: Dashboard) -> list[int]:
    return list(DashboardChart.objects.filter(dashboard=board).order_by("position", "id").values_list("pk", flat=True))


def iframe_srcs(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe[^>]*\ssrc="([^"]+)"', html)]


# --- List, create, access -------------------------------------------------------------------------


def test_the_list_shows_only_my_dashboards_in_my_active_tenant(client, board, carol, acme, globex) -> None:
    personal.create_dashboard(carol, acme, "Carol in Acme")
    personal.create_dashboard(carol, globex, "Carol in Globex")
    client.force_login(carol)
    client.post(reverse("charts:switch_tenant"), {"tenant": acme.pk})
    html = client.get(reverse("charts:personal_list")).content.decode()
    assert "Carol in Acme" in html and "Carol in Globex" not in html and "Morning" not in html
    client.post(reverse("charts:switch_tenant"), {"tenant": globex.pk})
    html = client.get(reverse("charts:personal_list")).content.decode()
    assert "Carol in Globex" in html and "Carol in Acme" not in html


def test_creating_a_dashboard_owns_it_in_the_active_tenant(alice_client, alice, acme, charts) -> None:
    response = alice_client.post(reverse("charts:personal_create"), {"title": "  Weekly  "})
    board = Dashboard.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("charts:personal_edit", args=[board.pk])
    assert (board.title, board.owner_tenant, board.visible_to_all) == ("Weekly", acme, False)


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_bad_title_is_a_form_error(alice_client, title) -> None:
    response = alice_client.post(reverse("charts:personal_create"), {"title": title})
    assert response.status_code == 400
    assert not Dashboard.objects.exists()


def test_another_user_gets_404_everywhere(bob_client, board, charts) -> None:
    [first, _] = tile_ids(board)
    gets = ["personal_dashboard", "personal_edit", "personal_token"]
    for name in gets:
        assert bob_client.get(reverse(f"charts:{name}", args=[board.pk])).status_code == 404, name
    posts = {
        "personal_rename": {"title": "Mine now"},
        "personal_delete": {},
        "personal_add_tile": {"chart": charts["sales"].pk, "width": 6},
        "personal_order": {"order": ",".join(map(str, reversed(tile_ids(board))))},
    }
    for name, data in posts.items():
        assert bob_client.post(reverse(f"charts:{name}", args=[board.pk]), data).status_code == 404, name
    url = reverse("charts:personal_tile", args=[board.pk, first])
    assert bob_client.post(url, {"action": "remove"}).status_code == 404
    board.refresh_from_db()
    assert board.title == "Morning" and len(tile_ids(board)) == 2


def test_the_owner_in_another_tenant_gets_404(client, carol, acme, globex, charts) -> None:
    board = personal.create_dashboard(carol, acme, "Acme view")
    client.force_login(carol)
    client.post(reverse("charts:switch_tenant"), {"tenant": globex.pk})
    assert client.get(reverse("charts:personal_dashboard", args=[board.pk])).status_code == 404
    client.post(reverse("charts:switch_tenant"), {"tenant": acme.pk})
    assert client.get(reverse("charts:personal_dashboard", args=[board.pk])).status_code == 200


def test_personal_dashboards_are_not_reachable_as_shared_ones(alice_client, board) -> None:
    assert alice_client.get(reverse("charts:dashboard", args=[board.slug])).status_code == 404
    assert alice_client.get(reverse("charts:dashboard_token", args=[board.slug])).status_code == 404
    assert board.title not in alice_client.get(reverse("charts:dashboard_list")).content.decode()


def test_anonymous_visitors_are_sent_to_login(client, board) -> None:
    response = client.get(reverse("charts:personal_dashboard", args=[board.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_people_without_an_organisation_get_the_no_organisation_page(staff_client) -> None:
    response = staff_client.get(reverse("charts:personal_list"))
    assert response.status_code == 200 and "Open the admin" in response.content.decode()


def test_edit_endpoints_refuse_get(alice_client, board) -> None:
    assert alice_client.get(reverse("charts:personal_rename", args=[board.pk])).status_code == 405


# --- Rendering and tokens -------------------------------------------------------------------------


def test_the_page_renders_the_grid_with_tenant_fixed_tokens(alice_client, board, charts) -> None:
    response = alice_client.get(reverse("charts:personal_dashboard", args=[board.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    srcs = iframe_srcs(html)
    assert [urlsplit(s).path for s in srcs] == [
        reverse("charts:frame", args=[charts["sales"].pk]),
        reverse("charts:frame", args=[charts["stock"].pk]),
    ]
    claims = decode(unquote(urlsplit(srcs[0]).fragment.removeprefix("token=")))
    assert {s["resource"]: s["fixed_params"] for s in claims["scopes"]} == {
        "sales": {"company_id": "acme"},
        "stock": {"company_id": "acme"},
    }
    assert f'data-token-url="{reverse("charts:personal_token", args=[board.pk])}"' in html
    assert "--span: 4" in html
    assert TokenGrant.objects.get().dashboard == board


def test_the_page_has_the_filter_bar_and_passes_the_dates_to_its_charts(alice_client, board, charts) -> None:
    charts["sales"].filter_params = ["date_from", "date_to"]
    charts["sales"].save()
    url = reverse("charts:personal_dashboard", args=[board.pk])
    response = alice_client.get(url + "?date_from=2026-03-01&date_to=2026-03-31&theme=dark")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-panes-controls' in html and 'id="panes-page-config"' in html
    assert 'name="date_from" value="2026-03-01"' in html and 'name="date_to" value="2026-03-31"' in html
    assert 'class="app theme-dark"' in html
    sales, stock = (parse_qs(urlsplit(src).query) for src in iframe_srcs(html))
    assert sales["date_from"] == ["2026-03-01"] and sales["date_to"] == ["2026-03-31"]
    assert "date_from" not in stock  # a chart that takes no dates gets none

    bad = alice_client.get(url + "?date_from=2026-13-01")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()


def test_the_token_endpoint_refreshes_the_personal_dashboard(alice_client, board) -> None:
    response = alice_client.get(reverse("charts:personal_token", args=[board.pk]))
    assert response.status_code == 200
    document = response.json()
    assert document["tenant"] == "acme" and document["token"]
    assert {s["resource"] for s in decode(document["token"])["scopes"]} == {"sales", "stock"}


def test_the_frames_of_its_charts_open(alice_client, board, charts) -> None:
    assert alice_client.get(reverse("charts:frame", args=[charts["stock"].pk])).status_code == 200


def test_a_chart_taken_away_from_the_tenant_is_neither_shown_nor_minted(alice_client, board, charts) -> None:
    Dashboard.objects.get(slug="ops").tiles.all().delete()
    html = alice_client.get(reverse("charts:personal_dashboard", args=[board.pk])).content.decode()
    assert [urlsplit(s).path for s in iframe_srcs(html)] == [reverse("charts:frame", args=[charts["sales"].pk])]
    document = alice_client.get(reverse("charts:personal_token", args=[board.pk])).json()
    assert {s["resource"] for s in decode(document["token"])["scopes"]} == {"sales"}
    assert alice_client.get(reverse("charts:frame", args=[charts["stock"].pk])).status_code == 404


def test_a_missing_signing_key_fails_only_the_tiles(alice_client, board, monkeypatch) -> None:
    monkeypatch.delenv(LOCAL_KEY_ENV)
    page = alice_client.get(reverse("charts:personal_dashboard", args=[board.pk]))
    assert page.status_code == 200 and "Charts of this workspace are not configured yet" in page.content.decode()
    answer = alice_client.get(reverse("charts:personal_token", args=[board.pk]))
    assert answer.status_code == 200 and answer.json()["workspaces"] == {}


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_costs_the_same_queries_whatever_the_number_of_tiles(
    client, alice, acme, workspace, django_assert_num_queries, count
) -> None:
    charts = [make_chart(workspace, f"Chart {i}", f"pipe_{i}") for i in range(count)]
    make_dashboard("shared", acme, charts=charts)
    board = personal.create_dashboard(alice, acme, "Many")
    for chart in charts:
        personal.add_tile(board, chart)
    client.force_login(alice)
    url = reverse("charts:personal_dashboard", args=[board.pk])
    client.get(url)  # the token is cached in the session from here on
    # [session, unless cached_db sessions read it from the shared cache], user, memberships, the
    # dashboard, its tiles (with charts and workspaces), tenant rules
    expected = 5 if settings.SESSION_ENGINE.endswith("cached_db") else 6
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(iframe_srcs(response.content.decode())) == count


# --- Editing --------------------------------------------------------------------------------------


def test_adding_a_chart_puts_it_last(alice_client, board, charts) -> None:
    Dashboard.objects.get(slug="ops").tiles.create(chart=make_chart(charts["sales"].workspace, "Returns", "returns"))
    returns = Dashboard.objects.get(slug="ops").tiles.get(chart__title="Returns").chart
    response = alice_client.post(
        reverse("charts:personal_add_tile", args=[board.pk]), {"chart": returns.pk, "width": 12, "height": 400}
    )
    assert response.status_code == 302
    last = DashboardChart.objects.filter(dashboard=board).order_by("position").last()
    assert (last.chart, last.width, last.height) == (returns, 12, 400)


def test_a_forged_chart_the_tenant_cannot_see_is_refused(alice_client, board, charts) -> None:
    for chart_id in (charts["secret"].pk, 99999, "abc"):
        response = alice_client.post(reverse("charts:personal_add_tile", args=[board.pk]), {"chart": chart_id, "width": 6})
        assert response.status_code == 400
    response = alice_client.post(
        reverse("charts:personal_add_tile", args=[board.pk]), {"chart": charts["secret"].pk, "width": 6}, **JSON
    )
    assert response.status_code == 400 and "chart" in response.json()["errors"]
    assert not DashboardChart.objects.filter(dashboard=board, chart=charts["secret"]).exists()


def test_a_tile_of_another_dashboard_cannot_be_touched(alice_client, board, bob, globex, charts) -> None:
    other = personal.create_dashboard(bob, globex, "Bob's")
    tile = personal.add_tile(other, charts["sales"])
    response = alice_client.post(reverse("charts:personal_tile", args=[board.pk, tile.pk]), {"action": "remove"})
    assert response.status_code == 404
    assert DashboardChart.objects.filter(pk=tile.pk).exists()


def test_moving_and_removing_tiles(alice_client, board) -> None:
    first, second = tile_ids(board)
    response = alice_client.post(reverse("charts:personal_tile", args=[board.pk, second]), {"action": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#tile-{second}")
    assert tile_ids(board) == [second, first]
    response = alice_client.post(reverse("charts:personal_tile", args=[board.pk, second]), {"action": "down"}, **JSON)
    assert response.json() == {"ok": True, "order": [first, second]}
    alice_client.post(reverse("charts:personal_tile", args=[board.pk, first]), {"action": "remove"})
    assert tile_ids(board) == [second]


def test_reordering_all_at_once(alice_client, board) -> None:
    first, second = tile_ids(board)
    url = reverse("charts:personal_order", args=[board.pk])
    assert alice_client.post(url, {"order": f"{second},{first}"}, **JSON).json()["order"] == [second, first]
    for bad in ("", f"{first}", f"{first},{first}", "a,b"):
        assert alice_client.post(url, {"order": bad}).status_code == 400
    assert tile_ids(board) == [second, first]


def test_resizing_a_tile(alice_client, board) -> None:
    first, _ = tile_ids(board)
    url = reverse("charts:personal_tile", args=[board.pk, first])
    response = alice_client.post(url, {"action": "resize", f"t{first}-width": 3, f"t{first}-height": 500}, **JSON)
    assert response.json() == {"ok": True, "width": 3, "height": 500}
    alice_client.post(url, {"action": "resize", f"t{first}-width": 12, f"t{first}-height": ""})
    tile = DashboardChart.objects.get(pk=first)
    assert (tile.width, tile.height) == (12, None)


@pytest.mark.parametrize(("width", "height"), [(0, ""), (13, ""), ("wide", ""), (6, 79), (6, 2001), (6, "tall")])
def test_a_bad_size_is_a_400_and_changes_nothing(alice_client, board, width, height) -> None:
    first, _ = tile_ids(board)
    url = reverse("charts:personal_tile", args=[board.pk, first])
    response = alice_client.post(url, {"action": "resize", f"t{first}-width": width, f"t{first}-height": height})
    assert response.status_code == 400
    assert "That size was not saved" in response.content.decode()
    tile = DashboardChart.objects.get(pk=first)
    assert (tile.width, tile.height) == (6, None)


def test_an_unknown_action_is_a_400(alice_client, board) -> None:
    first, _ = tile_ids(board)
    response = alice_client.post(reverse("charts:personal_tile", args=[board.pk, first]), {"action": "explode"})
    assert response.status_code == 400


def test_rename_and_delete(alice_client, board) -> None:
    url = reverse("charts:personal_rename", args=[board.pk])
    assert alice_client.post(url, {"title": ""}).status_code == 400
    assert alice_client.post(url, {"title": "Evening"}).status_code == 302
    board.refresh_from_db()
    assert board.title == "Evening"
    response = alice_client.post(reverse("charts:personal_delete", args=[board.pk]))
    assert response["Location"] == reverse("charts:personal_list")
    assert not Dashboard.objects.filter(pk=board.pk).exists()


def test_editing_never_changes_the_shared_dashboards(alice_client, board, charts) -> None:
    shared = list(DashboardChart.objects.filter(dashboard__owner__isnull=True).values_list("dashboard", "chart", "position", "width"))
    first, second = tile_ids(board)
    alice_client.post(reverse("charts:personal_tile", args=[board.pk, first]), {"action": "remove"})
    alice_client.post(reverse("charts:personal_tile", args=[board.pk, second]), {"action": "resize", f"t{second}-width": 1})
    alice_client.post(reverse("charts:personal_delete", args=[board.pk]))
    after = list(DashboardChart.objects.filter(dashboard__owner__isnull=True).values_list("dashboard", "chart", "position", "width"))
    assert after == shared


def test_the_editor_offers_only_the_tenants_charts_and_is_keyboard_operable(alice_client, board, charts) -> None:
    html = alice_client.get(reverse("charts:personal_edit", args=[board.pk])).content.decode()
    chart_select = re.search(r'<select name="chart".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\d+)"', chart_select)
    assert set(map(int, options)) == {charts["sales"].pk, charts["stock"].pk}
    assert 'aria-label="Move Sales up" disabled' in html
    assert 'aria-label="Move Stock down" disabled' in html
    assert 'charts/personal.js' in html


def test_the_nav_links_to_my_dashboards(alice_client) -> None:
    assert reverse("charts:personal_list") in alice_client.get(reverse("charts:dashboard_list")).content.decode()
