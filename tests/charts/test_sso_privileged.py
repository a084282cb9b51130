"""Sign-on never signs in staff, superusers or password holders, unless PANES_SSO_ALLOW_PRIVILEGED."""
from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from charts.models import Membership
from tests.charts.test_sso import PROXY, home, rules, signed_in_user, sso_on  # noqa: F401 (fixtures)

User = get_user_model()

ACCOUNTS = {
    # Without a password, so that each rule is seen on its own.
    "superuser": lambda: User.objects.create_user("dora", is_superuser=True),
    "staff": lambda: User.objects.create_user("dora", is_staff=True),
    "password": lambda: User.objects.create_user("dora", password="dora-s-own-password"),
}


@pytest.mark.parametrize("kind", ACCOUNTS)
def test_it_refuses_privileged_and_password_accounts_and_leaves_the_request_anonymous(
    client, sso_on, rules, caplog, kind  # noqa: F811
) -> None:
    dora = ACCOUNTS[kind]()
    with caplog.at_level(logging.WARNING, logger="charts.sso"):
        response = home(client, groups="sales-acme")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user=dora).exists()  # refused: groups not synced either
    [record] = [r for r in caplog.records if r.name == "charts.sso" and r.levelno == logging.WARNING]
    assert "dora" in record.getMessage() and "PANES_SSO_ALLOW_PRIVILEGED" in record.getMessage()


@pytest.mark.parametrize("kind", ACCOUNTS)
def test_with_the_setting_on_they_are_signed_in(client, sso_on, rules, acme, kind) -> None:  # noqa: F811
    sso_on.PANES_SSO_ALLOW_PRIVILEGED = True
    dora = ACCOUNTS[kind]()
    response = home(client, groups="sales-acme")
    assert response.status_code == 200
    assert signed_in_user(client) == dora
    assert Membership.objects.get(user=dora).tenant == acme


def test_the_admin_header_does_not_open_the_admin(client, sso_on, db) -> None:  # noqa: F811
    User.objects.create_superuser("admin", password="admin-password-0123")
    response = client.get(reverse("admin:index"), REMOTE_ADDR=PROXY, HTTP_X_REMOTE_USER="admin")
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert signed_in_user(client) is None


def test_a_refused_name_also_ends_the_session_of_whoever_was_signed_in(client, sso_on, alice, db) -> None:  # noqa: F811
    """The proxy says someone else is at the keyboard: the old session goes, the new one is refused."""
    User.objects.create_user("root", is_staff=True, is_superuser=True)
    client.force_login(alice)
    assert home(client, user="root").status_code == 302
    assert signed_in_user(client) is None


def test_a_session_sign_on_started_ends_when_its_account_becomes_staff(client, sso_on, rules) -> None:  # noqa: F811
    assert home(client, groups="sales-acme").status_code == 200
    User.objects.filter(username="dora").update(is_staff=True)
    assert client.get(reverse("charts:dashboard_list"), REMOTE_ADDR=PROXY).status_code == 302
    assert home(client, groups="sales-acme").status_code == 302


@pytest.mark.parametrize("allow", [False, True])
def test_the_users_sign_on_creates_have_no_usable_password(client, sso_on, rules, allow) -> None:  # noqa: F811
    sso_on.PANES_SSO_ALLOW_PRIVILEGED = allow
    assert home(client, user="erin", groups="sales-acme").status_code == 200
    erin = User.objects.get(username="erin")
    assert not erin.has_usable_password() and not erin.is_staff and not erin.is_superuser
    assert signed_in_user(client) == erin
