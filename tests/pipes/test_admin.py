"""The pipes admin: SQL that does not run is a form error; datasources are read-only."""
from __future__ import annotations

import pytest

from pipes.models import Datasource, Pipe

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])

ADD_URL = "/admin/pipes/pipe/add/"


def form_data(sql: str, params: list[dict] | None = None, name: str = "new_pipe") -> dict:
    params = params or []
    data = {
        "name": name,
        "pipe_id": "t_" + "a" * 32,
        "description": "",
        "sql": sql,
        "params-TOTAL_FORMS": str(len(params)),
        "params-INITIAL_FORMS": "0",
        "params-MIN_NUM_FORMS": "0",
        "params-MAX_NUM_FORMS": "1000",
    }
    for i, param in enumerate(params):
        for key, value in {"type": "String", "default": "", "description": "", **param}.items():
            if key == "required":
                if value:
                    data[f"params-{i}-required"] = "on"
                continue
            data[f"params-{i}-{key}"] = value
    return data


def test_a_pipe_whose_sql_runs_is_saved(admin_client, orders):
    response = admin_client.post(
        ADD_URL,
        form_data("SELECT city FROM orders WHERE company_id = {{ company_id }}", [{"name": "company_id", "required": True}]),
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    pipe = Pipe.objects.get(name="new_pipe")
    assert [p.name for p in pipe.params.all()] == ["company_id"]


def test_sql_that_does_not_run_is_a_form_error(admin_client, orders):
    response = admin_client.post(ADD_URL, form_data("SELECT nope FROM orders"))
    assert response.status_code == 200
    assert "The SQL does not run on the analytics database" in response.content.decode()
    assert not Pipe.objects.exists()


def test_an_undeclared_placeholder_is_a_form_error(admin_client, orders):
    response = admin_client.post(ADD_URL, form_data("SELECT city FROM orders WHERE company_id = {{ company_id }}"))
    assert response.status_code == 200
    assert "not declared as a param" in response.content.decode()
    assert not Pipe.objects.exists()


def test_unsupported_template_syntax_is_an_error_on_the_sql_field(admin_client, orders):
    response = admin_client.post(ADD_URL, form_data("SELECT city FROM orders WHERE c = {{ String(c) }}"))
    assert response.status_code == 200
    assert "Unsupported template expression" in str(response.context["adminform"].form.errors["sql"])


def test_a_default_of_the_wrong_type_is_an_error(admin_client, orders):
    response = admin_client.post(
        ADD_URL, form_data("SELECT 1 AS one WHERE {{ n }} IS NULL", [{"name": "n", "type": "Int", "default": "many"}])
    )
    assert response.status_code == 200
    assert "is not a valid Int" in response.content.decode()
    assert not Pipe.objects.exists()


def test_a_reserved_param_name_is_an_error(admin_client, orders):
    response = admin_client.post(ADD_URL, form_data("SELECT 1 AS one WHERE {{ token }} IS NULL", [{"name": "token"}]))
    assert response.status_code == 200
    assert "reserved" in response.content.decode()


def test_pipe_admin_pages_load(admin_client, sales):
    for url in ("/admin/pipes/pipe/", ADD_URL, f"/admin/pipes/pipe/{sales.pk}/change/", "/admin/pipes/datasource/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert "company_id" in admin_client.get("/admin/pipes/pipe/").content.decode()


def test_datasources_are_listed_read_only(admin_client, orders):
    ds = Datasource.objects.get(name="orders")
    response = admin_client.get("/admin/pipes/datasource/")
    content = response.content.decode()
    assert "orders" in content and "date:Date,company_id:String" in content
    assert admin_client.get("/admin/pipes/datasource/add/").status_code == 403
    assert admin_client.post(f"/admin/pipes/datasource/{ds.pk}/change/", {"name": "x"}).status_code == 403
    assert admin_client.post(f"/admin/pipes/datasource/{ds.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Datasource.objects.filter(name="orders").exists()
