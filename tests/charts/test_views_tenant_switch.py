"""POST /tenant/: switch the active organisation; foreign or unknown ones are 404."""
from __future__ import annotations

from django.urls import reverse

from charts import tenancy
from tests.charts.builders import make_dashboard

URL = reverse("charts:switch_tenant")


def test_it_switches_and_goes_back_to_the_list(carol_client, globex) -> None:
    response = carol_client.post(URL, {"tenant": globex.pk})
    assert response.status_code == 302 and response["Location"] == reverse("charts:dashboard_list")
    assert carol_client.session[tenancy.SESSION_KEY] == globex.pk
    assert "Globex</option>" in carol_client.get(reverse("charts:dashboard_list")).content.decode()


def test_a_foreign_or_unknown_tenant_is_404(alice_client, globex, acme) -> None:
    for value in (globex.pk, 999_999, "", "acme", "1.5"):
        assert alice_client.post(URL, {"tenant": value}).status_code == 404, value
    assert alice_client.session.get(tenancy.SESSION_KEY) is None


def test_an_inactive_tenant_cannot_be_chosen(carol_client, globex) -> None:
    globex.is_active = False
    globex.save()
    assert carol_client.post(URL, {"tenant": globex.pk}).status_code == 404


def test_it_needs_post_and_a_login(client, carol_client, globex) -> None:
    assert carol_client.get(URL).status_code == 405
    client.logout()
    response = client.post(URL, {"tenant": globex.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_needs_a_csrf_token(carol, globex) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(carol)
    assert strict.post(URL, {"tenant": globex.pk}).status_code == 403


def test_it_stays_on_a_dashboard_the_new_organisation_sees(carol_client, acme, globex) -> None:
    make_dashboard("sales", acme, globex)
    here = reverse("charts:dashboard", args=["sales"]) + "?date_from=2026-03-01"
    response = carol_client.post(URL, {"tenant": globex.pk, "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert carol_client.session[tenancy.SESSION_KEY] == globex.pk


def test_it_goes_to_the_list_from_a_dashboard_the_new_organisation_does_not_see(carol_client, acme, globex) -> None:
    make_dashboard("acme-only", acme)
    here = reverse("charts:dashboard", args=["acme-only"])
    response = carol_client.post(URL, {"tenant": globex.pk, "next": here})
    assert response["Location"] == reverse("charts:dashboard_list")


def test_it_stays_on_my_dashboards_and_leaves_the_other_pages(carol_client, globex) -> None:
    mine = reverse("charts:personal_list")
    assert carol_client.post(URL, {"tenant": globex.pk, "next": mine})["Location"] == mine
    for elsewhere in ("https://evil.example/d/sales/", "//evil.example/", "/no/such/page/", "/my/1/", "d/sales/"):
        response = carol_client.post(URL, {"tenant": globex.pk, "next": elsewhere})
        assert response["Location"] == reverse("charts:dashboard_list"), elsewhere


def test_the_switcher_sends_the_page_it_is_on(carol_client, acme, globex) -> None:
    make_dashboard("sales", acme, globex)
    html = carol_client.get(reverse("charts:dashboard", args=["sales"]) + "?date_from=2026-03-01").content.decode()
    assert '<input type="hidden" name="next" value="/d/sales/?date_from=2026-03-01">' in html
