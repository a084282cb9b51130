"""Small builders for charts and dashboards, shared by the dashboard page tests."""
from __future__ import annotations

import uuid

import jwt

from charts.models import Chart, Dashboard, DashboardChart, Tenant, Workspace

KNOWN_KEY = "known-signing-key-for-tests-0123456789-abcdefghijkl"


def make_chart(workspace: Workspace, title: str = "Sales", pipe: str = "sales", **fields) -> Chart:
    fields.setdefault("index_column", "day")
    fields.setdefault("category_columns", "total")
    return Chart.objects.create(workspace=workspace, title=title, pipe_name=pipe, **fields)


def make_tinybird_chart(workspace: Workspace, title: str = "Tinybird sales", pipe: str = "tb_sales", **fields) -> Chart:
    return make_chart(
        workspace,
        title,
        pipe,
        kind=Chart.Kind.TINYBIRD,
        embed_host="https://app.tinybird.co",
        embed_region="gcp/europe-west3",
        embed_chart_uuid=uuid.UUID("4d21283f-b85c-4ed5-8341-e2625f0e3080"),
        **fields,
    )


def make_dashboard(slug: str, *tenants: Tenant, charts: tuple[Chart, ...] | list[Chart] = (), visible_to_all: bool = False) -> Dashboard:
    dashboard = Dashboard.objects.create(title=slug.replace("-", " ").title(), slug=slug, visible_to_all=visible_to_all)
    dashboard.tenants.add(*tenants)
    for position, chart in enumerate(charts):
        DashboardChart.objects.create(dashboard=dashboard, chart=chart, position=position, width=6)
    return dashboard


def decode(token: str, key: str = KNOWN_KEY) -> dict:
    """The verified claims of a token signed with ``key`` (HS256 only)."""
    return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
