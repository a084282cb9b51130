"""The token grant audit's changelist: a date drill-down out of the datetime range is the admin's
own "?e=1" redirect, never a 500; the dashboard preview refuses a tenant id of unicode digits."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.urls import reverse

from charts.models import Dashboard, TokenGrant

CHANGELIST = "/admin/charts/tokengrant/"


@pytest.fixture
def grant(acme, alice, workspace) -> TokenGrant:
    issued = datetime(2024, 5, 17, 10, 0, tzinfo=timezone.utc)
    return TokenGrant.objects.create(
        user=alice, tenant=acme, workspace=workspace, payload={"name": "panes:acme:1", "scopes": []},
        fingerprint="ab" * 32, issued_at=issued, expires_at=issued,
    )


@pytest.mark.parametrize(
    "query",
    [
        "issued_at__year=99999999999",  # OverflowError building the start
        "issued_at__year=9999",  # the end, 10000-01-01, is out of range
        "issued_at__year=9999&issued_at__month=12",
        "issued_at__year=9999&issued_at__month=12&issued_at__day=31",
        "issued_at__year=2024&issued_at__month=99999999999",
        "issued_at__year=2024&issued_at__month=2&issued_at__day=30",  # Django's own ValueError, as before
    ],
)
def test_a_drill_down_out_of_range_redirects_with_e_1(staff_client, grant, query) -> None:
    response = staff_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"


@pytest.mark.parametrize(
    "query",
    ["issued_at__year=2024", "issued_at__year=2024&issued_at__month=5", "issued_at__year=2024&issued_at__month=5&issued_at__day=17",
     "issued_at__year=9998&issued_at__month=12&issued_at__day=30"],
)
def test_a_drill_down_in_range_lists_its_period(staff_client, grant, query) -> None:
    response = staff_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    shown = grant.fingerprint in response.content.decode() or list(response.context["cl"].result_list) == [grant]
    assert shown == ("9998" not in query)


def test_the_preview_refuses_a_tenant_id_of_unicode_digits(staff_client, acme) -> None:
    board = Dashboard.objects.create(title="Sales", slug="sales", visible_to_all=True)
    url = reverse("admin:charts_dashboard_preview", args=[board.pk])
    for raw in ("%C2%B2", "%D9%A3", "%EF%BC%91"):  # ², Arabic-Indic 3, fullwidth 1
        assert staff_client.get(f"{url}?tenant={raw}").status_code == 400
    assert staff_client.get(f"{url}?tenant={acme.pk}").status_code == 200
