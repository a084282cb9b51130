"""GET /v0/pipes: the listing, for the admin token only."""
from __future__ import annotations

import pytest

from .conftest import scope

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])


def test_the_admin_token_lists_pipes_in_tinybirds_shape(api, sales, admin_token):
    response = api.get("/v0/pipes", admin_token)
    assert response.status_code == 200
    [pipe] = response.json()["pipes"]
    assert pipe["id"] == sales.pipe_id
    assert pipe["name"] == "sales"
    assert pipe["description"] == "Orders of one company."
    assert pipe["endpoint"] == "/v0/pipes/sales.json"
    assert [p["name"] for p in pipe["params"]] == ["company_id", "date_from", "min_quantity", "paid"]
    assert pipe["params"][0] == {"name": "company_id", "type": "String", "required": True, "default": "", "description": ""}
    assert response["Cache-Control"] == "no-store"


def test_each_pipe_lists_its_node_with_sql_and_params_as_tinybird_does(api, sales, admin_token):
    [pipe] = api.get("/v0/pipes", admin_token).json()["pipes"]
    [node] = pipe["nodes"]
    assert node["name"] == "sales_0"
    assert node["sql"] == sales.sql
    assert [p["name"] for p in node["params"]] == ["company_id", "date_from", "min_quantity", "paid"]
    assert {k: node["params"][0][k] for k in ("name", "type", "required", "default")} == {
        "name": "company_id", "type": "String", "required": True, "default": ""
    }


def test_a_jwt_cannot_list_pipes(api, sales, make_token):
    response = api.get("/v0/pipes", make_token([scope("sales", company_id="acme")]))
    assert response.status_code == 403
    assert "admin token" in response.json()["error"]


def test_listing_without_a_token_is_403(api, sales):
    assert api.get("/v0/pipes").status_code == 403


def test_listing_runs_two_queries_however_many_pipes(api, sales, admin_token, django_assert_num_queries):
    from pipes.models import Pipe, PipeParam

    for i in range(5):
        pipe = Pipe.objects.create(name=f"p{i}", sql="SELECT 1 AS one")
        PipeParam.objects.create(pipe=pipe, name="x", type="Int")
    with django_assert_num_queries(2):
        assert len(api.get("/v0/pipes", admin_token).json()["pipes"]) == 6
