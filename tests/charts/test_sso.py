"""Trusted-header single sign-on: only a trusted proxy's header signs anyone in."""
from __future__ import annotations

import logging

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse

from charts import sso
from charts.models import IntranetGroupRule, Membership

User = get_user_model()
PROXY = "10.0.0.5"
OUTSIDER = "192.168.1.66"

SSO = {
    "PANES_SSO_ENABLED": True,
    "PANES_SSO_HEADER": "X-Remote-User",
    "PANES_SSO_GROUPS_HEADER": "X-Remote-Groups",
    "PANES_SSO_TRUSTED_PROXIES": [PROXY, "10.8.0.0/16"],
}


@pytest.fixture
def sso_on(settings):
    for name, value in SSO.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def rules(acme, globex) -> None:
    IntranetGroupRule.objects.create(group="Sales-Acme", tenant=acme)
    IntranetGroupRule.objects.create(group="sales-globex", tenant=globex, role=Membership.Role.EDITOR)


def home(client, *, user: str | None = "dora", groups: str | None = None, addr: str = PROXY):
    headers = {}
    if user is not None:
        headers["HTTP_X_REMOTE_USER"] = user
    if groups is not None:
        headers["HTTP_X_REMOTE_GROUPS"] = groups
    return client.get(reverse("charts:dashboard_list"), REMOTE_ADDR=addr, **headers)


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def test_a_trusted_proxy_signs_in_and_creates_the_user_with_memberships_from_groups(client, sso_on, rules, acme) -> None:
    response = home(client, groups="sales-acme, unrelated")
    assert response.status_code == 200
    dora = User.objects.get(username="dora")
    assert signed_in_user(client) == dora
    assert not dora.has_usable_password()
    [membership] = Membership.objects.filter(user=dora)
    assert (membership.tenant, membership.source, membership.role) == (acme, Membership.Source.SSO, Membership.Role.VIEWER)
    assert response.context["tenant"] == acme


def test_group_names_match_whatever_their_case_and_keep_the_rules_role(client, sso_on, rules, globex) -> None:
    home(client, groups="SALES-GLOBEX")
    [membership] = Membership.objects.filter(user__username="dora")
    assert (membership.tenant, membership.role) == (globex, Membership.Role.EDITOR)


def test_a_header_from_an_untrusted_address_signs_nobody_in_and_creates_nobody(client, sso_on, rules, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="charts.sso"):
        response = home(client, groups="sales-acme", addr=OUTSIDER)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not User.objects.filter(username="dora").exists()
    assert signed_in_user(client) is None
    [record] = [r for r in caplog.records if r.name == "charts.sso"]
    assert record.levelno == logging.WARNING
    assert OUTSIDER in record.getMessage() and "dora" in record.getMessage()
    assert "sales-acme" not in record.getMessage()


def test_no_trusted_proxies_means_nobody_is_trusted(client, sso_on, rules) -> None:
    sso_on.PANES_SSO_TRUSTED_PROXIES = []
    assert home(client).status_code == 302
    assert not User.objects.filter(username="dora").exists()


def test_when_disabled_the_header_is_ignored_even_from_a_trusted_proxy(client, sso_on, rules) -> None:
    sso_on.PANES_SSO_ENABLED = False
    response = home(client, groups="sales-acme")
    assert response.status_code == 302
    assert not User.objects.filter(username="dora").exists()


def test_a_spoofed_header_does_not_switch_a_signed_in_user(client, sso_on, bob, alice, acme) -> None:
    client.force_login(bob)
    response = home(client, user="alice", addr=OUTSIDER)
    assert response.status_code == 200
    assert response.context["user"] == bob
    assert signed_in_user(client) == bob
    assert response.context["tenant"] != acme


def test_a_trusted_proxy_naming_someone_else_replaces_the_session(client, sso_on, bob) -> None:
    erin = User.objects.create_user("erin")  # no password: sign-on may sign her in
    client.force_login(bob)
    response = home(client, user="erin")
    assert response.context["user"] == erin
    assert signed_in_user(client) == erin


def test_the_session_stays_when_a_later_request_has_no_header(client, sso_on, rules) -> None:
    home(client, groups="sales-acme")
    response = client.get(reverse("charts:dashboard_list"), REMOTE_ADDR=OUTSIDER)
    assert response.status_code == 200
    assert response.context["user"].username == "dora"


def test_turning_sign_on_off_ends_the_sessions_it_started(client, sso_on, rules) -> None:
    home(client, groups="sales-acme")
    sso_on.PANES_SSO_ENABLED = False
    response = client.get(reverse("charts:dashboard_list"), REMOTE_ADDR=PROXY)
    assert response.status_code == 302


def test_a_removed_group_removes_the_sso_membership_but_never_an_admin_one(client, sso_on, rules, acme, globex) -> None:
    home(client, groups="sales-acme,sales-globex")
    dora = User.objects.get(username="dora")
    assert set(Membership.objects.filter(user=dora).values_list("tenant__slug", flat=True)) == {"acme", "globex"}
    # An admin makes the Globex membership their own.
    Membership.objects.filter(user=dora, tenant=globex).update(source=Membership.Source.ADMIN)

    client.logout()
    home(client, groups="")
    assert list(Membership.objects.filter(user=dora).values_list("tenant__slug", "source")) == [("globex", "admin")]


def test_groups_that_change_during_a_session_are_synced(client, sso_on, rules) -> None:
    home(client, groups="sales-acme")
    home(client, groups="sales-globex")
    assert list(Membership.objects.filter(user__username="dora").values_list("tenant__slug", flat=True)) == ["globex"]


def test_an_admin_membership_keeps_its_role_and_source_when_a_group_maps_to_it(client, sso_on, rules, acme) -> None:
    dora = User.objects.create_user("dora")
    Membership.objects.create(user=dora, tenant=acme, role=Membership.Role.EDITOR)
    home(client, groups="sales-acme")
    membership = Membership.objects.get(user=dora)
    assert (membership.source, membership.role) == (Membership.Source.ADMIN, Membership.Role.EDITOR)


def test_django_groups_map_to_tenants_too(client, sso_on, rules, acme) -> None:
    dora = User.objects.create_user("dora")
    dora.groups.add(Group.objects.create(name="Sales-Acme"))
    home(client)  # no groups header at all
    assert Membership.objects.get(user=dora).tenant == acme


def test_groups_from_an_untrusted_address_are_never_used(rf, sso_on, rules) -> None:
    dora = User.objects.create_user("dora")
    request = rf.get("/", REMOTE_ADDR=OUTSIDER, HTTP_X_REMOTE_GROUPS="sales-acme")
    assert sso.groups_for(request, dora) == []
    assert sso.TrustedHeaderBackend().authenticate(request, remote_user="dora") is None


def test_an_inactive_user_is_not_signed_in(client, sso_on, rules) -> None:
    User.objects.create_user("dora", is_active=False)
    assert home(client, groups="sales-acme").status_code == 302
    assert not Membership.objects.filter(user__username="dora").exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 151, "bad\x00name"])
def test_an_unusable_user_name_signs_nobody_in(client, sso_on, db, name) -> None:
    assert home(client, user=name).status_code == 302
    assert not User.objects.exists()


def test_users_are_not_created_when_creation_is_off(client, sso_on, db) -> None:
    sso_on.PANES_SSO_CREATE_USERS = False
    erin = User.objects.create_user("erin")
    assert home(client, user="dora").status_code == 302
    assert not User.objects.filter(username="dora").exists()
    assert home(client, user="erin").context["user"] == erin


@override_settings(PANES_SSO_ENABLED=True, PANES_SSO_HEADER="", PANES_SSO_TRUSTED_PROXIES=["127.0.0.1"])
def test_without_a_header_name_the_wsgi_remote_user_counts(client, db) -> None:
    response = client.get(reverse("charts:dashboard_list"), REMOTE_ADDR="127.0.0.1", REMOTE_USER="erin")
    assert response.context["user"].username == "erin"
    client.logout()
    # A header called Remote-User is not the WSGI variable.
    client.get(reverse("charts:dashboard_list"), REMOTE_ADDR="127.0.0.1", HTTP_REMOTE_USER="frank")
    assert not User.objects.filter(username="frank").exists()


def test_password_login_still_works_with_sign_on_enabled(client, sso_on, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}, REMOTE_ADDR=OUTSIDER)
    assert response.status_code == 302
    assert signed_in_user(client) == alice


def test_admins_manage_group_rules_and_see_where_memberships_come_from(admin_client, sso_on, rules) -> None:
    response = admin_client.get(reverse("admin:charts_intranetgrouprule_changelist"))
    assert response.status_code == 200
    assert "Sales-Acme" in response.content.decode()
    home(Client(), groups="sales-acme")
    response = admin_client.get(reverse("admin:charts_membership_changelist"), {"source__exact": "sso"})
    assert response.status_code == 200
    assert "dora" in response.content.decode()


def test_a_group_rule_is_unique_per_tenant_whatever_the_case(acme) -> None:
    from django.db import IntegrityError, transaction

    IntranetGroupRule.objects.create(group="Sales", tenant=acme)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntranetGroupRule.objects.create(group=" sales ", tenant=acme)
