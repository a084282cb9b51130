"""The Dashboard change form's layout editor: its pure rules under Node's test runner
(tests/js/admin_layout.test.mjs), the form around it, and a layout saved without JavaScript."""
from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from charts.models import Dashboard, DashboardChart
from tests.charts.builders import make_chart, make_dashboard
from tests.support.node import needs_node, node_test


@needs_node
def test_the_pure_layout_rules_pass_under_node() -> None:
    assert "# pass 8" in node_test("admin_layout.test.mjs")


@pytest.fixture
def board(db, workspace, acme):
    charts = [make_chart(workspace, "Revenue", "sales_by_day"), make_chart(workspace, "Orders", "sales_by_city")]
    return make_dashboard("sales", acme, charts=charts)


def test_the_change_form_carries_the_editor_and_offers_every_chart(staff_client, board, workspace) -> None:
    make_chart(workspace, "Top products", "top_products")
    page = staff_client.get(reverse("admin:charts_dashboard_change", args=[board.pk])).content.decode()
    assert "data-layout hidden" in page  # shown by the module; without JavaScript the table does it
    assert "charts/admin/layout.js" in page and 'type="module"' in page
    assert 'aria-live="polite"' in page
    picker = page.split("data-layout-picker", 1)[1].split("</select>", 1)[0]
    assert [line.strip() for line in picker.split("<option")[2:]] == [
        f'value="{c.pk}">{c.title} ({c.pipe_name})</option>' for c in sorted(board.charts.model.objects.all(), key=lambda c: c.title)
    ]
    assert 'name="tiles-0-position"' in page and 'name="tiles-0-width"' in page


def test_the_add_form_carries_the_editor_too(staff_client, db) -> None:
    page = staff_client.get(reverse("admin:charts_dashboard_add")).content.decode()
    assert "data-layout-grid" in page


def test_owner_fields_are_not_on_a_shared_dashboards_form(staff_client, board) -> None:
    for url in (reverse("admin:charts_dashboard_change", args=[board.pk]), reverse("admin:charts_dashboard_add")):
        page = staff_client.get(url).content.decode()
        assert 'name="owner"' not in page and 'name="owner_tenant"' not in page
        assert 'name="title"' in page and 'name="visible_to_all"' in page


def test_owner_fields_belong_to_personal_dashboards_only(staff, alice, acme) -> None:
    admin = site._registry[Dashboard]
    request = RequestFactory().get("/")
    request.user = staff
    personal = Dashboard.objects.create(title="Mine", slug="mine", owner=alice, owner_tenant=acme)
    shared = Dashboard.objects.create(title="Ours", slug="ours")
    assert {"owner", "owner_tenant"} <= set(admin.get_fields(request, personal))
    assert not {"owner", "owner_tenant"} & set(admin.get_fields(request, shared))
    assert not {"owner", "owner_tenant"} & set(admin.get_fields(request, None))


def test_a_saved_layout_keeps_the_order_and_widths_the_form_sends(staff_client, board, acme) -> None:
    revenue, orders = board.tiles.order_by("position")
    data = {
        "title": board.title, "slug": board.slug, "description": "", "tenants": [acme.pk],
        "tiles-TOTAL_FORMS": "2", "tiles-INITIAL_FORMS": "2", "tiles-MIN_NUM_FORMS": "0", "tiles-MAX_NUM_FORMS": "1000",
        # what layout.js writes after moving Orders first and widening it to the full row
        "tiles-0-id": revenue.pk, "tiles-0-dashboard": board.pk, "tiles-0-chart": revenue.chart_id,
        "tiles-0-position": "2", "tiles-0-width": "4", "tiles-0-height": "",
        "tiles-1-id": orders.pk, "tiles-1-dashboard": board.pk, "tiles-1-chart": orders.chart_id,
        "tiles-1-position": "1", "tiles-1-width": "12", "tiles-1-height": "",
    }
    response = staff_client.post(reverse("admin:charts_dashboard_change", args=[board.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [(t.chart.title, t.width) for t in DashboardChart.objects.filter(dashboard=board)] == [("Orders", 12), ("Revenue", 4)]


def test_a_width_off_the_grid_is_a_form_error(staff_client, board, acme) -> None:
    tile = board.tiles.first()
    assert tile is not None
    data = {
        "title": board.title, "slug": board.slug, "description": "", "tenants": [acme.pk],
        "tiles-TOTAL_FORMS": "1", "tiles-INITIAL_FORMS": "1", "tiles-MIN_NUM_FORMS": "0", "tiles-MAX_NUM_FORMS": "1000",
        "tiles-0-id": tile.pk, "tiles-0-dashboard": board.pk, "tiles-0-chart": tile.chart_id,
        "tiles-0-position": "1", "tiles-0-width": "13", "tiles-0-height": "",
    }
    response = staff_client.post(reverse("admin:charts_dashboard_change", args=[board.pk]), data)
    assert response.status_code == 200
    assert "less than or equal to 12" in response.content.decode()
