"""The chart builder against the built-in host actually serving the demo's pipes: a live server
with ``manage.py demo --rows 2000``, reached server-side at PANES_LOCAL_API_ORIGIN."""
from __future__ import annotations

from io import StringIO
from urllib.parse import unquote

import jwt
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from charts.models import Chart, Tenant, Workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(live_server, transactional_db, settings, client):
    call_command("demo", rows=2000, stdout=StringIO())
    settings.PANES_LOCAL_API_ORIGIN = live_server.url
    cache.clear()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="admin"))
    yield client
    cache.clear()


def chart_data(**overrides: object) -> dict:
    data = {
        "workspace": Workspace.objects.get().pk,
        "title": "Daily revenue",
        "description": "",
        "kind": Chart.Kind.PANES,
        "pipe_name": "sales_by_day",
        "pipe_id": "",
        "height": "320",
        "tenant_params": "",
        "snippet": "",
        "chart_type": Chart.ChartType.LINE,
        "index_column": "date",
        "category_columns": "revenue",
        "filter_params": "date_from, date_to",
        "colors": "",
        "unit": "",
        "refresh_seconds": "",
        "preview_tenant": Tenant.objects.get(slug="acme").pk,
    }
    data.update(overrides)
    return data


def test_the_listing_names_the_demos_endpoints_and_their_params(demo) -> None:
    answer = demo.get(reverse("admin:charts_chart_builder_pipes") + f"?workspace={Workspace.objects.get().pk}").json()
    names = [p["name"] for p in answer["pipes"]]
    assert names == ["kpi_totals", "orders_detail", "product_catalogue", "sales_by_city", "sales_by_day", "sales_by_month", "top_products"]
    sales = next(p for p in answer["pipes"] if p["name"] == "sales_by_day")
    assert sales["id"].startswith("t_") and {"company_id", "date_from", "date_to"} <= set(sales["params"])


def test_the_preview_reads_the_columns_as_the_tenant_and_draws_with_its_token(demo, live_server) -> None:
    answer = demo.post(reverse("admin:charts_chart_builder_preview"), chart_data(index_column="", category_columns="")).json()
    assert answer["columns"] == [
        {"name": "date", "type": "Date"},
        {"name": "orders", "type": "UInt64"},
        {"name": "revenue", "type": "Float64"},
    ]
    assert answer["defaults"] == {"index": "date", "categories": ["orders", "revenue"]}
    assert answer["fixed_params"] == {"company_id": "acme"}

    answer = demo.post(reverse("admin:charts_chart_builder_preview"), chart_data()).json()
    url, _, token = answer["frame"].partition("#token=")
    rows = demo.get(
        "/v0/pipes/sales_by_day.json", {"company_id": "globex"}, HTTP_AUTHORIZATION=f"Bearer {unquote(token)}"
    ).json()
    assert rows["rows"] > 0  # the token's fixed company_id wins over the query string
    claims = jwt.decode(unquote(token), options={"verify_signature": False})
    assert claims["scopes"][0]["fixed_params"] == {"company_id": "acme"}
    config = demo.get(url).context["config"]
    assert config["api"] == live_server.url and config["pipe"] == "sales_by_day"


def test_a_column_the_demo_pipe_lacks_is_refused_and_the_right_one_saved(demo) -> None:
    response = demo.post(reverse("admin:charts_chart_add"), chart_data(index_column="day"))
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["index_column"]
    assert error == "The pipe has no column 'day'; its columns: date, orders, revenue."
    response = demo.post(reverse("admin:charts_chart_add"), chart_data())
    assert response.status_code == 302
    chart = Chart.objects.get(title="Daily revenue")
    assert (chart.index_column, tuple(chart.category_columns), tuple(chart.filter_params)) == (
        "date", ("revenue",), ("date_from", "date_to")
    )
