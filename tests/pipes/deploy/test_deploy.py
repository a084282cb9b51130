"""pipes.deploy: the fixture project on chDB — tables, views, backfills, redeploys, releases."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from pipes import catalogue
from pipes.deploy import DeployError, deploy
from pipes.engine import ChdbEngine
from tests.pipes.deploy.conftest import EVENT_COLUMNS, databases, event, pages, tables

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
TODAY = NOW.isoformat(sep=" ")

DATASOURCE_TABLES = {
    "analytics_events": "MergeTree",
    "analytics_events_quarantine": "MergeTree",
    "analytics_pages_mv": "AggregatingMergeTree",
    "analytics_pages_mv_quarantine": "MergeTree",
    "top_pages_snapshot": "ReplacingMergeTree",
    "top_pages_snapshot_quarantine": "MergeTree",
}


def insert_events(engine: ChdbEngine, *rows: list[object]) -> None:
    engine.insert("analytics_events", EVENT_COLUMNS, list(rows))


def test_it_creates_every_table_and_the_materialized_view(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    lines: list[str] = []
    outcome = deploy(project, engine=engine, out=lines.append)
    assert tables(engine) == {**DATASOURCE_TABLES, "analytics_pages": "MaterializedView"}
    assert sorted(outcome.created) == sorted(DATASOURCE_TABLES) and outcome.views == ["analytics_pages"]
    assert not any(name.startswith(engine.database + "__") for name in databases(engine))
    assert any("datasources 3/3" in line and "eta" in line for line in lines)


def test_it_publishes_a_copy_of_the_datafiles_last(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    outcome = deploy(project, engine=engine)
    release = catalogue.current_release()
    assert release is not None and release == outcome.release
    assert release.parent == (project_dir / "releases").resolve()
    assert (release / "materializations" / "analytics_pages.pipe").read_text() == (
        project / "materializations" / "analytics_pages.pipe"
    ).read_text()
    current = catalogue.current()
    assert current is not None and sorted(current.pipes) == ["analytics_pages", "page_trend", "top_pages", "top_pages_daily"]


def test_the_view_rolls_up_every_insert(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    deploy(project, engine=engine)
    insert_events(
        engine,
        event(TODAY, "acme", "s1", "/home", revenue=2.5),
        event(TODAY, "acme", "s2", "/home", agent="Mobile Safari"),
        event(TODAY, "acme", "s1", "/home", revenue=1.0),
        event(TODAY, "globex", "s9", "/home"),
    )
    assert pages(engine) == [
        {"pathname": "/home", "device": "desktop", "visits": 1, "hits": 2, "revenue": 3.5},
        {"pathname": "/home", "device": "mobile", "visits": 1, "hits": 1, "revenue": 0},
    ]


def test_a_first_deploy_backfills_from_rows_already_present(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    materialization = project / "materializations" / "analytics_pages.pipe"
    text = materialization.read_text()
    materialization.unlink()
    deploy(project, engine=engine)
    insert_events(engine, event(TODAY, "acme", "s1", "/a"), event(TODAY, "acme", "s2", "/a"))
    assert pages(engine) == []
    materialization.write_text(text)
    outcome = deploy(project, engine=engine)
    assert outcome.backfilled == {"analytics_pages_mv": 1}
    assert "analytics_events" in outcome.kept and "analytics_pages_mv" in outcome.replaced
    insert_events(engine, event(TODAY, "acme", "s3", "/a"))
    assert pages(engine) == [{"pathname": "/a", "device": "desktop", "visits": 3, "hits": 3, "revenue": 0}]


def test_a_redeploy_of_the_same_folder_keeps_every_row_and_publishes_nothing(
    engine: ChdbEngine, project: Path, project_dir: Path
) -> None:
    first = deploy(project, engine=engine)
    insert_events(engine, event(TODAY, "acme", "s1", "/a"))
    again = deploy(project, engine=engine)
    assert sorted(again.kept) == sorted(DATASOURCE_TABLES)
    assert (again.created, again.replaced, again.views, again.backfilled) == ([], [], [], {})
    assert again.release is None and catalogue.current_release() == first.release
    insert_events(engine, event(TODAY, "acme", "s2", "/a"))
    assert engine.query("SELECT count() AS n FROM analytics_events").data == [{"n": 2}]
    assert pages(engine) == [{"pathname": "/a", "device": "desktop", "visits": 2, "hits": 2, "revenue": 0}]


def test_a_changed_schema_copies_the_rows_and_the_view_keeps_firing(
    engine: ChdbEngine, project: Path, project_dir: Path
) -> None:
    deploy(project, engine=engine)
    insert_events(engine, event(TODAY, "acme", "s1", "/a"))
    datasource = project / "datasources" / "analytics_events.datasource"
    datasource.write_text(datasource.read_text().replace(
        "`received_at`", "`country` LowCardinality(String) `json:$.country` DEFAULT 'xx',\n    `received_at`"
    ))
    outcome = deploy(project, engine=engine)
    assert "analytics_events" in outcome.replaced and "analytics_events_quarantine" in outcome.replaced
    assert outcome.views == ["analytics_pages"] and outcome.release is not None  # re-created over the new columns
    insert_events(engine, event(TODAY, "acme", "s2", "/a"))
    rows = engine.query("SELECT session_id, country FROM analytics_events ORDER BY session_id").data
    assert rows == [{"session_id": "s1", "country": "xx"}, {"session_id": "s2", "country": "xx"}]
    assert pages(engine)[0]["hits"] == 2


def test_a_changed_view_replaces_the_old_one(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    deploy(project, engine=engine)
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace("'desktop'", "'computer'"))
    outcome = deploy(project, engine=engine)
    assert outcome.views == ["analytics_pages"] and outcome.backfilled == {}
    insert_events(engine, event(TODAY, "acme", "s1", "/a"))
    assert [row["device"] for row in pages(engine)] == ["computer"]


def test_a_template_node_renders_with_its_defaults(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    pipe = project / "materializations" / "analytics_pages.pipe"
    pipe.write_text(pipe.read_text().replace(
        "SQL >\n    SELECT\n        timestamp,",
        "SQL >\n    %\n    SELECT\n        timestamp,",
    ).replace("WHERE action = 'page_hit'", "WHERE action = {{ String(action, 'page_hit') }}"))
    deploy(project, engine=engine)
    insert_events(engine, event(TODAY, "acme", "s1", "/a"))
    assert len(pages(engine)) == 1


def test_a_materialized_pipe_removed_from_the_project_stops_its_view(
    engine: ChdbEngine, project: Path, project_dir: Path
) -> None:
    deploy(project, engine=engine)
    (project / "materializations" / "analytics_pages.pipe").unlink()
    outcome = deploy(project, engine=engine)
    assert outcome.dropped_views == ["analytics_pages"] and "analytics_pages" not in tables(engine)
    assert "analytics_pages_mv" in tables(engine)  # a datasource's data is never dropped implicitly


def test_indexes_are_created(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    datasource = project / "datasources" / "analytics_events.datasource"
    datasource.write_text(datasource.read_text() + "\nINDEXES >\n    session_bf session_id TYPE bloom_filter(0.01) GRANULARITY 4\n")
    deploy(project, engine=engine)
    result = engine.query(
        "SELECT name, type_full FROM system.data_skipping_indices WHERE database = {db:String}",
        {"db": engine.database},
    )
    assert result.data == [{"name": "session_bf", "type_full": "bloom_filter(0.01)"}]


def test_deploy_error_lists_every_error(engine: ChdbEngine, project: Path, project_dir: Path) -> None:
    (project / "endpoints" / "broken.pipe").write_text("NODE n\nSQL >\n    SELECT 1\nTYPE nonsense\n")
    (project / "datasources" / "empty.datasource").write_text("SCHEMA >\n")
    with pytest.raises(DeployError) as raised:
        deploy(project, engine=engine)
    assert len(raised.value.errors) >= 2
    assert all(os.path.basename(str(error.origin.path)) in ("broken.pipe", "empty.datasource") for error in raised.value.errors)
