"""Personas shared by every test: two organisations, their people, staff, and a workspace.

alice belongs to Acme, bob to Globex, carol to both, staff is a superuser with no membership,
and the anonymous persona is the plain test client.

Also the suite's set-up: the hypothesis profiles, and a Redis database of its own for each
pytest-xdist worker.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from charts.models import Membership, Tenant, TenantFilterRule, Workspace
from tests.support.examples import CI_EXAMPLES, DEV_EXAMPLES

LOCAL_KEY_ENV = "PANES_LOCAL_ADMIN_TOKEN"
# A remote (Tinybird) workspace's key: the built-in host's variable pairs only with the built-in host.
REMOTE_KEY_ENV = "TINYBIRD_ADMIN_TOKEN"

# "dev" is quick, for the everyday `make test-fast`; "ci" has the thorough counts (properties ask
# for multiples of it through tests.support.examples). No deadline in either: on a shared machine
# a slow example is noise, not a failure.
hypothesis_settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=CI_EXAMPLES, deadline=None, print_blob=True)


def hypothesis_profile() -> str:
    """HYPOTHESIS_PROFILE if set; otherwise "ci" under CI (CI=true), else "dev"."""
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return os.environ["HYPOTHESIS_PROFILE"]
    return "ci" if os.environ.get("CI", "").lower() not in ("", "0", "false", "no") else "dev"


hypothesis_settings.load_profile(hypothesis_profile())


def pytest_report_header() -> str:
    return f"hypothesis profile: {hypothesis_profile()} (max_examples={hypothesis_settings.default.max_examples})"


def _own_redis_database_per_worker() -> None:
    """xdist workers share the Redis of CACHE_URL, and cache.clear() empties a whole Redis
    database: the first worker keeps CACHE_URL's database, worker gwN (N > 0) uses 3 + N, since
    2 and 3 belong to tests/test_shared_cache.py and bench/load.py."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache = django_settings.CACHES["default"]
    if not worker or worker == "gw0" or not cache["BACKEND"].endswith(".RedisCache"):
        return
    parts = urlsplit(cache["LOCATION"])
    # In place: the cache handler reads this same dict when the cache is first used.
    cache["LOCATION"] = parts._replace(path=f"/{3 + int(worker.removeprefix('gw'))}").geturl()


_own_redis_database_per_worker()


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """A request's language stays active in its thread after the response (LocaleMiddleware
    never deactivates it): without this a German page in one test would make the next test's
    gettext German."""
    yield
    translation.deactivate()


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
