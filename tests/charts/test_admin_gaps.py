"""A change form warns of its own object's fail-closed gaps, and computes only those."""
from __future__ import annotations

import pytest

from charts import checks
from charts.models import TenantFilterRule

from .builders import make_chart, make_dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_gaps(workspace, acme, globex):
    """Acme lacks a rule for 'sales' (site), Globex for 'visits' (region); each sees both charts."""
    sales = make_chart(workspace, "Sales", "sales", tenant_params="company_id,site")
    visits = make_chart(workspace, "Visits", "visits", tenant_params="region")
    make_dashboard("both", acme, globex, charts=[sales, visits])
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu")
    TenantFilterRule.objects.create(tenant=globex, param="site", value="berlin")
    return sales, visits


def test_gaps_for_one_tenant_are_that_tenants_gaps_of_the_whole_report(two_gaps, acme, globex):
    everything = checks.configuration_gaps()
    for tenant in (acme, globex):
        own = checks.configuration_gaps(tenant_id=tenant.pk)
        assert [(g.chart.pk, g.tenant.pk, g.missing) for g in own] == [
            (g.chart.pk, g.tenant.pk, g.missing) for g in everything if g.tenant.pk == tenant.pk
        ]
        assert own


def test_gaps_for_one_chart_are_that_charts_gaps_of_the_whole_report(two_gaps):
    everything = checks.configuration_gaps()
    for chart in two_gaps:
        own = checks.configuration_gaps(chart_id=chart.pk)
        assert [(g.chart.pk, g.tenant.pk) for g in own] == [
            (g.chart.pk, g.tenant.pk) for g in everything if g.chart.pk == chart.pk
        ]
        assert len(own) == 1


def test_the_tenant_change_form_warns_of_its_own_gaps_only(admin_client, two_gaps, acme):
    response = admin_client.get(f"/admin/charts/tenant/{acme.pk}/change/")
    warnings = [str(m) for m in response.context["messages"]]
    assert any("Sales" in w and "site" in w for w in warnings)
    assert not any("Visits" in w for w in warnings)


def test_the_chart_change_form_names_only_the_tenants_it_fails_for(admin_client, two_gaps, acme, globex):
    sales, _ = two_gaps
    response = admin_client.get(f"/admin/charts/chart/{sales.pk}/change/")
    warnings = " ".join(str(m) for m in response.context["messages"])
    assert acme.name in warnings
    assert globex.name not in warnings


def test_a_tampered_change_url_is_not_a_server_error(admin_client):
    for url in ("/admin/charts/tenant/²/change/", "/admin/charts/chart/abc/change/"):
        assert admin_client.get(url).status_code in (302, 404)
