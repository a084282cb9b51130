"""The workspace admin cannot point a workspace at a host, or a key variable, the operator did not
allow (issue 9): a staff member with only "change workspace" cannot touch either field, a
superuser cannot pick a host or variable outside the allow-lists, and an allowed change is in
the history with its old and new values. An attacker's listener on 127.0.0.1 hears nothing."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from charts.models import Workspace
from tests.charts.builders import KNOWN_KEY
from tests.conftest import LOCAL_KEY_ENV
from tests.support.listener import Listener

WORKSPACE_ID = "00000000-0000-4000-8000-00000000fa9e"


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


def staff_with(*codenames: str):
    user = get_user_model().objects.create_user(username="editor", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="charts", codename__in=codenames))
    return user


def change_url(workspace: Workspace) -> str:
    return reverse("admin:charts_workspace_change", args=[workspace.pk])


def form_data(workspace: Workspace, **changes: str) -> dict:
    data = {
        "name": workspace.name,
        "workspace_id": workspace.workspace_id,
        "api_host": workspace.api_host,
        "signing_key_env": workspace.signing_key_env,
        "default_tenant_params": workspace.default_tenant_params,
    }
    return {**data, **changes}


def test_the_routing_permission_exists(db) -> None:
    permission = Permission.objects.get(content_type__app_label="charts", codename="change_workspace_routing")
    assert permission.name == "Can change a workspace's API host and signing-key variable"


def test_a_staff_member_with_only_change_workspace_sees_both_fields_read_only(client, workspace) -> None:
    client.force_login(staff_with("view_workspace", "change_workspace"))
    html = client.get(change_url(workspace)).content.decode()
    assert 'name="name"' in html
    assert 'name="api_host"' not in html and 'name="signing_key_env"' not in html
    assert LOCAL_KEY_ENV in html  # shown, read-only


def test_a_staff_member_with_only_change_workspace_cannot_repoint_it(client, workspace, listener) -> None:
    client.force_login(staff_with("view_workspace", "change_workspace"))
    with pytest.MonkeyPatch.context() as patch:
        # Even a host and variable the operator allows need the routing permission.
        patch.setattr(settings, "PANES_ALLOWED_API_HOSTS", [*settings.PANES_ALLOWED_API_HOSTS, listener.origin])
        response = client.post(
            change_url(workspace), form_data(workspace, name="Renamed", api_host=listener.origin, signing_key_env="SECRET_KEY")
        )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.api_host, workspace.signing_key_env) == ("Renamed", "", LOCAL_KEY_ENV)
    assert listener.requests == []


def test_a_staff_member_without_the_permission_adds_workspaces_on_the_built_in_host_only(client, db, listener) -> None:
    client.force_login(staff_with("view_workspace", "add_workspace", "change_workspace"))
    response = client.post(
        reverse("admin:charts_workspace_add"),
        {"name": "Sneaky", "workspace_id": "ws-x", "api_host": listener.origin, "signing_key_env": "SECRET_KEY",
         "default_tenant_params": "company_id"},
    )
    assert response.status_code == 302
    created = Workspace.objects.get(name="Sneaky")
    assert (created.api_host, created.signing_key_env) == ("", settings.PIPES_ADMIN_TOKEN_ENV)
    assert listener.requests == []


def test_the_routing_permission_lets_a_staff_member_change_them_within_the_allow_lists(client, workspace, settings) -> None:
    client.force_login(staff_with("view_workspace", "change_workspace", "change_workspace_routing"))
    html = client.get(change_url(workspace)).content.decode()
    assert 'name="api_host"' in html and 'name="signing_key_env"' in html
    response = client.post(change_url(workspace), form_data(workspace, api_host="https://api.tinybird.co/", signing_key_env="TINYBIRD_ADMIN_TOKEN"))
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.api_host, workspace.signing_key_env) == ("https://api.tinybird.co", "TINYBIRD_ADMIN_TOKEN")


def test_a_superuser_cannot_set_a_host_the_operator_did_not_allow(staff_client, workspace, listener) -> None:
    response = staff_client.post(change_url(workspace), form_data(workspace, api_host=listener.origin))
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["api_host"]
    assert listener.origin in error and "PANES_ALLOWED_API_HOSTS" in error
    workspace.refresh_from_db()
    assert workspace.api_host == ""
    assert listener.requests == []


@pytest.mark.parametrize(
    "host",
    ["https://user:pw@api.tinybird.co", "https://api.tinybird.co/v0/pipes", "https://api.tinybird.co/?x=1", "https://api.tinybird.co.evil.example"],
)
def test_a_superuser_cannot_dress_up_a_host_as_an_allowed_one(staff_client, workspace, host) -> None:
    response = staff_client.post(change_url(workspace), form_data(workspace, api_host=host))
    assert response.status_code == 200 and "api_host" in response.context["adminform"].form.errors
    workspace.refresh_from_db()
    assert workspace.api_host == ""


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "SECRET_KEY_FILE", "PANES_SOMETHING_ELSE"])
def test_a_superuser_cannot_set_a_variable_the_operator_did_not_allow(staff_client, workspace, settings, variable) -> None:
    # SECRET_KEY and friends stay refused even when the operator lists them.
    settings.PANES_SIGNING_KEY_VARIABLES = [*settings.PANES_SIGNING_KEY_VARIABLES, "SECRET_KEY", "DATABASE_URL"]
    response = staff_client.post(change_url(workspace), form_data(workspace, signing_key_env=variable))
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["signing_key_env"]
    assert variable in error
    html = response.content.decode()
    assert settings.SECRET_KEY not in html and KNOWN_KEY not in html
    workspace.refresh_from_db()
    assert workspace.signing_key_env == LOCAL_KEY_ENV


def test_an_allowed_change_is_in_the_history_with_old_and_new_values(staff_client, workspace, settings, listener, monkeypatch) -> None:
    settings.PANES_ALLOWED_API_HOSTS = [*settings.PANES_ALLOWED_API_HOSTS, listener.origin]
    settings.PANES_SIGNING_KEY_VARIABLES = [*settings.PANES_SIGNING_KEY_VARIABLES, "PANES_LISTENER_KEY"]
    monkeypatch.setenv("PANES_LISTENER_KEY", KNOWN_KEY)
    response = staff_client.post(
        change_url(workspace), form_data(workspace, api_host=listener.origin + "/", signing_key_env="PANES_LISTENER_KEY")
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.api_host, workspace.signing_key_env) == (listener.origin, "PANES_LISTENER_KEY")

    [entry] = LogEntry.objects.filter(object_id=str(workspace.pk))
    message = entry.get_change_message()
    assert message == (
        f"Changed API host: Panes built-in → {listener.origin} and signing key variable: {LOCAL_KEY_ENV} → PANES_LISTENER_KEY."
    )
    assert KNOWN_KEY not in entry.change_message
    history = staff_client.get(reverse("admin:charts_workspace_history", args=[workspace.pk])).content.decode()
    assert listener.origin in history and KNOWN_KEY not in history
    assert listener.requests == []  # saving a host sends it nothing


def test_adding_a_workspace_logs_where_it_points(staff_client, db) -> None:
    data = {"name": "EU", "workspace_id": "ws-eu", "api_host": "https://api.tinybird.co", "signing_key_env": "TINYBIRD_ADMIN_TOKEN",
            "default_tenant_params": "company_id"}
    assert staff_client.post(reverse("admin:charts_workspace_add"), data).status_code == 302
    [entry] = LogEntry.objects.all()
    assert entry.get_change_message() == "Added. Changed API host: https://api.tinybird.co and signing key variable: TINYBIRD_ADMIN_TOKEN."


def test_a_change_of_other_fields_logs_no_routing_values(staff_client, workspace) -> None:
    assert staff_client.post(change_url(workspace), form_data(workspace, name="Renamed")).status_code == 302
    [entry] = LogEntry.objects.filter(object_id=str(workspace.pk))
    assert "API host" not in entry.get_change_message() and "Name" in entry.get_change_message()


def test_the_changelist_points_out_rows_stored_around_the_admin(staff_client, workspace, listener) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin, signing_key_env="SECRET_KEY")
    html = staff_client.get(reverse("admin:charts_workspace_changelist")).content.decode()
    assert html.count("not allowed") == 2 and "PANES_ALLOWED_API_HOSTS" in html and "Panes&#x27; own settings" in html
    assert settings.SECRET_KEY not in html
    assert listener.requests == []
