"""What the host cannot deploy fails the deploy by name, file and line; never skipped."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes import catalogue
from pipes.deploy import DeployError, check, deploy
from pipes.engine import ChdbEngine
from tests.pipes.deploy.conftest import FIXTURE, tables


def reasons(folder: Path) -> list[str]:
    project, errors = check(folder)
    return [f"{error.origin.path.relative_to(folder)}:{error.origin.line}: {error.reason}" for error in errors]


def test_a_copy_schedule_is_refused_because_the_host_runs_none() -> None:
    assert reasons(FIXTURE) == [
        "copies/top_pages_daily.pipe:18: COPY_SCHEDULE '10 0 * * *': schedules are not run by the "
        "built-in host; use COPY_SCHEDULE @on-demand and run 'manage.py pipes_copy top_pages_daily' "
        "(from cron if you like)"
    ]


def test_indexes_on_a_null_table_are_refused(project: Path) -> None:
    (project / "datasources" / "sink.datasource").write_text(
        "SCHEMA >\n    `a` String\n\nENGINE Null\n\nINDEXES >\n    a_bf a TYPE bloom_filter GRANULARITY 1\n"
    )
    assert reasons(project) == ["datasources/sink.datasource:7: ENGINE Null takes no INDEXES"]


def test_a_materialized_template_that_needs_a_request_value_is_refused(project: Path) -> None:
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace(
        "SQL >\n    SELECT\n        timestamp,", "SQL >\n    %\n    SELECT\n        timestamp,"
    ).replace("WHERE action = 'page_hit'", "WHERE action = {{ String(action, required=True) }}"))
    [reason] = reasons(project)
    assert reason.startswith("materializations/analytics_pages.pipe:7: the template does not render "
                             "without request values (a materialized or copy node gets none; only a copy node reads secrets): ")
    assert "action" in reason


def test_an_engine_outside_the_merge_tree_family_is_refused(project: Path) -> None:
    (project / "datasources" / "queue.datasource").write_text("SCHEMA >\n    `a` String\n\nENGINE Kafka\n")
    [reason] = reasons(project)
    assert reason.startswith("datasources/queue.datasource:") and "Kafka" in reason


def test_deploy_refuses_them_all_before_touching_the_engine(engine: ChdbEngine, project_dir: Path) -> None:
    with pytest.raises(DeployError, match="COPY_SCHEDULE"):
        deploy(FIXTURE, engine=engine)
    assert tables(engine) == {} and catalogue.current_release() is None


def test_a_secret_in_a_materialized_node_is_refused_rather_than_stored_in_the_view(project: Path) -> None:
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace(
        "SQL >\n    SELECT\n        timestamp,", "SQL >\n    %\n    SELECT\n        timestamp,"
    ).replace("WHERE action = 'page_hit'", "WHERE action != {{ tb_secret('hidden_action') }}"))
    [reason] = reasons(project)
    assert reason.startswith("materializations/analytics_pages.pipe:7:") and "secret 'hidden_action'" in reason


def test_a_secret_in_a_copy_node_deploys_without_its_value_and_a_bad_name_does_not(project: Path) -> None:
    # A copy reads its secrets when it runs (Tinybird's postgresql() copies): deploying needs none.
    copy = project / "copies" / "top_pages_daily.pipe"
    original = copy.read_text()
    copy.write_text(original.replace(
        "SQL >\n    SELECT", "SQL >\n    %\n    SELECT"
    ).replace("WHERE date = yesterday()", "WHERE pathname != {{ tb_secret('hidden_path') }}"))
    assert not [r for r in reasons(project) if r.startswith("copies/top_pages_daily.pipe")]
    copy.write_text(original.replace(
        "SQL >\n    SELECT", "SQL >\n    %\n    SELECT"
    ).replace("WHERE date = yesterday()", "WHERE pathname != {{ tb_secret('no-such name') }}"))
    [reason] = [r for r in reasons(project) if r.startswith("copies/top_pages_daily.pipe")]
    assert "secret 'no-such name'" in reason
