"""manage.py check_isolation: on the real demo content, then broken in each way that lets one
tenant read another's rows. (This test edits the demo's deployed datafiles to break them, so it
imports pipes' catalogue; the charts app itself never does.)"""
from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from charts.management.commands.check_isolation import Command
from charts.models import Chart, Dashboard, DashboardChart, TenantFilterRule, Workspace
from pipes import catalogue
from tests.conftest import LOCAL_KEY_ENV

pytestmark = pytest.mark.django_db

TINYBIRD_KEY_ENV = "PANES_TEST_TINYBIRD_KEY"
TINYBIRD_KEY = "p.tinybird-admin-token-for-tests-0123456789abcdef"


@pytest.fixture
def demo() -> None:
    call_command("demo", rows=2000, stdout=StringIO())


def run(*args: str) -> str:
    out = StringIO()
    call_command("check_isolation", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def failure(*args: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_isolation", *args, stdout=out, stderr=StringIO())
    return str(caught.value)


def lines_for(output: str, *cells: str) -> list[str]:
    return [line for line in output.splitlines() if all(cell in line for cell in cells)]


# --- the demo as shipped ------------------------------------------------------------------------


def test_the_demo_passes_with_initech_reported_as_not_configured(demo) -> None:
    output = run()
    assert "No isolation problems found." in output
    assert len(lines_for(output, "sales-overview", "Total revenue", "acme", "tenant-filtered", 'company_id="acme"')) == 1
    assert len(lines_for(output, "sales-overview", "Total revenue", "globex", "tenant-filtered", 'company_id="globex"')) == 1
    initech = lines_for(output, "initech")
    assert len(initech) == 9  # every chart of sales-overview and its drill; acme-operations is not Initech's
    assert all("not configured" in line for line in initech)
    assert sum("no rule for company_id" in line for line in initech) == 8
    assert lines_for(output, "initech", "Top products (drill-through)", "drill-through not offered")
    # The drill-through pipe is read with the drilling chart's fixed params.
    assert len(lines_for(output, "sales-overview", "Top products (drill-through)", "acme", 'company_id="acme"')) == 1
    assert len(lines_for(output, "acme-operations", "Cities (drill-through)", "acme", 'company_id="acme"')) == 1
    assert lines_for(output, "acme-operations", "Product catalogue", "acme", "shared on purpose")
    assert not lines_for(output, "acme-operations", "globex")


def test_it_prints_no_key(demo, monkeypatch) -> None:
    key = "a-very-recognisable-admin-token-0123456789-XYZ"
    monkeypatch.setenv(LOCAL_KEY_ENV, key)
    out, err = StringIO(), StringIO()
    call_command("check_isolation", stdout=out, stderr=err)
    assert key not in out.getvalue() + err.getvalue()


# --- broken in each way -------------------------------------------------------------------------


def test_two_tenants_fixing_the_same_value_fail_naming_both(demo) -> None:
    TenantFilterRule.objects.filter(tenant__slug="globex", param="company_id").update(value="acme")
    message = failure()
    assert "isolation problem" in message
    assert "same-values [Panes built-in host/sales_by_day]" in message
    assert 'tenants acme and globex both fix company_id="acme"' in message


@pytest.fixture
def edit_demo(demo) -> Iterator[Callable[[str, str, str], None]]:
    """Publishes a copy of the demo's deployed release with one endpoint's text replaced."""
    current = catalogue.current_release()
    assert current is not None
    release = current.parent / "isolation-edited"

    def edit(pipe: str, old: str, new: str) -> None:
        shutil.copytree(current, release, dirs_exist_ok=True)
        path = release / "endpoints" / f"{pipe}.pipe"
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))
        catalogue.publish(release)

    yield edit
    catalogue.publish(current)


def test_a_pipe_whose_sql_does_not_use_its_tenant_param_fails_naming_it(edit_demo) -> None:
    edit_demo("sales_by_city", "    WHERE company_id", "    -- WHERE company_id")
    message = failure()
    assert "param-unused [Panes built-in host/sales_by_city]" in message
    assert "does not use company_id" in message
    assert "sales_by_day" not in message


def test_a_drill_through_pipe_that_ignores_the_tenant_param_fails_naming_it(edit_demo) -> None:
    edit_demo("orders_detail", "    WHERE company_id", "    -- WHERE company_id")
    message = failure()
    assert "param-unused [Panes built-in host/orders_detail]" in message
    assert "top_products" not in message


def test_a_pipe_declaring_its_tenant_param_optional_fails_naming_it(edit_demo) -> None:
    edit_demo("kpi_totals", ", required=True)", ")")
    message = failure()
    assert "param-optional [Panes built-in host/kpi_totals]" in message
    assert "company_id optional" in message


def test_a_shared_chart_on_a_filtered_pipe_fails(demo) -> None:
    Chart.objects.filter(title="Product catalogue").update(pipe_name="sales_by_city", pipe_id="")
    message = failure()
    assert "shared-and-filtered [Panes built-in host/sales_by_city]" in message


def test_from_the_command_line_a_problem_exits_1(demo, capsys) -> None:
    TenantFilterRule.objects.filter(tenant__slug="globex", param="company_id").update(value="acme")
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "check_isolation"])
    assert exited.value.code == 1
    assert "same-values" in capsys.readouterr().err


# --- reading listings ---------------------------------------------------------------------------


class FakeHost:
    """A local stand-in for a chart host's API: answers every GET with what it is told to."""

    def __init__(self) -> None:
        self.status, self.body, self.headers = 200, b"{}", {}
        self.seen: list[dict] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                host.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                self.send_response(host.status)
                for name, value in {"Content-Type": "application/json", **host.headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(host.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, document: object, status: int = 200, **headers: str) -> None:
        self.status, self.body, self.headers = status, json.dumps(document).encode(), headers


@pytest.fixture
def fake_host(settings) -> Iterator[FakeHost]:
    host = FakeHost()
    # The operator allows this stand-in host and its key's variable, as they would Tinybird's.
    settings.PANES_ALLOWED_API_HOSTS = [*settings.PANES_ALLOWED_API_HOSTS, host.origin]
    settings.PANES_SIGNING_KEY_VARIABLES = [*settings.PANES_SIGNING_KEY_VARIABLES, TINYBIRD_KEY_ENV]
    thread = threading.Thread(target=host.server.serve_forever, daemon=True)
    thread.start()
    yield host
    host.server.shutdown()
    host.server.server_close()


def tinybird_chart(origin: str, monkeypatch) -> Chart:
    """A Tinybird workspace at ``origin`` with a chart on the demo's sales overview."""
    monkeypatch.setenv(TINYBIRD_KEY_ENV, TINYBIRD_KEY)
    workspace = Workspace.objects.create(
        name="Tinybird EU", workspace_id="ws-tb", api_host=origin, signing_key_env=TINYBIRD_KEY_ENV
    )
    chart = Chart.objects.create(workspace=workspace, title="Signups", pipe_name="signups", index_column="d", category_columns="n")
    DashboardChart.objects.create(dashboard=Dashboard.objects.get(slug="sales-overview"), chart=chart, position=99)
    return chart


def tinybird_listing(sql: str, required: bool) -> dict:
    params = [{"name": "company_id", "type": "String", "default": None, "required": required, "description": ""}]
    return {"pipes": [{"id": "t_" + "b" * 32, "name": "signups", "nodes": [{"name": "signups_0", "sql": sql, "params": params}]}]}


def test_a_tinybird_listing_is_read_with_the_workspaces_admin_token(demo, fake_host, monkeypatch) -> None:
    tinybird_chart(fake_host.origin, monkeypatch)
    fake_host.answer(tinybird_listing("SELECT d, count() n FROM signups WHERE company_id = {{ String(company_id) }}", False))
    message = failure()
    assert fake_host.seen == [{"path": "/v0/pipes", "authorization": f"Bearer {TINYBIRD_KEY}"}]
    assert "param-optional [Tinybird EU/signups]" in message
    assert TINYBIRD_KEY not in message


def test_a_good_tinybird_pipe_passes(demo, fake_host, monkeypatch) -> None:
    tinybird_chart(fake_host.origin, monkeypatch)
    fake_host.answer(tinybird_listing("SELECT d FROM signups WHERE company_id = {{ String(company_id, required=True) }}", True))
    output = run()
    assert lines_for(output, "Signups", "acme", "tenant-filtered", 'company_id="acme"')
    assert "No isolation problems found." in output


def test_an_unreachable_host_is_a_warning_row_not_a_crash(demo, fake_host, monkeypatch) -> None:
    origin = fake_host.origin
    fake_host.server.shutdown()
    fake_host.server.server_close()  # nothing listens there any more
    tinybird_chart(origin, monkeypatch)
    output = run("--timeout", "2")
    [warning] = lines_for(output, "warning", "listing-unavailable", "Tinybird EU")
    assert "unreachable" in warning and "pipe checks skipped" in warning
    assert "No isolation problems found." in output


@pytest.mark.parametrize(
    ("status", "document", "headers", "expected"),
    [
        (302, {}, {"Location": "http://elsewhere.example/v0/pipes"}, "redirects (302); not followed"),
        (403, {"error": "invalid token"}, {}, "answered 403: invalid token"),
        (200, {"data": []}, {}, 'no "pipes" list'),
    ],
)
def test_a_host_answering_badly_is_a_warning(demo, fake_host, monkeypatch, status, document, headers, expected) -> None:
    tinybird_chart(fake_host.origin, monkeypatch)
    fake_host.answer(document, status, **headers)
    output = run()
    assert lines_for(output, "warning", "listing-unavailable", expected)
    assert len(fake_host.seen) == 1  # the redirect was not followed


def test_a_missing_key_is_a_warning_naming_the_variable(demo, monkeypatch) -> None:
    monkeypatch.delenv(LOCAL_KEY_ENV)
    output = run()
    assert lines_for(output, "warning", "listing-unavailable", LOCAL_KEY_ENV, "is not set")


def test_api_origin_reads_the_built_in_listing_from_a_running_server(demo, fake_host, client) -> None:
    listing = client.get("/v0/pipes", HTTP_AUTHORIZATION=f"Bearer {os.environ[LOCAL_KEY_ENV]}").json()
    assert run() and "No isolation problems found." in run()
    for pipe in listing["pipes"]:
        if pipe["name"] == "top_products":
            pipe["nodes"][0]["sql"] = "SELECT product FROM orders"
    fake_host.answer(listing)
    message = failure("--api-origin", fake_host.origin)
    assert "param-unused [Panes built-in host/top_products]" in message
    assert fake_host.seen[0]["path"] == "/v0/pipes"


def test_api_origin_must_be_http(demo) -> None:
    assert "--api-origin" in failure("--api-origin", "ftp://x")


def test_a_host_echoing_the_token_in_its_error_does_not_get_it_printed(demo, fake_host, monkeypatch) -> None:
    tinybird_chart(fake_host.origin, monkeypatch)
    fake_host.answer({"error": f"bad token {TINYBIRD_KEY}"}, 401)
    output = run()
    assert lines_for(output, "warning", "answered 401: bad token <admin token>")
    assert TINYBIRD_KEY not in output


# --- a deployed Tinybird project on the built-in host -------------------------------------------

DEPLOYED = {
    "datasources/iso_orders.datasource": 'SCHEMA >\n    `company_id` String,\n    `amount` Float64\n\nENGINE "MergeTree"\n',
    "endpoints/iso_filtered.pipe": (
        "NODE base\nSQL >\n    %\n    SELECT * FROM iso_orders WHERE company_id = {{ String(company_id, required=True) }}\n\n"
        "NODE endpoint\nSQL >\n    SELECT sum(amount) AS revenue FROM base\n\nTYPE endpoint\n"
    ),
    "endpoints/iso_guarded.pipe": (
        "NODE endpoint\nSQL >\n    %\n    SELECT sum(amount) AS revenue FROM iso_orders WHERE 1\n"
        "    {% if defined(company_id) %} AND company_id = {{ String(company_id) }} {% end %}\n\nTYPE endpoint\n"
    ),
    "endpoints/iso_ignored.pipe": (
        "NODE endpoint\nSQL >\n    %\n    SELECT sum(amount) AS revenue FROM iso_orders\n"
        "    -- WHERE company_id = {{ String(company_id, required=True) }}\n\nTYPE endpoint\n"
    ),
}


@pytest.fixture
def deployed(settings) -> Iterator[None]:
    """The files above published as the built-in host's project (no tables: only listed)."""
    base = Path(settings.PIPES_PROJECT_DIR)
    release = base / catalogue.RELEASES / "isolation-tests"
    for relative, text in DEPLOYED.items():
        (release / relative).parent.mkdir(parents=True, exist_ok=True)
        (release / relative).write_text(text)
    catalogue.publish(release)
    yield
    (base / catalogue.CURRENT).unlink(missing_ok=True)


def test_deployed_template_pipes_are_read_through_the_listing(demo, deployed) -> None:
    Chart.objects.filter(pipe_name="kpi_totals").update(pipe_name="iso_filtered", pipe_id="")
    Chart.objects.filter(pipe_name="sales_by_city").update(pipe_name="iso_guarded", pipe_id="")
    output = run()
    assert "No isolation problems found." in output
    [guarded] = lines_for(output, "param-guarded", "iso_guarded")
    assert guarded.startswith("warning") and "optional, relies on fixed_params" in guarded
    assert not lines_for(output, "iso_filtered", "param-")

    Chart.objects.filter(pipe_name="iso_guarded").update(pipe_name="iso_ignored")
    message = failure()
    assert "param-unused [Panes built-in host/iso_ignored]" in message
    assert "ignores its tenant param" in message
