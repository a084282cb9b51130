"""System checks: each fires on a real misconfiguration, names what to fix, and goes quiet when fixed."""
from __future__ import annotations

import pytest
from django.core.checks import Tags
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from charts.checks import check_signing_keys, check_tenant_rules
from charts.models import Chart, Dashboard, DashboardChart, TenantFilterRule, Workspace

DB = ["default"]
LONG_KEY = "a-perfectly-long-signing-key-0123456789abcdef"


def ids(messages) -> list[str]:
    return [m.id for m in messages]


@pytest.fixture(autouse=True)
def test_variables(settings) -> None:
    """The operator allows the test's own signing-key variables."""
    settings.PANES_SIGNING_KEY_VARIABLES = [*settings.PANES_SIGNING_KEY_VARIABLES, "PANES_CHECK_KEY", "X_KEY"]


@pytest.fixture
def tb_workspace(db, monkeypatch) -> Workspace:
    monkeypatch.delenv("PANES_CHECK_KEY", raising=False)
    monkeypatch.delenv("PANES_CHECK_KEY_FILE", raising=False)
    return Workspace.objects.create(name="TB", workspace_id="w", api_host="https://api.tinybird.co", signing_key_env="PANES_CHECK_KEY")


def test_w003_warns_when_the_key_variable_is_unset(tb_workspace) -> None:
    [warning] = [m for m in check_signing_keys(databases=DB) if m.obj == tb_workspace]
    assert warning.id == "charts.W003" and not warning.is_serious()
    assert "PANES_CHECK_KEY" in warning.msg and "PANES_CHECK_KEY" in warning.hint


def test_w004_warns_on_a_short_key_without_printing_it(tb_workspace, monkeypatch) -> None:
    monkeypatch.setenv("PANES_CHECK_KEY", "tiny-key-42")
    [error] = [m for m in check_signing_keys(databases=DB) if m.obj == tb_workspace]
    assert error.id == "charts.W004" and not error.is_serious()
    assert "32 bytes" in error.msg
    assert "tiny-key-42" not in error.msg + error.hint


def test_key_checks_are_quiet_with_a_long_key(tb_workspace, monkeypatch) -> None:
    monkeypatch.setenv("PANES_CHECK_KEY", LONG_KEY)
    assert check_signing_keys(databases=DB) == []


def test_a_key_file_counts_as_set(tb_workspace, monkeypatch, tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(LONG_KEY + "\n")
    monkeypatch.setenv("PANES_CHECK_KEY_FILE", str(key_file))
    assert check_signing_keys(databases=DB) == []


def test_manage_py_check_with_the_database_reports_w003_and_does_not_stop(tb_workspace, capsys) -> None:
    call_command("check", "--database", "default")
    assert "charts.W003" in capsys.readouterr().err


def test_migrate_runs_with_a_workspace_whose_key_is_missing(tb_workspace) -> None:
    """One Tinybird workspace added before the operator sets its variable stops no deploy."""
    call_command("migrate", "--noinput", verbosity=0, skip_checks=False)


def test_a_disallowed_host_still_stops_manage_py_check(tb_workspace) -> None:
    """The admin form refuses such a row; only the operator's allow-list change makes one."""
    Workspace.objects.filter(pk=tb_workspace.pk).update(api_host="http://127.0.0.1:9")
    with pytest.raises(SystemCheckError) as caught:
        call_command("check", "--database", "default")
    assert "charts.E005" in str(caught.value)


def test_checks_without_databases_touch_no_database(tb_workspace, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert check_signing_keys(databases=None) == []
        assert check_tenant_rules(databases=None) == []
    call_command("check")  # plain check: no database checks, no crash


def test_the_checks_are_registered_as_database_checks() -> None:
    for check in (check_signing_keys, check_tenant_rules):
        assert check in registry.registered_checks
        assert Tags.database in check.tags


@pytest.mark.parametrize(("check", "table"), [(check_signing_keys, Workspace), (check_tenant_rules, Chart)])
def test_the_checks_stay_quiet_before_the_tables_exist(db, check, table) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table._meta.db_table} RENAME TO panes_gone")
    assert check(databases=DB) == []
    with connection.cursor() as cursor:  # the connection is still usable after the failed query
        cursor.execute("SELECT 1")


@pytest.fixture
def regional(workspace, acme, globex) -> Chart:
    """A chart needing company_id and region, on a dashboard Acme and Globex see; Globex has region."""
    chart = Chart.objects.create(
        workspace=workspace, title="Regional", pipe_name="regional", tenant_params="company_id,region",
        index_column="d", category_columns="t",
    )
    board = Dashboard.objects.create(title="Board", slug="board")
    board.tenants.add(acme, globex)
    DashboardChart.objects.create(dashboard=board, chart=chart)
    TenantFilterRule.objects.create(tenant=globex, param="region", value="eu")
    return chart


def test_w001_names_chart_tenant_and_params(regional) -> None:
    [warning] = [m for m in check_tenant_rules(databases=DB) if m.id == "charts.W001"]
    assert warning.obj == regional
    assert "'Regional'" in warning.msg and "'Acme'" in warning.msg and "region" in warning.msg
    assert "Globex" not in warning.msg
    assert "filter rule for region" in warning.hint


def test_w001_is_quiet_once_the_tenant_has_a_rule(regional, acme) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="region", value="us")
    assert "charts.W001" not in ids(check_tenant_rules(databases=DB))


def test_w001_is_quiet_for_tenants_that_do_not_see_the_chart(regional, acme) -> None:
    Dashboard.objects.get(slug="board").tenants.remove(acme)
    assert "charts.W001" not in ids(check_tenant_rules(databases=DB))


def test_w001_ignores_inactive_tenants(regional, acme) -> None:
    acme.is_active = False
    acme.save()
    assert "charts.W001" not in ids(check_tenant_rules(databases=DB))


def test_w002_fires_for_a_chart_filtering_by_nothing_that_is_not_shared(db) -> None:
    bare = Workspace.objects.create(name="Bare", workspace_id="b", signing_key_env="X_KEY", default_tenant_params="")
    chart = Chart.objects.create(workspace=bare, title="Totals", pipe_name="totals", index_column="d", category_columns="t")
    [warning] = [m for m in check_tenant_rules(databases=DB) if m.id == "charts.W002"]
    assert warning.obj == chart and "'Totals'" in warning.msg and "same data for every tenant" in warning.hint
    chart.is_shared = True
    chart.save()
    assert "charts.W002" not in ids(check_tenant_rules(databases=DB))


def test_a_well_configured_project_passes_every_check(regional, acme, monkeypatch) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="region", value="us")
    monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", LONG_KEY)
    assert check_signing_keys(databases=DB) == []
    assert check_tenant_rules(databases=DB) == []
    call_command("check", "--database", "default")
