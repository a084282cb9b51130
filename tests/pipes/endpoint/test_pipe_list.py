"""GET /v0/pipes lists the deployed pipes in Tinybird's shape."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from pipes.datafiles import Project
from tests.pipes.conftest import scope

pytestmark = pytest.mark.django_db


def listing(api, token: str) -> dict[str, dict]:
    response = api.get("/v0/pipes", token)
    assert response.status_code == 200, response.content
    return {pipe["name"]: pipe for pipe in response.json()["pipes"]}


def test_deployed_pipes_are_listed_with_nodes_sql_and_params(api, project: Project, admin_token: str) -> None:
    sales = listing(api, admin_token)["ep_sales"]
    assert sales["type"] == "endpoint"
    assert sales["endpoint"] == "/v0/pipes/ep_sales.json"
    assert sales["description"].strip() == "Orders of one company."
    assert sales["id"].startswith("t_")
    [node] = sales["nodes"]
    assert node["name"] == "endpoint"
    assert "{{ String(company_id, required=True" in node["sql"]
    params = {p["name"]: p for p in sales["params"]}
    assert params["company_id"]["required"] is True and params["company_id"]["type"] == "String"
    assert params["company_id"]["description"] == "The company"
    assert params["date_from"]["type"] == "Date" and params["date_from"]["required"] is False
    assert {p["name"] for p in node["params"]} == {"company_id", "date_from", "min_quantity"}


def test_every_node_of_a_multi_node_pipe_is_listed(api, project: Project, admin_token: str) -> None:
    by_city = listing(api, admin_token)["ep_by_city"]
    assert [node["name"] for node in by_city["nodes"]] == ["filtered", "totals", "endpoint"]
    assert by_city["nodes"][1]["dependencies"] == ["filtered"]
    assert {p["name"] for p in by_city["params"]} == {"company_id", "limit"}


def test_pipes_are_listed_by_name(api, project: Project, admin_token: str) -> None:
    names = list(listing(api, admin_token))
    assert names == sorted(names) and "ep_sales" in names


def test_nothing_is_listed_before_the_first_deploy(api, admin_token: str) -> None:
    assert api.get("/v0/pipes", admin_token).json() == {"pipes": []}


def test_the_listing_needs_the_admin_token(api, project: Project, make_token: Callable[..., str]) -> None:
    token = make_token([scope("ep_sales", company_id="acme")])
    assert api.get("/v0/pipes", token).status_code == 403


def test_a_deployed_pipe_accepts_the_post_form_in_its_preflight(api, project: Project) -> None:
    deployed = api.client.options("/v0/pipes/ep_sales.json", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert deployed["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
