"""The demo runs with the operator's allow-lists: its workspace is the built-in host with the
built-in host's variable, and it says so when the operator left that variable out."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from charts import routing
from charts.models import Workspace

pytestmark = pytest.mark.django_db


def test_the_demo_workspace_is_allowed_by_default() -> None:
    err = StringIO()
    call_command("demo", rows=500, stdout=StringIO(), stderr=err)
    workspace = Workspace.objects.get()
    assert routing.workspace_problems(workspace.api_host, workspace.signing_key_env) == {}
    assert err.getvalue() == ""


def test_the_demo_warns_when_its_variable_is_not_allowed(settings) -> None:
    settings.PANES_SIGNING_KEY_VARIABLES = ["TINYBIRD_ADMIN_TOKEN"]
    err = StringIO()
    call_command("demo", rows=500, stdout=StringIO(), stderr=err)
    assert settings.PIPES_ADMIN_TOKEN_ENV in err.getvalue() and "PANES_SIGNING_KEY_VARIABLES" in err.getvalue()
