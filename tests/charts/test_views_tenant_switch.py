"""POST /tenant/: switch the active organisation; foreign or unknown ones are 404."""
from __future__ import annotations

from django.urls import reverse

from charts import tenancy

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
