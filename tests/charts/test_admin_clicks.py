"""The admin's "Clicks" section of a chart (drill-through, cross-filter) and a dashboard's
auto-refresh interval: saved, and refused with messages a person understands."""
from __future__ import annotations

import pytest
from django.urls import reverse

from charts.models import Chart, Dashboard, Tenant, TenantFilterRule
from tests.charts.builders import make_chart, make_dashboard
from tests.charts.test_admin_chart_builder import chart_data, host, remote  # noqa: F401 - fixtures

CLICKS = {"drill_pipe": "orders_detail", "drill_params": "product, city", "cross_filter_param": "product"}


def test_the_chart_form_has_a_clicks_section(staff_client, remote) -> None:
    html = staff_client.get(reverse("admin:charts_chart_add")).content.decode()
    assert ">Clicks<" in html
    for name in CLICKS:
        assert f'name="{name}"' in html
    assert "the first gets the clicked mark" in html


def test_the_clicks_are_saved(staff_client, remote, acme) -> None:
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote, chart_type="bar", **CLICKS))
    assert response.status_code == 302, response.content.decode()[:3000]
    chart = Chart.objects.get()
    assert (chart.drill_pipe, tuple(chart.drill_params), chart.cross_filter_param) == (
        "orders_detail", ("product", "city"), "product"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"drill_pipe": "orders_detail", "drill_params": ""}, "Name the param a click sets"),
        ({"drill_pipe": "", "drill_params": "product"}, "Name the pipe the drill-through opens"),
        ({"drill_pipe": "orders_detail", "drill_params": "company_id"}, "company_id is a tenant param"),
        ({"cross_filter_param": "company_id"}, "company_id is a tenant param"),
        ({"chart_type": "kpi", "index_column": "", "cross_filter_param": "city"}, "has no marks to click"),
        ({"drill_params": "1x", "drill_pipe": "orders_detail"}, "is not a parameter name"),
    ],
)
def test_bad_clicks_are_form_errors(staff_client, remote, acme, overrides, message) -> None:
    remote.default_tenant_params = "company_id"
    remote.save()
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Chart.objects.exists()


def dashboard_data(**overrides) -> dict:
    data = {
        "title": "Wall", "slug": "wall", "description": "", "refresh_seconds": "60",
        "tiles-TOTAL_FORMS": "0", "tiles-INITIAL_FORMS": "0", "tiles-MIN_NUM_FORMS": "0", "tiles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_a_dashboards_refresh_interval_is_saved(staff_client, db) -> None:
    html = staff_client.get(reverse("admin:charts_dashboard_add")).content.decode()
    assert 'name="refresh_seconds"' in html and "paused while the tab is hidden" in html
    response = staff_client.post(reverse("admin:charts_dashboard_add"), dashboard_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Dashboard.objects.get().refresh_seconds == 60


def test_a_refresh_under_ten_seconds_is_a_form_error(staff_client, db) -> None:
    response = staff_client.post(reverse("admin:charts_dashboard_add"), dashboard_data(refresh_seconds="5"))
    assert response.status_code == 200
    assert "greater than or equal to 10" in response.content.decode()
    assert not Dashboard.objects.exists()


def test_a_chart_change_page_shows_its_clicks(staff_client, workspace) -> None:
    chart = make_chart(workspace, chart_type="bar", **CLICKS)
    html = staff_client.get(reverse("admin:charts_chart_change", args=[chart.pk])).content.decode()
    assert 'value="orders_detail"' in html and 'value="product, city"' in html


def test_the_change_page_names_the_tenants_not_offered_the_drill(staff_client, workspace, acme, globex, db) -> None:
    chart = make_chart(workspace, chart_type="bar", **CLICKS)
    make_dashboard("sales", acme, globex, charts=[chart])
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Paris")
    initech = Tenant.objects.create(name="Initech", slug="initech")  # sees nothing: not listed
    html = staff_client.get(reverse("admin:charts_chart_change", args=[chart.pk])).content.decode()
    assert "The drill-through is not offered to: Acme (a rule fixes city)" in html
    message = html.split("not offered to:")[1].split("</li>")[0]
    assert "Globex" not in message and initech.name not in message
    chart.tenant_params = "company_id, region"
    chart.save()
    TenantFilterRule.objects.create(tenant=globex, param="region", value="eu", chart=chart)
    html = staff_client.get(reverse("admin:charts_chart_change", args=[chart.pk])).content.decode()
    assert "Globex (no rule for region on orders_detail)" in html
