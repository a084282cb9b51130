"""The chart builder in the admin, against a stand-in chart host on 127.0.0.1: the workspace's
pipe listing read server-side with its admin token, columns from a sample query as the preview
tenant (offered, defaulted, checked), the live preview's token and frame, and the form itself."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from charts import pipe_listing
from charts.forms import ChartAdminForm
from charts.models import Chart, Tenant, TenantFilterRule, TokenGrant, Workspace

KEY_ENV = "PANES_TEST_BUILDER_KEY"
KEY = "p.builder-admin-token-for-tests-0123456789abcdef"
META = [
    {"name": "day", "type": "Date"},
    {"name": "city", "type": "LowCardinality(String)"},
    {"name": "revenue", "type": "Float64"},
    {"name": "orders", "type": "UInt64"},
]
LISTING = {
    "pipes": [
        {
            "id": "t_" + "a" * 32,
            "name": "sales_by_day",
            "nodes": [
                {
                    "name": "endpoint",
                    "sql": "%\nSELECT day, city, revenue, orders FROM s WHERE company_id = {{ String(company_id, required=True) }}",
                    "params": [
                        {"name": "company_id", "type": "String", "required": True},
                        {"name": "date_from", "type": "Date"},
                        {"name": "date_to", "type": "Date"},
                    ],
                }
            ],
        },
        {"id": "t_" + "b" * 32, "name": "kpi_totals", "type": "endpoint", "nodes": []},
        {"id": "t_" + "c" * 32, "name": "daily_mv", "type": "materialized", "endpoint": None, "nodes": []},
    ]
}


class Host:
    """A chart host on 127.0.0.1: the listing, and one pipe's rows; records what it was asked."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, object]] = {
            "/v0/pipes": (200, LISTING),
            "/v0/pipes/sales_by_day.json": (200, {"meta": META, "data": [{"day": "2026-01-01", "city": "Rome", "revenue": 1.5, "orders": "2"}]}),
        }
        self.seen: list[dict] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path
                host.seen.append({"path": path, "authorization": self.headers.get("Authorization", "")})
                status, document = host.answers.get(path, (404, {"error": f"pipe {path} does not exist"}))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(document).encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def host(settings) -> Iterator[Host]:
    host = Host()
    settings.PANES_ALLOWED_API_HOSTS = [*settings.PANES_ALLOWED_API_HOSTS, host.origin]
    settings.PANES_SIGNING_KEY_VARIABLES = [*settings.PANES_SIGNING_KEY_VARIABLES, KEY_ENV]
    thread = threading.Thread(target=host.server.serve_forever, daemon=True)
    thread.start()
    cache.clear()
    yield host
    host.server.shutdown()
    host.server.server_close()
    cache.clear()


@pytest.fixture
def remote(host, monkeypatch, db) -> Workspace:
    monkeypatch.setenv(KEY_ENV, KEY)
    return Workspace.objects.create(name="Remote", workspace_id="ws-remote", api_host=host.origin, signing_key_env=KEY_ENV)


def chart_data(workspace: Workspace, **overrides: object) -> dict:
    data = {
        "workspace": workspace.pk,
        "title": "Revenue by day",
        "description": "",
        "kind": Chart.Kind.PANES,
        "pipe_name": "sales_by_day",
        "pipe_id": "",
        "height": "320",
        "tenant_params": "",
        "snippet": "",
        "chart_type": Chart.ChartType.LINE,
        "index_column": "day",
        "category_columns": "revenue",
        "filter_params": "date_from, date_to",
        "colors": "",
        "unit": "",
        "refresh_seconds": "",
        "preview_tenant": "",
    }
    data.update(overrides)
    return data


# --- pure parts ---------------------------------------------------------------------------------


def test_meta_is_read_from_the_head_of_an_answer_even_cut_off() -> None:
    body = json.dumps({"meta": META, "data": [{"day": "2026-01-01"}] * 1000}).encode()
    columns = pipe_listing.parse_meta(body[:300])
    assert [(c.name, c.type) for c in columns] == [(m["name"], m["type"]) for m in META]
    with pytest.raises(ValueError):
        pipe_listing.parse_meta(b'{"error": "nope"}')


@pytest.mark.parametrize(
    ("meta", "index", "categories"),
    [
        (META, "day", ("revenue", "orders")),
        ([{"name": "city", "type": "String"}, {"name": "n", "type": "Nullable(Int64)"}], "city", ("n",)),
        ([{"name": "t", "type": "DateTime64(3, 'UTC')"}, {"name": "x", "type": "Decimal(18, 2)"}], "t", ("x",)),
        ([{"name": "total", "type": "Float64"}], "", ("total",)),
    ],
)
def test_defaults_are_a_date_or_text_index_and_numeric_categories(meta, index, categories) -> None:
    columns = [pipe_listing.Column(m["name"], m["type"]) for m in meta]
    assert pipe_listing.column_defaults(columns) == (index, categories)


def test_wrapped_types_are_read_through_their_wrappers() -> None:
    assert pipe_listing.base_type("LowCardinality(Nullable(String))") == "String"
    assert pipe_listing.is_numeric("Nullable(UInt8)") and not pipe_listing.is_numeric("String")
    assert pipe_listing.is_temporal("Date32") and not pipe_listing.is_temporal("Datetime_text")


def test_the_built_in_host_is_reached_only_at_a_host_the_operator_named(settings) -> None:
    factory = RequestFactory()
    settings.PANES_LOCAL_API_ORIGIN = ""
    settings.ALLOWED_HOSTS = ["panes.example.com", "localhost"]
    assert pipe_listing.builtin_origin(factory.get("/", HTTP_HOST="panes.example.com")) == "http://panes.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    assert pipe_listing.builtin_origin(factory.get("/", HTTP_HOST="127.0.0.1:8000")) == "http://127.0.0.1:8000"
    # Any Host passes '*', so the admin token would go wherever a client pointed it.
    assert pipe_listing.builtin_origin(factory.get("/", HTTP_HOST="evil.example")) is None
    settings.PANES_LOCAL_API_ORIGIN = "http://10.0.0.5:9000"
    assert pipe_listing.builtin_origin(factory.get("/", HTTP_HOST="evil.example")) == "http://10.0.0.5:9000"


# --- the pipe listing -----------------------------------------------------------------------------


def pipes_json(client, workspace: Workspace) -> dict:
    response = client.get(reverse("admin:charts_chart_builder_pipes") + f"?workspace={workspace.pk}")
    assert response.status_code == 200
    return response.json()


def test_the_listing_is_read_with_the_admin_token_and_cached(staff_client, remote, host) -> None:
    answer = pipes_json(staff_client, remote)
    assert [p["name"] for p in answer["pipes"]] == ["kpi_totals", "sales_by_day"]  # endpoints only
    assert answer["pipes"][1]["params"] == ["company_id", "date_from", "date_to"]
    assert host.seen == [{"path": "/v0/pipes", "authorization": f"Bearer {KEY}"}]
    pipes_json(staff_client, remote)
    assert len(host.seen) == 1  # cached


def test_a_listing_that_fails_says_so_and_the_field_stays_free_text(staff_client, remote, host) -> None:
    host.answers["/v0/pipes"] = (401, {"error": f"invalid token {KEY}"})
    answer = pipes_json(staff_client, remote)
    assert answer["pipes"] == []
    assert "could not be read" in answer["error"] and "answered 401" in answer["error"]
    assert "Type the pipe's name" in answer["error"]
    assert KEY not in json.dumps(answer)


def test_a_host_the_operator_did_not_allow_gets_no_request(staff_client, remote, host, settings) -> None:
    settings.PANES_ALLOWED_API_HOSTS = [h for h in settings.PANES_ALLOWED_API_HOSTS if h != host.origin]
    answer = pipes_json(staff_client, remote)
    assert "PANES_ALLOWED_API_HOSTS" in answer["error"]
    assert host.seen == []


def test_the_listing_needs_a_staff_member_who_may_edit_charts(client, alice, remote) -> None:
    client.force_login(alice)
    response = client.get(reverse("admin:charts_chart_builder_pipes") + f"?workspace={remote.pk}")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the form -------------------------------------------------------------------------------------


def test_the_only_workspace_is_preselected(staff_client, remote) -> None:
    html = staff_client.get(reverse("admin:charts_chart_add")).content.decode()
    assert f'<option value="{remote.pk}" selected>' in html
    Workspace.objects.create(name="Second", workspace_id="ws-2")
    html = staff_client.get(reverse("admin:charts_chart_add")).content.decode()
    assert f'<option value="{remote.pk}" selected>' not in html


def test_the_form_has_filter_params_and_a_section_per_kind(staff_client, remote) -> None:
    html = staff_client.get(reverse("admin:charts_chart_add")).content.decode()
    assert 'name="filter_params"' in html
    assert "panes-kind-tinybird" in html and "panes-kind-panes" in html
    assert 'id="panes-builder"' in html and "charts/admin/chart_builder.js" in html


def test_filter_params_are_saved(staff_client, remote, acme) -> None:
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert tuple(Chart.objects.get().filter_params) == ("date_from", "date_to")


def test_a_column_the_pipe_does_not_have_is_a_form_error(staff_client, remote, acme, host) -> None:
    data = chart_data(remote, index_column="when", category_columns="revenue, profit")
    response = staff_client.post(reverse("admin:charts_chart_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "The pipe has no column 'when'; its columns: day, city, revenue, orders." in errors["index_column"]
    assert "The pipe has no column 'profit'" in errors["category_columns"][0]
    assert not Chart.objects.exists()
    [sample] = [s for s in host.seen if s["path"].endswith(".json")]
    claims = jwt.decode(sample["authorization"].removeprefix("Bearer "), KEY, algorithms=["HS256"])
    assert claims["scopes"][0]["fixed_params"]["company_id"] == "acme"  # read as the preview tenant


def test_the_chosen_preview_tenant_reads_the_columns(staff_client, remote, acme, globex, host) -> None:
    staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote, preview_tenant=globex.pk))
    [sample] = [s for s in host.seen if s["path"].endswith(".json")]
    claims = jwt.decode(sample["authorization"].removeprefix("Bearer "), KEY, algorithms=["HS256"])
    assert claims["scopes"][0]["fixed_params"] == {"company_id": "globex"}


def test_a_pipe_the_host_does_not_have_is_a_form_error(staff_client, remote, acme) -> None:
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote, pipe_name="nope"))
    assert "The workspace has no pipe 'nope'" in response.context["adminform"].form.errors["pipe_name"][0]


def test_columns_that_cannot_be_read_are_saved_with_a_warning(staff_client, remote, acme, host) -> None:
    host.answers["/v0/pipes/sales_by_day.json"] = (500, {"error": "boom"})
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_data(remote), follow=True)
    assert Chart.objects.filter(title="Revenue by day").exists()
    assert "were not checked: the sample query answered 500: boom" in response.content.decode()


def test_a_form_made_in_code_checks_no_columns(remote, acme, host) -> None:
    form = ChartAdminForm(data=chart_data(remote, index_column="when"))
    assert form.is_valid(), form.errors
    assert host.seen == []


# --- the live preview -----------------------------------------------------------------------------


def preview_json(client, data: dict, chart: Chart | None = None) -> dict:
    url = reverse("admin:charts_chart_builder_preview") + (f"?chart={chart.pk}" if chart else "")
    response = client.post(url, data)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_preview_offers_columns_defaults_fixed_params_and_a_frame(staff_client, remote, acme, host) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu")
    answer = preview_json(staff_client, chart_data(remote, index_column="", category_columns="", preview_tenant=acme.pk))
    assert [c["name"] for c in answer["columns"]] == ["day", "city", "revenue", "orders"]
    assert answer["defaults"] == {"index": "day", "categories": ["revenue", "orders"]}
    assert answer["tenant"] == {"id": acme.pk, "name": "Acme"}
    assert answer["fixed_params"] == {"company_id": "acme"}
    assert answer["frame"] is None  # the blank columns are form errors until filled in
    assert "index_column" in answer["errors"]

    answer = preview_json(staff_client, chart_data(remote, preview_tenant=acme.pk, title=""))
    assert list(answer["errors"]) == ["title"]  # a blank title does not stop the drawing
    url, _, fragment = answer["frame"].partition("#token=")
    claims = jwt.decode(unquote(fragment), KEY, algorithms=["HS256"])
    assert claims["name"].startswith("panes:acme:")
    assert claims["scopes"] == [{"type": "PIPES:READ", "resource": "sales_by_day", "fixed_params": {"company_id": "acme"}}]
    assert TokenGrant.objects.filter(tenant=acme, dashboard=None).count() == 1

    frame = staff_client.get(url)
    assert frame.status_code == 200
    config = frame.context["config"]
    assert (config["pipe"], config["api"], config["index"], config["categories"]) == ("sales_by_day", host.origin, "day", ["revenue"])
    assert config["filter_params"] == ["date_from", "date_to"]
    assert "frame-ancestors 'self'" in frame["Content-Security-Policy"]
    assert KEY not in json.dumps(answer) + frame.content.decode()


def test_the_preview_says_when_the_tenant_has_no_rule(staff_client, remote, host) -> None:
    initech = Tenant.objects.create(name="Initech", slug="initech")
    answer = preview_json(staff_client, chart_data(remote, preview_tenant=initech.pk))
    assert answer["frame"] is None
    assert answer["message"] == "Not configured for Initech: no rule for company_id."
    assert answer["missing"] == ["company_id"]


def test_a_tampered_frame_config_is_refused(staff_client, remote) -> None:
    response = staff_client.get(reverse("admin:charts_chart_builder_frame") + "?c=forged")
    assert response.status_code == 400


def test_the_preview_needs_the_preview_permission(client, remote, acme) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="add_chart"), Permission.objects.get(codename="change_chart"))
    client.force_login(clerk)
    response = client.post(reverse("admin:charts_chart_builder_preview"), chart_data(remote))
    assert response.status_code == 403
    html = client.get(reverse("admin:charts_chart_add")).content.decode()
    assert "You may not preview charts as a tenant" in html


def test_the_frame_url_carries_no_secret_in_its_query(staff_client, remote, acme, host) -> None:
    answer = preview_json(staff_client, chart_data(remote, preview_tenant=acme.pk))
    query = parse_qs(urlsplit(answer["frame"].split("#")[0]).query)
    assert set(query) == {"c"}
    assert KEY not in query["c"][0]


def test_a_tinybird_chart_on_the_built_in_workspace_is_explained(staff_client, workspace, acme) -> None:
    answer = preview_json(staff_client, chart_data(workspace, kind=Chart.Kind.TINYBIRD))
    assert "needs a Tinybird workspace" in answer["message"] and answer["frame"] is None
