"""Login throttling (django-axes): a username from one address is locked after AXES_FAILURE_LIMIT
failures, even with the right password; other people are not affected."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

LOCKED = "Too many failed sign-ins, try again in 15 minutes."


@pytest.fixture(autouse=True)
def axes_on(db) -> Iterator[None]:
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=0.25):
        reset()
        yield
        reset()


def sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username: str, times: int, address: str = "10.0.0.1") -> list:
    return [sign_in(client, username, "wrong-password", address) for _ in range(times)]


def test_failures_below_the_limit_only_show_the_form_error(client, alice) -> None:
    responses = fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert [r.status_code for r in responses] == [200, 200]
    assert "Please enter a correct username and password" in responses[-1].content.decode()
    assert sign_in(client, "alice", "pw-alice").status_code == 302


def test_at_the_limit_the_page_says_so_clearly(client, alice) -> None:
    response = fail(client, "alice", settings.AXES_FAILURE_LIMIT)[-1]
    html = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in html and "Back to sign in" in html
    assert "Traceback" not in html


def test_the_right_password_is_refused_while_locked(client, alice) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, "alice", "pw-alice")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert client.get(reverse("charts:dashboard_list")).status_code == 302  # still signed out


def test_other_people_are_unaffected(client, alice, bob) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "bob", "pw-bob").status_code == 302  # same address, another person
    client.logout()
    assert sign_in(client, "alice", "pw-alice", address="10.0.0.2").status_code == 302  # alice elsewhere


def test_a_success_before_the_limit_resets_the_count(client, alice) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "alice", "pw-alice").status_code == 302
    client.logout()
    assert [r.status_code for r in fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1)] == [200, 200]


def test_an_admin_can_unlock(client, alice) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    assert AccessAttempt.objects.filter(username="alice").exists()
    reset(username="alice")
    assert sign_in(client, "alice", "pw-alice").status_code == 302
