"""Static tokens declared in datafiles (``TOKEN "name" READ|APPEND``): their values come from
``TB_TOKEN_<name>``; they open exactly what their declarations name, and a declared token that
cannot be used is said, never silently ignored."""
from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings

from pipes import static_tokens
from pipes.datafiles import load_project
from pipes.deploy import check, deploy
from pipes.engine import Engine, runtime
from pipes.engine.ddl import drop_table
from tests.pipes.releases import write_release

pytestmark = pytest.mark.django_db

BOT_VALUE = "bot-token-value-0123456789abcdef-0123456789"
DASHBOARD_VALUE = "dashboard-token-value-0123456789abcdef-012345"

FILES = {
    "datasources/stt_orders.datasource": """
        TOKEN "ingest-bot" APPEND
        TOKEN "dashboard" READ

        SCHEMA >
            `company_id` String `json:$.company_id`,
            `amount` Float64 `json:$.amount`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id"
        """,
    "endpoints/stt_totals.pipe": """
        TOKEN "dashboard" READ

        NODE endpoint
        SQL >
            %
            SELECT company_id, sum(amount) AS total FROM stt_orders
            {% if defined(company_id) %} WHERE company_id = {{ String(company_id) }} {% end %}
            GROUP BY company_id ORDER BY company_id

        TYPE endpoint
        """,
    "endpoints/stt_secret_pipe.pipe": """
        NODE endpoint
        SQL >
            SELECT count() AS n FROM stt_orders

        TYPE endpoint
        """,
}


@pytest.fixture
def deployed(tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    settings.PIPES_PROJECT_DIR = tmp_path / "host"
    engine = runtime.engine()
    deploy(write_release(tmp_path, "source", FILES), engine=engine)
    engine.insert("stt_orders", ["company_id", "amount"], [("acme", 10.0), ("globex", 5.0)])
    yield engine
    for name in ("stt_orders", "stt_orders_quarantine"):
        engine.command(drop_table(name, database=engine.database))


def get(client: Client, path: str, token: str):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def append(client: Client, token: str, body: str):
    return client.post(
        "/v0/events?name=stt_orders&wait=true", body, content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_declarations_become_scopes_by_token_name(tmp_path: Path) -> None:
    project = load_project(write_release(tmp_path, "x", FILES))
    tokens = static_tokens.declared(project)
    assert set(tokens) == {"dashboard", "ingest-bot"}
    assert tokens["ingest-bot"].variable == "TB_TOKEN_ingest_bot"
    assert tokens["ingest-bot"].scopes == ({"type": "DATASOURCES:APPEND", "resource": "stt_orders"},)
    assert tokens["dashboard"].scopes == (
        {"type": "DATASOURCES:READ", "resource": "stt_orders"},
        {"type": "PIPES:READ", "resource": "stt_totals"},
    )


def test_a_read_token_reads_the_pipes_it_names_and_nothing_else(
    client: Client, deployed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TB_TOKEN_dashboard", DASHBOARD_VALUE)
    response = get(client, "/v0/pipes/stt_totals.json", DASHBOARD_VALUE)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["data"] == [{"company_id": "acme", "total": 10}, {"company_id": "globex", "total": 5}]
    assert get(client, "/v0/pipes/stt_secret_pipe.json", DASHBOARD_VALUE).status_code == 403
    assert get(client, "/v0/pipes", DASHBOARD_VALUE).status_code == 403  # the listing is the admin's
    assert get(client, "/v0/sql?q=SELECT+1", DASHBOARD_VALUE).status_code == 403
    refused = append(client, DASHBOARD_VALUE, '{"company_id": "acme", "amount": 1}\n')
    assert refused.status_code == 403  # READ on a datasource never appends


def test_an_append_token_appends_and_reads_nothing(client: Client, deployed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TB_TOKEN_ingest_bot", BOT_VALUE)
    response = append(client, BOT_VALUE, '{"company_id": "acme", "amount": 2.5}\n')
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {"successful_rows": 1, "quarantined_rows": 0}
    assert deployed.query("SELECT sum(amount) AS s FROM stt_orders WHERE company_id = 'acme'").data == [{"s": 12.5}]
    assert get(client, "/v0/pipes/stt_totals.json", BOT_VALUE).status_code == 403


@pytest.mark.parametrize("value", [None, "", "too-short-0123456789"])
def test_a_token_without_a_long_enough_value_opens_nothing(
    client: Client, deployed: Engine, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("TB_TOKEN_dashboard", raising=False)
    else:
        monkeypatch.setenv("TB_TOKEN_dashboard", value)
    for presented in ("", "too-short-0123456789", DASHBOARD_VALUE):
        if presented:
            assert get(client, "/v0/pipes/stt_totals.json", presented).status_code == 403


def test_the_value_may_come_from_a_file(
    client: Client, deployed: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "dashboard.token"
    secret.write_text(DASHBOARD_VALUE + "\n")
    monkeypatch.delenv("TB_TOKEN_dashboard", raising=False)
    monkeypatch.setenv("TB_TOKEN_dashboard_FILE", str(secret))
    assert get(client, "/v0/pipes/stt_totals.json", DASHBOARD_VALUE).status_code == 200


def test_two_names_on_one_variable_are_a_deploy_error(tmp_path: Path) -> None:
    files = dict(FILES)
    files["endpoints/stt_secret_pipe.pipe"] = 'TOKEN "ingest bot" READ\n\n' + textwrap.dedent(FILES["endpoints/stt_secret_pipe.pipe"]).lstrip()
    project, errors = check(write_release(tmp_path, "clash", files))
    assert project is not None
    [clash] = [str(e) for e in errors if "TB_TOKEN_ingest_bot" in str(e)]
    assert "'ingest bot'" in clash and "'ingest-bot'" in clash
    assert "stt_orders.datasource:1" in clash  # the file and line of the second name's first TOKEN


def test_deploy_says_which_declared_tokens_cannot_be_used_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TB_TOKEN_dashboard", DASHBOARD_VALUE)
    monkeypatch.delenv("TB_TOKEN_ingest_bot", raising=False)
    call_command("pipes_deploy", str(write_release(tmp_path, "src", FILES)), "--check")
    err = capsys.readouterr().err
    assert "TOKEN 'ingest-bot' (stt_orders.datasource:1) opens nothing until TB_TOKEN_ingest_bot" in err
    assert "'dashboard'" not in err
