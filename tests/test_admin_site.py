"""The admin site refuses two crafted query strings with a 4xx on every model, Panes' or not:
an empty ``_to_field`` (a 400) and a date drill-down out of the datetime range (the "?e=1" redirect).
"""
from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from charts.models import Tenant


@pytest.mark.parametrize("view", ["change", "delete"])
def test_an_empty_to_field_is_a_400(staff_client, staff, acme, view) -> None:
    for name, pk in [("charts_tenant", acme.pk), ("auth_user", staff.pk)]:
        url = reverse(f"admin:{name}_{view}", args=[pk])
        assert staff_client.get(url + "?_to_field=").status_code == 400
        assert staff_client.get(url).status_code == 200


def test_an_empty_to_field_on_a_post_is_a_400_and_changes_nothing(staff_client, acme) -> None:
    url = reverse("admin:charts_tenant_delete", args=[acme.pk])
    assert staff_client.post(url, {"post": "yes", "_to_field": ""}).status_code == 400
    assert Tenant.objects.filter(pk=acme.pk).exists()


@pytest.mark.parametrize(
    "query",
    ["attempt_time__year=99999999999", "attempt_time__year=9999", "attempt_time__year=9999&attempt_time__month=12&attempt_time__day=31"],
)
def test_a_drill_down_out_of_range_on_a_third_party_admin_redirects_with_e_1(staff_client, query) -> None:
    url = reverse("admin:axes_accessattempt_changelist")
    response = staff_client.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"] == f"{url}?e=1"


def test_a_drill_down_in_range_on_a_third_party_admin_lists_its_period(staff_client, db) -> None:
    AccessAttempt.objects.create(username="mallory", ip_address="10.0.0.1", attempt_time=timezone.now(), failures_since_start=3)
    url = reverse("admin:axes_accessattempt_changelist")
    response = staff_client.get(f"{url}?attempt_time__year={timezone.now().year}")
    assert response.status_code == 200 and "mallory" in response.content.decode()


def test_the_anonymous_still_get_the_login_page(client, db) -> None:
    url = reverse("admin:auth_user_change", args=[1])
    response = client.get(url + "?_to_field=")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert get_user_model().objects.count() == 0
