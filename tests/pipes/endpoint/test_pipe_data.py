"""GET/POST /v0/pipes/<name>.<fmt> for a deployed Tinybird pipe: served from ClickHouse in
Tinybird's shape, the token's fixed params over the query string, Tinybird's errors."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from pipes import endpoint
from pipes.datafiles import Project
from pipes.engine import DataFolderInUse, Engine
from tests.pipes.conftest import scope

pytestmark = pytest.mark.django_db

ACME_ROWS = 3


def body(response) -> dict:
    return json.loads(response.content)


def test_admin_token_reads_the_pipe_for_any_company(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "globex"})
    assert response.status_code == 200, response.content
    answer = body(response)
    assert [row["city"] for row in answer["data"]] == ["Rome", "Madrid"]
    assert answer["rows"] == 2
    assert answer["meta"] == [
        {"name": "company_id", "type": "String"},
        {"name": "date", "type": "Date"},
        {"name": "city", "type": "String"},
        {"name": "amount", "type": "Float64"},
        {"name": "quantity", "type": "Int32"},
    ]
    assert answer["data"][0] == {"company_id": "globex", "date": "2024-01-01", "city": "Rome", "amount": 100, "quantity": 4}


def test_statistics_come_from_clickhouse(api, project: Project, admin_token: str) -> None:
    answer = body(api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme"}))
    statistics = answer["statistics"]
    assert set(statistics) == {"elapsed", "rows_read", "bytes_read"}
    assert statistics["rows_read"] > 0 and statistics["bytes_read"] > 0
    assert isinstance(statistics["elapsed"], float)
    assert answer["rows_before_limit_at_least"] == ACME_ROWS


def test_a_tenant_token_reads_its_fixed_company_whatever_the_query_string_says(
    api, project: Project, make_token: Callable[..., str]
) -> None:
    token = make_token([scope("ep_sales", company_id="acme")])
    for query in ({}, {"company_id": "globex"}, {"company_id": ["globex", "acme"]}):
        rows = api.rows("/v0/pipes/ep_sales.json", token, query)
        assert {row["company_id"] for row in rows} == {"acme"} and len(rows) == ACME_ROWS


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["company_id", "date_from", "min_quantity", "limit", "x", "COMPANY_ID", "company_id "]),
        st.one_of(st.sampled_from(["globex", "acme", "", "'", "globex' OR 1=1 --"]), st.text(max_size=20)),
        max_size=4,
    )
)
def test_hypothesis_a_tenant_never_sees_another_tenants_rows(
    api, project: Project, make_token: Callable[..., str], query: dict[str, str]
) -> None:
    token = make_token([scope("ep_sales", company_id="acme"), scope("ep_by_city", company_id="acme")])
    for path in ("/v0/pipes/ep_sales.json", "/v0/pipes/ep_by_city.json"):
        response = api.get(path, token, query)
        posted = api.client.post(
            path, urlencode(query), content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert (posted.status_code, posted.content) == (response.status_code, response.content) or (
            response.status_code == posted.status_code == 200  # statistics.elapsed differs
            and body(posted)["data"] == body(response)["data"]
        )
        assert response.status_code in (200, 400), response.content
        if response.status_code == 200 and path.endswith("ep_sales.json"):
            assert {row["company_id"] for row in body(response)["data"]} <= {"acme"}
        if response.status_code == 200 and path.endswith("ep_by_city.json"):
            assert {row["city"] for row in body(response)["data"]} <= {"Berlin", "Paris"}


def test_defined_is_true_for_a_fixed_param(api, project: Project, make_token: Callable[..., str]) -> None:
    token = make_token([scope("ep_sales", company_id="acme", date_from="2024-01-02")])
    rows = api.rows("/v0/pipes/ep_sales.json", token, {"date_from": "2020-01-01"})
    assert [row["date"] for row in rows] == ["2024-01-02", "2024-01-03"]


def test_optional_params_filter_when_given(api, project: Project, admin_token: str) -> None:
    rows = api.rows("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme", "min_quantity": "2"})
    assert [row["quantity"] for row in rows] == [2, 3]


def test_a_date_from_in_the_query_string_is_defined(api, project: Project, admin_token: str) -> None:
    rows = api.rows("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme", "date_from": "2024-01-03"})
    assert [row["date"] for row in rows] == ["2024-01-03"]


def test_a_pipe_is_read_by_its_id_too(api, project: Project, make_token: Callable[..., str]) -> None:
    pipe_id = endpoint.pipe_id("ep_sales")
    token = make_token([scope(pipe_id, company_id="globex")])
    rows = api.rows(f"/v0/pipes/{pipe_id}.json", token)
    assert {row["company_id"] for row in rows} == {"globex"}


def test_a_token_without_a_scope_for_the_pipe_gets_403(api, project: Project, make_token: Callable[..., str]) -> None:
    token = make_token([scope("ep_by_city", company_id="acme")])
    response = api.get("/v0/pipes/ep_sales.json", token)
    assert response.status_code == 403
    assert "error" in body(response)


def test_an_unknown_pipe_is_404_for_the_admin(api, project: Project, admin_token: str) -> None:
    assert api.get("/v0/pipes/ep_nothing.json", admin_token).status_code == 404


def test_a_missing_required_param_is_400_naming_it(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_sales.json", admin_token)
    assert response.status_code == 400
    assert "company_id" in body(response)["error"]


def test_a_value_of_the_wrong_type_is_400_naming_the_param(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme", "min_quantity": "many"})
    assert response.status_code == 400
    assert "min_quantity" in body(response)["error"]


def test_the_q_parameter_is_refused(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme", "q": "SELECT 1"})
    assert response.status_code == 400


def test_multi_node_pipes_read_earlier_nodes_by_name(api, project: Project, admin_token: str) -> None:
    rows = api.rows("/v0/pipes/ep_by_city.json", admin_token, {"company_id": "acme"})
    assert rows == [{"city": "Berlin", "total": 40}, {"city": "Paris", "total": 20}]
    rows = api.rows("/v0/pipes/ep_by_city.json", admin_token, {"company_id": "acme", "limit": "1"})
    assert rows == [{"city": "Berlin", "total": 40}]


def test_a_node_with_its_own_with_clause_is_read_by_the_next(api, project: Project, admin_token: str) -> None:
    rows = api.rows("/v0/pipes/ep_cities.json", admin_token, {"company_id": "globex"})
    assert rows == [{"city": "Madrid"}, {"city": "Rome"}]


def test_a_pipe_reads_another_pipe_with_the_same_params(
    api, project: Project, admin_token: str, make_token: Callable[..., str]
) -> None:
    assert api.rows("/v0/pipes/ep_top_city.json", admin_token, {"company_id": "globex"}) == [
        {"city": "Madrid", "total": 200}
    ]
    token = make_token([scope("ep_top_city", company_id="acme")])
    assert api.rows("/v0/pipes/ep_top_city.json", token, {"company_id": "globex"}) == [{"city": "Berlin", "total": 40}]
    response = api.get("/v0/pipes/ep_top_city.json", admin_token)
    assert response.status_code == 400 and "company_id" in body(response)["error"]


def test_csv(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_by_city.csv", admin_token, {"company_id": "acme"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == ['"city","total"', '"Berlin",40', '"Paris",20']


def test_ndjson(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_by_city.ndjson", admin_token, {"company_id": "acme"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.content.decode().splitlines()]
    assert lines == [{"city": "Berlin", "total": 40}, {"city": "Paris", "total": 20}]


def test_parquet(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_sales.parquet", admin_token, {"company_id": "acme"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == ACME_ROWS
    assert table.column_names == ["company_id", "date", "city", "amount", "quantity"]


def test_the_post_form_has_the_same_semantics(api, project: Project, make_token: Callable[..., str], admin_token: str) -> None:
    response = api.client.post(
        "/v0/pipes/ep_sales.json",
        urlencode({"company_id": "globex", "min_quantity": "5"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {admin_token}",
    )
    assert response.status_code == 200, response.content
    assert [row["quantity"] for row in body(response)["data"]] == [5]
    token = make_token([scope("ep_sales", company_id="acme")])
    response = api.client.post(
        "/v0/pipes/ep_sales.json",
        urlencode({"company_id": "globex", "token": token}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert {row["company_id"] for row in body(response)["data"]} == {"acme"}


def test_pipe_sql_cannot_write(api, project: Project, admin_token: str, engine: Engine) -> None:
    before = engine.query("SELECT count() AS n FROM ep_orders").data[0]["n"]
    response = api.get("/v0/pipes/ep_writer.json", admin_token)
    assert response.status_code == 400
    assert body(response)["error"].startswith("[Error]")
    assert engine.query("SELECT count() AS n FROM ep_orders").data[0]["n"] == before


def test_a_clickhouse_error_is_a_400_with_its_message(api, project: Project, admin_token: str) -> None:
    response = api.get("/v0/pipes/ep_broken.json", admin_token)
    assert response.status_code == 400
    message = body(response)["error"]
    assert "no_such_column" in message and "Stack trace" not in message


def test_rows_are_capped_by_pipes_max_rows(api, project: Project, admin_token: str, settings) -> None:
    settings.PIPES_MAX_ROWS = 2
    answer = body(api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme"}))
    assert answer["rows"] == 2
    assert answer["rows_before_limit_at_least"] == ACME_ROWS


def test_a_name_not_deployed_is_404_for_the_admin_and_403_for_a_tenant(
    api, project: Project, admin_token: str, make_token: Callable[..., str]
) -> None:
    assert api.get("/v0/pipes/sales.json", admin_token).json() == {"error": "pipe sales does not exist"}
    assert api.get("/v0/pipes/sales.json", make_token([scope("ep_sales", company_id="acme")])).status_code == 403


def test_an_unavailable_engine_is_503(api, project: Project, admin_token: str, monkeypatch) -> None:
    def down() -> Engine:
        raise DataFolderInUse("The chDB data folder is in use by process 1.")

    monkeypatch.setattr("pipes.views.runtime.engine", down)
    response = api.get("/v0/pipes/ep_sales.json", admin_token, {"company_id": "acme"})
    assert response.status_code == 503
    assert "process" not in body(response)["error"]
