"""Sign-in: every page but the login page needs a user; lockouts explain themselves."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.charts.builders import make_chart, make_dashboard


@pytest.fixture
def board(workspace, acme):
    return make_dashboard("sales", acme, charts=[make_chart(workspace)])


def test_every_page_but_login_needs_a_user(client, board) -> None:
    chart = board.tiles.get().chart
    for url in (
        reverse("charts:dashboard_list"),
        reverse("charts:dashboard", args=["sales"]),
        reverse("charts:dashboard_token", args=["sales"]),
        reverse("charts:frame", args=[chart.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    # Embeds sit in other sites' pages, which cannot show the sign-in page: a link to it instead.
    for url in (reverse("charts:embed", args=["sales"]), reverse("charts:chart_embed", args=[chart.pk])):
        response = client.get(url)
        assert response.status_code == 200 and "<iframe" not in response.content.decode(), url
        assert f'href="{reverse("login")}?next=' in response.content.decode(), url


def test_the_login_page_is_open_and_signs_people_in(client, alice) -> None:
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="username"' in html and 'name="password"' in html and "csrfmiddlewaretoken" in html
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302 and response["Location"] == reverse("charts:dashboard_list")


def test_a_wrong_password_is_a_form_error(client, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_a_post(alice_client) -> None:
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302
    assert alice_client.get(reverse("charts:dashboard_list")).status_code == 302


def test_the_lockout_page_says_when_to_try_again() -> None:
    html = render_to_string("registration/locked_out.html", {"cooloff_timedelta": timedelta(minutes=15), "failure_limit": 5})
    assert "Too many failed sign-ins, try again in 15 minutes" in html
    html = render_to_string("registration/locked_out.html", {"cooloff_timedelta": timedelta(seconds=30)})
    assert "try again in 1 minute." in html


def test_repeated_failures_lock_the_sign_in(client, alice, settings) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429
    assert "Too many failed sign-ins, try again in" in response.content.decode()
