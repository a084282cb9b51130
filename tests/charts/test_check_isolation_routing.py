"""manage.py check_isolation never sends a workspace's key to a host, or reads a variable, the
operator did not allow (issue 9): a row forced around the admin (queryset.update, as a shell or
an old row would) makes the command fail naming the problem, and the listener hears nothing."""
from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from charts.management.commands.check_isolation import Command
from charts.models import Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV
from tests.support.listener import Listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


@pytest.fixture
def board(workspace, acme, monkeypatch):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    return make_dashboard("sales", acme, charts=[make_chart(workspace, "Sales", "sales")])


def failure() -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_isolation", "--timeout", "3", stdout=out, stderr=StringIO())
    return str(caught.value), out.getvalue()


def test_a_host_not_allowed_gets_no_key_and_fails_the_command(board, workspace, listener) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin)
    message, output = failure()
    assert listener.requests == []
    assert "workspace-not-allowed [Built-in]" in message and listener.origin in message
    assert "PANES_ALLOWED_API_HOSTS" in message
    assert KNOWN_KEY not in message + output


def test_secret_key_is_never_read_nor_sent_even_to_an_allowed_host(board, workspace, listener) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "PANES_ALLOWED_API_HOSTS", [listener.origin])
        patch.setattr(settings, "PANES_SIGNING_KEY_VARIABLES", [*settings.PANES_SIGNING_KEY_VARIABLES, "SECRET_KEY"])
        Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin, signing_key_env="SECRET_KEY")
        message, output = failure()
    assert listener.requests == []
    assert "workspace-not-allowed [Built-in]" in message and "SECRET_KEY" in message
    assert settings.SECRET_KEY not in message + output


def test_both_problems_are_named(board, workspace, listener) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin, signing_key_env="DATABASE_URL")
    message, _ = failure()
    assert listener.requests == []
    assert listener.origin in message and "DATABASE_URL" in message


def test_a_variable_not_allowed_on_the_built_in_host_fails_too(board, workspace, monkeypatch) -> None:
    monkeypatch.setenv("PANES_UNLISTED_KEY", KNOWN_KEY)
    Workspace.objects.filter(pk=workspace.pk).update(signing_key_env="PANES_UNLISTED_KEY")
    message, output = failure()
    assert "workspace-not-allowed" in message and "PANES_UNLISTED_KEY" in message
    assert KNOWN_KEY not in message + output


def test_from_the_command_line_it_exits_1(board, workspace, listener, capsys) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "check_isolation", "--timeout", "3"])
    assert exited.value.code == 1
    assert "workspace-not-allowed" in capsys.readouterr().err
    assert listener.requests == []


def test_an_allowed_host_still_gets_the_listing_request(board, workspace, listener) -> None:
    """The guard is the allow-list, not a blanket refusal: allowed, the host is asked as before."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "PANES_ALLOWED_API_HOSTS", [listener.origin])
        patch.setenv(REMOTE_KEY_ENV, KNOWN_KEY)
        Workspace.objects.filter(pk=workspace.pk).update(api_host=listener.origin + "/", signing_key_env=REMOTE_KEY_ENV)
        out = StringIO()
        call_command("check_isolation", "--timeout", "3", stdout=out, stderr=StringIO())
    assert [(r["method"], r["path"]) for r in listener.requests] == [("GET", "/v0/pipes")]
    assert listener.requests[0]["headers"]["Authorization"] == f"Bearer {KNOWN_KEY}"
