"""tenancy.py: the active tenant of a request, switching it, and the access helpers (404, never 403)."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404
from django.test import RequestFactory

from charts import tenancy
from charts.models import Membership
from tests.charts.builders import make_chart, make_dashboard, make_tinybird_chart


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


def test_the_active_tenant_is_the_first_membership_by_name(carol, acme) -> None:
    assert tenancy.active_tenant(request_as(carol)) == acme


def test_it_is_asked_of_the_database_once_per_request(carol, django_assert_num_queries) -> None:
    request = request_as(carol)
    with django_assert_num_queries(1):
        tenancy.active_tenant(request)
        tenancy.active_tenant(request)
        tenancy.available_tenants(request)


def test_switching_to_a_tenant_of_ones_own_sticks_in_the_session(carol, globex) -> None:
    request = request_as(carol)
    assert tenancy.switch_tenant(request, globex.pk) == globex
    later = request_as(carol)
    later.session = request.session
    assert tenancy.active_tenant(later) == globex


def test_switching_to_a_foreign_tenant_is_refused(alice, globex, acme) -> None:
    request = request_as(alice)
    assert tenancy.switch_tenant(request, globex.pk) is None
    assert tenancy.active_tenant(request) == acme


def test_inactive_memberships_and_tenants_do_not_count(carol, acme, globex) -> None:
    Membership.objects.filter(user=carol, tenant=acme).update(is_active=False)
    assert tenancy.available_tenants(request_as(carol)) == [globex]
    globex.is_active = False
    globex.save()
    assert tenancy.active_tenant(request_as(carol)) is None


def test_a_stale_session_choice_falls_back_to_a_current_membership(carol, acme, globex) -> None:
    request = request_as(carol)
    request.session[tenancy.SESSION_KEY] = globex.pk
    Membership.objects.filter(user=carol, tenant=globex).delete()
    assert tenancy.active_tenant(request) == acme


def test_dashboard_for_hides_other_tenants_dashboards(alice, bob, workspace, acme, globex) -> None:
    make_dashboard("acme-only", acme, charts=[make_chart(workspace)])
    make_dashboard("everyone", visible_to_all=True)
    assert tenancy.dashboard_for(request_as(alice), "acme-only").slug == "acme-only"
    assert tenancy.dashboard_for(request_as(bob), "everyone").slug == "everyone"
    with pytest.raises(Http404):
        tenancy.dashboard_for(request_as(bob), "acme-only")


def test_chart_for_needs_a_dashboard_of_the_active_tenant(alice, bob, workspace, acme) -> None:
    chart = make_chart(workspace)
    loose = make_chart(workspace, "Loose", "loose")
    make_dashboard("acme-only", acme, charts=[chart])
    assert tenancy.chart_for(request_as(alice), chart.pk) == chart
    for user, chart_id in ((bob, chart.pk), (alice, loose.pk), (alice, 999_999)):
        with pytest.raises(Http404):
            tenancy.chart_for(request_as(user), chart_id)


def test_chart_for_is_only_for_panes_rendered_charts(alice, workspace, acme) -> None:
    chart = make_tinybird_chart(workspace)
    make_dashboard("tb", acme, charts=[chart])
    with pytest.raises(Http404):
        tenancy.chart_for(request_as(alice), chart.pk)


def test_staff_who_may_preview_see_any_panes_chart(staff, django_user_model, workspace) -> None:
    chart = make_chart(workspace)
    assert tenancy.chart_for(request_as(staff), chart.pk) == chart
    plain_staff = django_user_model.objects.create_user("plain", is_staff=True)
    with pytest.raises(Http404):
        tenancy.chart_for(request_as(plain_staff), chart.pk)
    plain_staff.user_permissions.add(Permission.objects.get(codename="preview_dashboard"))
    plain_staff = django_user_model.objects.get(pk=plain_staff.pk)
    assert tenancy.chart_for(request_as(plain_staff), chart.pk) == chart
