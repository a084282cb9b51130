"""Personas shared by every test: two organisations, their people, staff, and a workspace.

alice belongs to Acme, bob to Globex, carol to both, staff is a superuser with no membership,
and the anonymous persona is the plain test client.
"""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from charts.models import Membership, Tenant, TenantFilterRule, Workspace

LOCAL_KEY_ENV = "PANES_LOCAL_ADMIN_TOKEN"


@pytest.fixture
def workspace(db) -> Workspace:
    return Workspace.objects.create(
        name="Built-in", workspace_id="00000000-0000-4000-8000-00000000fa9e", api_host="", signing_key_env=LOCAL_KEY_ENV
    )


@pytest.fixture
def acme(db) -> Tenant:
    tenant = Tenant.objects.create(name="Acme", slug="acme")
    TenantFilterRule.objects.create(tenant=tenant, param="company_id", value="acme")
    return tenant


@pytest.fixture
def globex(db) -> Tenant:
    tenant = Tenant.objects.create(name="Globex", slug="globex")
    TenantFilterRule.objects.create(tenant=tenant, param="company_id", value="globex")
    return tenant


def _user(username: str, *tenants: Tenant, **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
    for tenant in tenants:
        Membership.objects.create(user=user, tenant=tenant)
    return user


@pytest.fixture
def alice(acme):
    return _user("alice", acme)


@pytest.fixture
def bob(globex):
    return _user("bob", globex)


@pytest.fixture
def carol(acme, globex):
    return _user("carol", acme, globex)


@pytest.fixture
def staff(db):
    return _user("staff", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
