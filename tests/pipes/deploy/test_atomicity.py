"""Any error changes nothing: live tables, their rows, views and the `current` link stay."""
from __future__ import annotations

import datetime
import fcntl
from pathlib import Path

import pytest

from pipes import catalogue, deploy as deploy_module
from pipes.deploy import DeployError, deploy
from pipes.engine import ChdbEngine
from tests.pipes.deploy.conftest import EVENT_COLUMNS, databases, event, pages, tables

TODAY = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat(sep=" ")


def deployed_with_rows(engine: ChdbEngine, project: Path) -> dict[str, object]:
    """Deploys the project, inserts two events; returns what must not change."""
    deploy(project, engine=engine)
    engine.insert("analytics_events", EVENT_COLUMNS, [event(TODAY, "acme", "s1", "/a"), event(TODAY, "acme", "s2", "/b")])
    return snapshot(engine)


def snapshot(engine: ChdbEngine) -> dict[str, object]:
    return {
        "tables": tables(engine),
        "columns": engine.query(
            "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
            {"db": engine.database},
        ).data,
        "events": engine.query("SELECT session_id FROM analytics_events ORDER BY session_id").data,
        "pages": pages(engine),
        "current": catalogue.current_release(),
        "releases": sorted(path.name for path in (catalogue.project_dir() / "releases").iterdir()),
        "databases": databases(engine),
    }


def add_column(project: Path) -> None:
    """A schema change, so that a failing deploy has staged tables to throw away."""
    datasource = project / "datasources" / "analytics_events.datasource"
    datasource.write_text(datasource.read_text().replace(
        "`received_at`", "`country` String `json:$.country` DEFAULT '',\n    `received_at`"
    ))


def test_a_broken_file_in_any_subfolder_changes_nothing(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    before = deployed_with_rows(engine, project)
    add_column(project)
    (project / "deeper" / "still").mkdir(parents=True)
    (project / "deeper" / "still" / "broken.pipe").write_text("NODE n\nSQL >\n    SELECT 1\n\nTYPE nonsense\n")
    with pytest.raises(DeployError, match=r"deeper/still/broken\.pipe:5: "):
        deploy(project, engine=engine)
    assert snapshot(engine) == before


def test_a_table_clickhouse_refuses_changes_nothing_and_names_the_file(
    engine: ChdbEngine, project: Path, project_dir: Path
) -> None:
    before = deployed_with_rows(engine, project)
    add_column(project)
    snapshot_file = project / "datasources" / "top_pages_snapshot.datasource"
    snapshot_file.write_text(snapshot_file.read_text().replace('"tenant_id, snapshot_date, pathname"', '"no_such_column"'))
    with pytest.raises(DeployError, match=r"top_pages_snapshot\.datasource:1: ClickHouse refused the table top_pages_snapshot"):
        deploy(project, engine=engine)
    assert snapshot(engine) == before


def test_a_materialized_node_clickhouse_refuses_changes_nothing_and_names_the_line(
    engine: ChdbEngine, project: Path, project_dir: Path
) -> None:
    before = deployed_with_rows(engine, project)
    add_column(project)
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace("session_id,\n", "no_such_column AS session_id,\n"))
    with pytest.raises(DeployError, match=r"analytics_pages\.pipe:\d+: ClickHouse refused node 'analytics_pages_1'"):
        deploy(project, engine=engine)
    assert snapshot(engine) == before


def test_a_node_writing_columns_its_target_lacks_is_refused(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace("max(timestamp) AS last_seen", "max(timestamp) AS last_seen, 1 AS extra"))
    with pytest.raises(DeployError, match=r"analytics_pages\.pipe:\d+: node 'analytics_pages_1' writes columns extra"):
        deploy(project, engine=engine)
    assert tables(engine) == {} and catalogue.current_release() is None


def test_a_view_failing_after_the_swap_puts_the_old_tables_back(
    engine: ChdbEngine, project: Path, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = deployed_with_rows(engine, project)
    add_column(project)
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace("'desktop'", "'computer'"))  # the view is re-created
    monkeypatch.setattr(deploy_module.ddl, "create_materialized_view", lambda *args, **kwargs: "CREATE VIEW broken AS SELEC")
    with pytest.raises(DeployError, match=r"analytics_pages\.pipe:\d+: ClickHouse refused the materialized view"):
        deploy(project, engine=engine)
    assert snapshot(engine) == before


def test_a_second_deploy_at_the_same_time_is_refused(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    project_dir.mkdir(parents=True)
    with open(project_dir / ".deploy.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(deploy_module.DeployBusy, match="another deploy or copy is running"):
            deploy(project, engine=engine)
    assert tables(engine) == {}
    deploy(project, engine=engine)


def test_a_deploy_drops_what_a_killed_deploy_left(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    leftover = f"{engine.database}__deploy_killed"
    engine.command(f"CREATE DATABASE `{leftover}` ENGINE = Atomic")
    lines: list[str] = []
    deploy(project, engine=engine, out=lines.append)
    assert leftover not in databases(engine)
    assert f"dropped {leftover}, left by an interrupted deploy" in lines
