"""charts.routing: only hosts and signing-key variables the operator allowed, checked at every
moment of use (signing, minting, frames, system checks), not only in the admin form."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from html import unescape

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, override_settings
from django.urls import reverse

from charts import grants, routing, tokens
from charts.checks import check_routing_settings, check_signing_keys
from charts.models import TokenGrant, Workspace
from charts.signing import read_signing_key
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV
from tests.support.liveserver import ROOT

TINYBIRD = "https://api.tinybird.co"
ALLOWED = [TINYBIRD, "http://127.0.0.1:8000"]


# --- origins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://api.tinybird.co", TINYBIRD),
        ("https://api.tinybird.co/", TINYBIRD),
        ("HTTPS://API.Tinybird.CO", TINYBIRD),
        ("https://api.tinybird.co:443", TINYBIRD),
        (" https://api.tinybird.co ", TINYBIRD),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_origins_are_normalised_to_scheme_host_and_port(value, origin) -> None:
    assert routing.normalise_origin(value) == origin


@pytest.mark.parametrize(
    "value",
    [
        "",
        "api.tinybird.co",
        "ftp://api.tinybird.co",
        "javascript://api.tinybird.co",
        "https://user:pw@api.tinybird.co",
        "https://api.tinybird.co@evil.example",
        "https://api.tinybird.co/v0",
        "https://api.tinybird.co//evil.example",
        "https://api.tinybird.co/?",
        "https://api.tinybird.co?x=1",
        "https://api.tinybird.co#frag",
        "https://api.tinybird.co/#",
        "https://api.tinybird.co:99999",
        "https://*.tinybird.co",
        "https://api.tinybird.co\\@evil.example",
        "https://api.tinybird.co evil",
        "https:///v0/pipes",
    ],
)
def test_anything_but_a_plain_origin_is_refused(value) -> None:
    with pytest.raises(routing.RoutingError):
        routing.normalise_origin(value)


def test_blank_is_the_built_in_host_and_always_allowed() -> None:
    assert routing.host_problem("", []) is None


@pytest.mark.parametrize("host", ["https://api.tinybird.co", "https://API.tinybird.co/", "https://api.tinybird.co:443", "http://127.0.0.1:8000/"])
def test_an_allowed_host_in_any_spelling_is_allowed(host) -> None:
    assert routing.host_problem(host, ALLOWED) is None


@pytest.mark.parametrize(
    "host",
    [
        "http://api.tinybird.co",  # another scheme
        "https://api.tinybird.co:8443",  # another port
        "http://127.0.0.1:8001",
        "https://api.tinybird.co.evil.example",
        "https://evil.example/api.tinybird.co",
        "https://user@api.tinybird.co",
        "https://api.tinybird.co/v0/pipes",
        "https://api.tinybird.co/?token=",
    ],
)
def test_any_other_host_is_refused_and_named(host) -> None:
    problem = routing.host_problem(host, ALLOWED)
    assert problem is not None and host.split("://")[1].split("/")[0].split(":")[0].split("@")[-1] in problem


def test_entries_of_the_allow_list_that_are_not_origins_allow_nothing() -> None:
    allowed = ["https://api.tinybird.co/v0", "https://*.example.com", "https://ok.example.com"]
    assert routing.host_problem("https://api.tinybird.co", allowed) is not None
    assert routing.host_problem("https://ok.example.com", allowed) is None
    assert [entry for entry, _ in routing.bad_host_entries(allowed)] == allowed[:2]


# --- signing-key variables ---------------------------------------------------------------------------


def test_only_allowed_variables_are_signing_keys() -> None:
    assert routing.variable_problem_in("TINYBIRD_ADMIN_TOKEN", ["TINYBIRD_ADMIN_TOKEN"]) is None
    problem = routing.variable_problem_in("OTHER_TOKEN", ["TINYBIRD_ADMIN_TOKEN"])
    assert "OTHER_TOKEN" in problem and "PANES_SIGNING_KEY_VARIABLES" in problem


@pytest.mark.parametrize("name", ["SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL", "PIPES_ADMIN_TOKEN_ENV"])
def test_panes_own_settings_are_refused_even_when_allowed(name) -> None:
    problem = routing.variable_problem_in(name, [name])
    assert problem is not None and name in problem and "Panes' own settings" in problem


@pytest.mark.parametrize("name", ["", "secret_key", "A-B", "X" * 129, "1ABC"])
def test_a_name_that_is_no_variable_name_is_refused(name) -> None:
    assert routing.variable_problem_in(name, [name]) is not None


def test_the_deny_list_covers_every_variable_panes_settings_read() -> None:
    reads = re.compile(r"(?:env\.\w+|_secret|_database|os\.environ\.get|environ\.get)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
    read = set()
    for path in ("config/settings.py", "config/gunicorn.conf.py"):
        read |= set(reads.findall((ROOT / path).read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"} <= read
    assert read - routing.SETTINGS_VARIABLES == set()


def test_no_variable_panes_settings_read_is_one_a_pipe_may_read_with_tb_secret() -> None:
    # The built-in host's tb_secret('x') reads TB_SECRET_x only (pipes/secrets.py).
    assert not [name for name in routing.SETTINGS_VARIABLES if name.startswith("TB_SECRET_")]


def test_no_variable_panes_settings_read_is_a_static_tokens_value() -> None:
    # A datafile's TOKEN "x" reads its value from TB_TOKEN_x (pipes/static_tokens.py).
    assert not [name for name in routing.SETTINGS_VARIABLES if name.startswith("TB_TOKEN_")]


def test_the_default_allow_list_is_the_built_in_hosts_variable_and_tinybirds() -> None:
    assert settings.PANES_SIGNING_KEY_VARIABLES == [settings.PIPES_ADMIN_TOKEN_ENV, "TINYBIRD_ADMIN_TOKEN"]


# --- at the moment of use: reading a key ---------------------------------------------------------------


def test_read_signing_key_refuses_secret_key_without_reading_it() -> None:
    with override_settings(PANES_SIGNING_KEY_VARIABLES=[*settings.PANES_SIGNING_KEY_VARIABLES, "SECRET_KEY"]):
        with pytest.raises(tokens.SigningKeyError) as caught:
            read_signing_key("SECRET_KEY")
    assert "SECRET_KEY" in str(caught.value) and settings.SECRET_KEY not in str(caught.value)


def test_read_signing_key_refuses_a_variable_not_allowed_until_the_operator_allows_it(monkeypatch) -> None:
    monkeypatch.setenv("PANES_OTHER_TOKEN", KNOWN_KEY)
    with pytest.raises(tokens.SigningKeyError, match="PANES_OTHER_TOKEN"):
        read_signing_key("PANES_OTHER_TOKEN")
    with override_settings(PANES_SIGNING_KEY_VARIABLES=["PANES_OTHER_TOKEN"]):
        assert read_signing_key("PANES_OTHER_TOKEN") == KNOWN_KEY.encode()


# --- at the moment of use: minting and frames ----------------------------------------------------------


@pytest.fixture
def forced(workspace, acme, monkeypatch):
    """A dashboard whose workspace row was pointed elsewhere around the admin (a shell, an old row)."""
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    chart = make_chart(workspace, "Sales", "sales")
    board = make_dashboard("sales", acme, charts=[chart])
    Workspace.objects.filter(pk=workspace.pk).update(api_host="https://evil.example")
    return {"chart": chart, "board": board}


def test_workspace_token_mints_nothing_for_a_host_not_allowed(forced, alice, acme) -> None:
    request = RequestFactory().get("/")
    request.user, request.session = alice, SessionStore()
    charts = [tile.chart for tile in forced["board"].tiles.select_related("chart__workspace")]
    [page_token] = grants.page_tokens(
        request, tenant=acme, dashboard=forced["board"], charts=charts, now=datetime.now(timezone.utc)
    ).values()
    assert page_token.token is None
    assert "https://evil.example" in page_token.error and "PANES_ALLOWED_API_HOSTS" in page_token.error
    assert not TokenGrant.objects.exists()


def test_the_dashboard_says_the_chart_host_is_unavailable_and_carries_no_token(forced, alice_client) -> None:
    html = alice_client.get(reverse("charts:dashboard", args=["sales"])).content.decode()
    assert "Chart host unavailable" in html
    assert "token=" not in html and "evil.example" not in html
    answer = alice_client.get(reverse("charts:dashboard_token", args=["sales"]))
    assert answer.json()["workspaces"] == {} and "eyJ" not in answer.content.decode()
    assert not TokenGrant.objects.exists()


def test_the_frame_gets_no_host_not_allowed(forced, alice_client) -> None:
    html = alice_client.get(reverse("charts:frame", args=[forced["chart"].pk])).content.decode()
    config = json.loads(unescape(re.search(r'<script id="panes-chart-config" type="application/json">(.*?)</script>', html, re.S).group(1)))
    assert config["api"] == "" and config["error"] == "Chart host unavailable"
    assert "evil.example" not in html


def test_an_allowed_host_is_handed_to_the_frame_as_its_origin(forced, alice_client, monkeypatch) -> None:
    monkeypatch.setenv(REMOTE_KEY_ENV, KNOWN_KEY)
    Workspace.objects.update(api_host="https://API.evil.example:443/", signing_key_env=REMOTE_KEY_ENV)
    with override_settings(PANES_ALLOWED_API_HOSTS=["https://api.evil.example"]):
        html = alice_client.get(reverse("charts:frame", args=[forced["chart"].pk])).content.decode()
    assert '"api": "https://api.evil.example"' in unescape(html)


# --- system checks ---------------------------------------------------------------------------------------


def test_e003_fires_when_the_operator_allows_a_settings_variable() -> None:
    with override_settings(PANES_SIGNING_KEY_VARIABLES=["TINYBIRD_ADMIN_TOKEN", "SECRET_KEY", "DATABASE_URL"]):
        messages = check_routing_settings()
    assert [m.id for m in messages] == ["charts.E003", "charts.E003"]
    assert "SECRET_KEY" in messages[0].msg and "DATABASE_URL" in messages[1].msg and messages[0].hint


def test_e006_fires_on_an_allowed_host_that_is_not_an_origin() -> None:
    with override_settings(PANES_ALLOWED_API_HOSTS=["https://api.tinybird.co/v0"]):
        [message] = check_routing_settings()
    assert message.id == "charts.E006" and "https://api.tinybird.co/v0" in message.msg


def test_the_routing_settings_of_the_test_suite_are_clean() -> None:
    assert check_routing_settings() == []


def test_e004_and_e005_report_stored_rows_around_the_admin(workspace, monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    assert check_signing_keys(databases=["default"]) == []
    Workspace.objects.filter(pk=workspace.pk).update(api_host="http://127.0.0.1:9", signing_key_env="SECRET_KEY")
    messages = check_signing_keys(databases=["default"])
    assert sorted(m.id for m in messages) == ["charts.E004", "charts.E005"]
    by_id = {m.id: m for m in messages}
    assert "SECRET_KEY" in by_id["charts.E004"].msg and "PANES_SIGNING_KEY_VARIABLES" in by_id["charts.E004"].hint
    assert "http://127.0.0.1:9" in by_id["charts.E005"].msg and "PANES_ALLOWED_API_HOSTS" in by_id["charts.E005"].hint
    assert settings.SECRET_KEY not in "".join(m.msg + m.hint for m in messages)
