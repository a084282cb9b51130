"""/: the active tenant's dashboards, and the page for people with no organisation."""
from __future__ import annotations

from django.urls import reverse

from charts.models import TokenGrant
from tests.charts.builders import make_chart, make_dashboard

URL = reverse("charts:dashboard_list")


def test_it_lists_the_dashboards_of_the_active_tenant(alice_client, workspace, acme, globex) -> None:
    make_dashboard("acme-board", acme, charts=[make_chart(workspace), make_chart(workspace, "B", "b")])
    make_dashboard("globex-board", globex)
    make_dashboard("for-everyone", visible_to_all=True)
    response = alice_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("charts:dashboard", args=["acme-board"]) in html
    assert reverse("charts:dashboard", args=["for-everyone"]) in html
    assert "globex-board" not in html
    assert "2 charts" in html
    assert TokenGrant.objects.count() == 0  # the list mints nothing


def test_the_top_bar_shows_the_tenant_the_user_and_a_post_logout(alice_client, acme) -> None:
    html = alice_client.get(URL).content.decode()
    assert "Acme" in html and "alice" in html
    assert f'action="{reverse("logout")}"' in html and 'method="post"' in html
    assert reverse("charts:switch_tenant") not in html  # one organisation: nothing to switch


def test_people_in_several_organisations_get_a_switcher(carol_client, acme, globex) -> None:
    html = carol_client.get(URL).content.decode()
    assert f'action="{reverse("charts:switch_tenant")}"' in html
    assert f'<option value="{acme.pk}" selected>Acme</option>' in html
    assert f'<option value="{globex.pk}">Globex</option>' in html


def test_an_empty_list_says_what_to_do(alice_client, acme) -> None:
    assert "Ask an admin to share a dashboard" in alice_client.get(URL).content.decode()


def test_no_membership_gets_the_no_organisation_page(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("dora", password="x"))
    response = client.get(URL)
    assert response.status_code == 403
    assert "You are not a member of any active organisation; ask an admin" in response.content.decode()
    assert reverse("admin:index") not in response.content.decode()


def test_a_superuser_without_an_organisation_is_led_to_the_admin(staff_client) -> None:
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a class="btn" href="{reverse("admin:index")}">Open the admin</a>' in html
    assert "ask an admin" not in html


def test_anonymous_visitors_are_sent_to_login(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next=/"


def test_the_query_count_does_not_grow_with_dashboards(alice_client, acme, workspace, django_assert_max_num_queries) -> None:
    for i in range(20):
        make_dashboard(f"board-{i}", acme, charts=[make_chart(workspace, f"C{i}", f"p{i}")])
    with django_assert_max_num_queries(4):
        alice_client.get(URL)
