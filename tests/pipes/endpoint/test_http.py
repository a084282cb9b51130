"""A deployed pipe over HTTP: fixed params over the query string, validation, injection, unknown
pipes and formats, CORS, no cookies, compression, methods, throttling, and errors that leak
nothing (the legacy host's behaviour tests, kept for the ClickHouse host)."""
from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest

from pipes import throttle
from pipes.datafiles import Project
from pipes.engine import DataFolderInUse, Engine
from tests.pipes.conftest import scope

pytestmark = pytest.mark.django_db

URL = "/v0/pipes/ep_sales.json"


@pytest.fixture
def acme_token(make_token: Callable[..., str]) -> str:
    return make_token([scope("ep_sales", company_id="acme")])


def companies(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["company_id"] for row in response.json()["data"]}


# --- fixed params -------------------------------------------------------------------------------


def test_a_fixed_param_wins_over_repeated_keys(api, project: Project, acme_token: str) -> None:
    response = api.client.get(
        f"{URL}?company_id=globex&company_id=acme&company_id=globex", HTTP_AUTHORIZATION=f"Bearer {acme_token}"
    )
    assert companies(response) == {"acme"}


def test_fixed_params_the_pipe_does_not_use_are_ignored(api, project: Project, make_token) -> None:
    token = make_token([scope("ep_sales", company_id="acme", region="eu")])
    assert len(api.rows(URL, token)) == 3


def test_unknown_query_params_are_ignored(api, project: Project, acme_token: str) -> None:
    assert len(api.rows(URL, acme_token, {"colour": "blue"})) == 3


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value", "kind"),
    [("min_quantity", "two", "Int32"), ("min_quantity", "2.5", "Int32"), ("date_from", "2024-13-01", "Date")],
)
def test_a_value_of_the_wrong_type_is_400_naming_param_and_type(api, project, acme_token, param, value, kind) -> None:
    response = api.get(URL, acme_token, {param: value})
    assert response.status_code == 400
    message = response.json()["error"]
    assert param in message and kind in message


def test_an_oversized_param_is_400(api, project: Project, acme_token: str, settings) -> None:
    settings.PIPES_MAX_PARAM_LENGTH = 16
    response = api.get(URL, acme_token, {"date_from": "2024-01-01" + " " * 10})
    assert response.status_code == 400
    assert "longer than 16" in response.json()["error"]


def test_a_default_is_used_when_no_value_is_given(api, project: Project, admin_token: str) -> None:
    assert len(api.rows("/v0/pipes/ep_by_city.json", admin_token, {"company_id": "acme"})) == 2
    assert len(api.rows("/v0/pipes/ep_by_city.json", admin_token, {"company_id": "acme", "limit": "1"})) == 1


# --- injection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        "acme' OR '1'='1",
        "acme' OR 1=1 --",
        "1; DROP TABLE ep_orders",
        "acme'; DROP TABLE ep_orders; --",
        "{company_id:String}",
        "{{ company_id }}",
        "acme\\' OR 1=1 --",
    ],
)
def test_injection_in_params_returns_no_foreign_rows_and_the_table_survives(
    api, project: Project, admin_token: str, acme_token: str, engine: Engine, attempt: str
) -> None:
    assert api.rows(URL, admin_token, {"company_id": attempt}) == []  # a company nobody has
    for param in ("company_id", "date_from", "min_quantity"):
        response = api.get(URL, acme_token, {param: attempt})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert companies(response) <= {"acme"}
    assert engine.query("SELECT count() AS n FROM ep_orders").data == [{"n": 5}]


def test_a_literal_percent_in_the_sql_works(api, project: Project, admin_token: str) -> None:
    rows = api.rows("/v0/pipes/ep_percent.json", admin_token, {"c": "acme"})
    assert rows == [{"city": "Berlin", "share": "100%"}] * 2


# --- unknown pipes and formats ------------------------------------------------------------------


def test_an_unknown_pipe_is_403_for_a_bad_token(api, project: Project) -> None:
    assert api.get("/v0/pipes/nope.json", "bad").status_code == 403


def test_an_unknown_pipe_is_403_for_a_token_without_a_scope_for_it(api, project: Project, acme_token: str) -> None:
    # The same answer as for a deployed pipe it has no scope for: pipe names do not leak.
    assert api.get("/v0/pipes/nope.json", acme_token).json() == {"error": "the token has no PIPES:READ scope for this pipe"}
    assert api.get("/v0/pipes/ep_by_city.json", acme_token).json() == {"error": "the token has no PIPES:READ scope for this pipe"}


def test_a_datasource_is_not_a_pipe(api, project: Project, admin_token: str) -> None:
    assert api.get("/v0/pipes/ep_orders.json", admin_token).status_code == 404


def test_an_unknown_format_is_a_json_404_after_the_token_check(api, project: Project, admin_token: str) -> None:
    assert api.get("/v0/pipes/ep_sales.xml", "bad").status_code == 403
    for path in ("/v0/pipes/ep_sales.xml", "/v0/datasources", "/v0/pipes/"):
        response = api.get(path, admin_token)
        assert response.status_code == 404, path
        assert "error" in response.json()
        assert response["Access-Control-Allow-Origin"] == "*"


# --- CORS, cookies, methods ---------------------------------------------------------------------


def test_a_cors_preflight_from_another_origin_is_answered(api, project: Project) -> None:
    response = api.client.options(
        URL,
        HTTP_ORIGIN="https://intranet.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("token_kind", ["good", "bad"])
def test_every_response_is_cors_open_and_not_cached(api, project: Project, acme_token: str, token_kind: str) -> None:
    response = api.get(URL, acme_token if token_kind == "good" else "bad", HTTP_ORIGIN="https://other.example")
    assert response.status_code == (200 if token_kind == "good" else 403)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("session", ["logged_in", "stale"])
def test_the_session_is_never_touched_and_no_cookie_is_set(
    api, project: Project, acme_token: str, django_user_model, settings, session: str
) -> None:
    if session == "logged_in":
        api.client.force_login(django_user_model.objects.create_user("someone"))
    else:
        # Touching a stale session would make SessionMiddleware answer with a deleting cookie.
        api.client.cookies[settings.SESSION_COOKIE_NAME] = "stale-session-key"
    for response in (
        api.get(URL, acme_token),
        api.get(URL, "bad"),
        api.client.options(URL),
        api.client.post(URL, {"company_id": "acme"}, HTTP_AUTHORIZATION=f"Bearer {acme_token}"),
        api.get("/v0/pipes", acme_token),
    ):
        assert "Set-Cookie" not in response, response.status_code
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")


def test_other_methods_are_405(api, project: Project, acme_token: str) -> None:
    for method in ("put", "delete", "patch"):
        response = getattr(api.client, method)(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}")
        assert response.status_code == 405
        assert response["Allow"] == "GET, POST, OPTIONS"
        assert "error" in response.json()


# --- compression --------------------------------------------------------------------------------


def test_it_gzips_rows_for_a_client_that_accepts_gzip(api, project: Project, acme_token: str) -> None:
    response = api.client.get(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert {row["company_id"] for row in json.loads(gzip.decompress(response.content))["data"]} == {"acme"}
    # The API's own headers survive compression.
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


def test_it_sends_plain_json_to_a_client_that_does_not(api, project: Project, acme_token: str) -> None:
    response = api.client.get(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert response.json()["data"]


# --- throttling ---------------------------------------------------------------------------------


def test_it_answers_429_once_the_tokens_rps_is_exceeded(api, project: Project, make_token, monkeypatch) -> None:
    monkeypatch.setattr(throttle, "now", lambda: 1_700_000_000.5)  # one fixed second
    token = make_token([scope("ep_sales", company_id="acme")], limits={"rps": 2}, name="panes:acme:7")
    responses = [api.get(URL, token) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[-1]["Retry-After"] == "1"
    assert responses[-1].json() == {"error": "rate limit exceeded: 2 requests per second"}
    # Counted per token name: another user of the tenant has their own budget.
    other = make_token([scope("ep_sales", company_id="acme")], limits={"rps": 2}, name="panes:acme:8")
    assert api.get(URL, other).status_code == 200
    # The next second starts a new window.
    monkeypatch.setattr(throttle, "now", lambda: 1_700_000_001.5)
    assert api.get(URL, token).status_code == 200


def test_a_bad_rps_limit_is_refused(api, project: Project, make_token) -> None:
    assert api.get(URL, make_token(limits={"rps": "lots"})).status_code == 403


# --- errors -------------------------------------------------------------------------------------


def test_a_pipe_over_a_missing_column_is_a_400_with_clickhouses_message_not_a_traceback(
    api, project: Project, admin_token: str
) -> None:
    response = api.get("/v0/pipes/ep_broken.json", admin_token)
    assert response.status_code == 400
    text = response.content.decode()
    assert "no_such_column" in response.json()["error"]
    assert "Traceback" not in text and "Stack trace" not in text


def test_logs_never_contain_the_token(api, project: Project, acme_token: str, monkeypatch, caplog) -> None:
    caplog.set_level("DEBUG")
    api.get(URL, data={"token": acme_token, "q": "x"})
    api.get("/v0/pipes/nope.json", data={"token": acme_token})
    api.get("/v0/pipes/ep_broken.json", data={"token": acme_token})

    def down() -> Engine:
        raise DataFolderInUse("The chDB data folder is in use by process 1.")

    monkeypatch.setattr("pipes.views.runtime.engine", down)
    assert api.get(URL, data={"token": acme_token}).status_code == 503
    assert caplog.records
    assert acme_token not in caplog.text
