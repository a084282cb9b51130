"""/v0/sql, Tinybird's Query API: SQL over the deployed datasources and pipes, admin token only."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from django.test import Client

from pipes import query_api
from pipes.datafiles import Project
from pipes.endpoint import RequestError
from tests.pipes.conftest import scope

pytestmark = pytest.mark.django_db


def post(client: Client, token: str, data: str | dict, content_type: str = "application/x-www-form-urlencoded"):
    if isinstance(data, dict):
        return client.post("/v0/sql", data, HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/v0/sql", data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_answers_a_datasource_query_in_tinybirds_json(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT company_id, count() AS n FROM ep_orders GROUP BY company_id ORDER BY company_id FORMAT JSON"})
    assert response.status_code == 200, response.content
    answer = json.loads(response.content)
    assert answer["data"] == [{"company_id": "acme", "n": 3}, {"company_id": "globex", "n": 2}]
    assert [column["name"] for column in answer["meta"]] == ["company_id", "n"]
    assert answer["rows"] == 2
    assert answer["statistics"]["rows_read"] == 5


def test_json_is_the_default_format(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT 1 AS one"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["data"] == [{"one": 1}]


def test_format_csv_with_names(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT city FROM ep_orders WHERE company_id = 'globex' ORDER BY city format csvwithnames;"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [["city"], ["Madrid"], ["Rome"]]


def test_a_pipe_reads_as_a_table_with_the_requests_params(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT city, total FROM ep_by_city ORDER BY city", "company_id": "globex"})
    assert response.status_code == 200, response.content
    rows = json.loads(response.content)["data"]
    assert rows == [{"city": "Madrid", "total": 200}, {"city": "Rome", "total": 100}]


def test_a_pipes_required_param_missing_is_tinybirds_400(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT * FROM ep_sales"})
    assert response.status_code == 400
    assert "company_id" in json.loads(response.content)["error"]


def test_post_form_and_raw_body_both_carry_the_sql(client: Client, project: Project, admin_token: str) -> None:
    form = post(client, admin_token, {"q": "SELECT count() AS n FROM ep_orders FORMAT JSON"})
    raw = post(client, admin_token, "SELECT count() AS n FROM ep_orders FORMAT JSON")  # curl --data "SELECT …"
    plain = post(client, admin_token, "SELECT count() AS n FROM ep_orders", content_type="text/plain")
    for response in (form, raw, plain):
        assert response.status_code == 200, response.content
        assert int(json.loads(response.content)["data"][0]["n"]) == 5


def test_a_jwt_is_refused_even_with_a_scope_for_the_pipe(
    api, project: Project, make_token: Callable[..., str]
) -> None:
    token = make_token([scope("ep_sales", company_id="acme")])
    response = api.get("/v0/sql", token, {"q": "SELECT * FROM ep_orders"})
    assert response.status_code == 403
    assert "admin token" in json.loads(response.content)["error"]


def test_no_token_is_refused(api, project: Project) -> None:
    assert api.get("/v0/sql", None, {"q": "SELECT 1"}).status_code == 403


def test_it_is_read_only(api, project: Project, admin_token: str, engine) -> None:
    before = engine.query("SELECT count() AS n FROM ep_orders").data[0]["n"]
    writes = ("INSERT INTO ep_orders SELECT * FROM ep_orders", "DROP TABLE ep_orders", "SELECT 1; DROP TABLE ep_orders")
    # Table functions reach files, URLs and other databases: never from the Query API.
    reaches = ("SELECT * FROM file('/etc/hostname', 'LineAsString')", "SELECT * FROM url('http://127.0.0.1:9/', 'CSV')")
    for sql in writes + reaches:
        response = api.get("/v0/sql", admin_token, {"q": sql})
        assert response.status_code == 400, (sql, response.content)
        assert "error" in json.loads(response.content)
    assert engine.query("SELECT count() AS n FROM ep_orders").data[0]["n"] == before


def test_a_clickhouse_error_is_a_400_without_a_stack_trace(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/sql", admin_token, {"q": "SELECT no_such_column FROM ep_orders"})
    assert response.status_code == 400
    message = json.loads(response.content)["error"]
    assert "no_such_column" in message and "Stack trace" not in message


@pytest.mark.parametrize(
    "q, message",
    [
        ("", "q parameter"),
        ("   ", "q parameter"),
        ("SELECT 1 FORMAT Pretty", "FORMAT Pretty is not served"),
        ("SELECT 'unterminated", "inside a string"),
        ("SELECT 1; SELECT 2", "one statement"),
    ],
)
def test_parse_refuses_bad_queries_clearly(q: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        query_api.parse(q)


def test_parse_reads_format_only_outside_strings_and_comments() -> None:
    assert query_api.parse("SELECT 'FORMAT CSV' AS x").fmt == "JSON"
    assert query_api.parse("SELECT 'a;b' AS x FORMAT TSV;") == query_api.SqlRequest("SELECT 'a;b' AS x", "TSV")
    assert query_api.parse("SELECT 1 -- FORMAT CSV") == query_api.SqlRequest("SELECT 1 -- FORMAT CSV", "JSON")
    assert query_api.parse("SELECT 1 /* FORMAT CSV */").fmt == "JSON"
