"""`manage.py pipes_deploy FOLDER [--check]` and `manage.py pipes_copy PIPE` on the host's engine."""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipes import catalogue
from pipes.engine import ChdbEngine, ddl, runtime
from tests.pipes.deploy.conftest import EVENT_COLUMNS, FIXTURE, event, tables



def yesterday_noon() -> str:
    """Noon yesterday (UTC), asked when the rows are written: a run crossing midnight must not
    write the day before ClickHouse's yesterday()."""
    day = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    return day.replace(hour=12, minute=0, second=0, microsecond=0, tzinfo=None).isoformat(sep=" ")


@pytest.fixture
def live(project_dir: Path) -> Iterator[ChdbEngine]:
    """The process's engine, as the commands use it; what a test creates there is dropped."""
    engine = runtime.engine()
    assert isinstance(engine, ChdbEngine)
    before = set(tables(engine))
    yield engine
    for name, kind in tables(engine).items():
        if name not in before and kind == "MaterializedView":
            engine.command(ddl.drop_table(name))
    for name in set(tables(engine)) - before:
        engine.command(ddl.drop_table(name))


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_check_says_ok_with_counts_and_changes_nothing(live: ChdbEngine, project: Path) -> None:
    before = tables(live)
    out, _ = run("pipes_deploy", str(project), "--check")
    assert out.strip() == "ok: 3 datasources, 4 pipes (2 endpoint, 1 materialized, 1 copy)"
    assert tables(live) == before and catalogue.current_release() is None


def test_check_prints_every_error_and_fails(live: ChdbEngine, project: Path) -> None:
    (project / "endpoints" / "broken.pipe").write_text("NODE n\nSQL >\n    SELECT 1\n\nTYPE nonsense\n")
    (project / "datasources" / "kafka.connection").write_text("TYPE kafka\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"2 error\(s\); nothing was changed") as raised:
        call_command("pipes_deploy", str(project), "--check", stdout=out, stderr=err)
    assert raised.value.returncode == 1
    lines = err.getvalue().splitlines()
    assert any(line.startswith(f"{project}/endpoints/broken.pipe:5: ") for line in lines)
    assert any(line.startswith(f"{project}/datasources/kafka.connection:1: connections") for line in lines)


def test_deploy_prints_counts_and_etas_per_step(live: ChdbEngine, project: Path) -> None:
    out, _ = run("pipes_deploy", str(project))
    assert "datasources: 3" in out and "  datasources 3/3 top_pages_snapshot (new)" in out
    assert "materialized views (check and backfill) 1/1 analytics_pages -> analytics_pages_mv" in out
    assert "materialized views (create) 1/1 analytics_pages" in out and "eta 0.0s" in out
    assert "Deployed" in out and "6 tables created" in out
    assert tables(live)["analytics_pages"] == "MaterializedView"
    out, _ = run("pipes_deploy", str(project))
    assert "no new release" in out and "6 kept" in out


def test_the_fixture_as_written_is_refused_for_its_schedule(live: ChdbEngine) -> None:
    with pytest.raises(CommandError):
        call_command("pipes_deploy", str(FIXTURE), stdout=StringIO(), stderr=(err := StringIO()))
    assert err.getvalue().strip() == (
        f"{FIXTURE}/copies/top_pages_daily.pipe:18: COPY_SCHEDULE '10 0 * * *': schedules are not "
        "run by the built-in host; use COPY_SCHEDULE @on-demand and run "
        "'manage.py pipes_copy top_pages_daily' (from cron if you like)"
    )
    assert "analytics_events" not in tables(live)


def merge_tree_snapshot(project: Path, mode: str) -> None:
    """The copy's target as a plain MergeTree (a ReplacingMergeTree may merge duplicates away
    at any moment), and the copy's mode."""
    target = project / "datasources" / "top_pages_snapshot.datasource"
    target.write_text(target.read_text().replace('ENGINE "ReplacingMergeTree"', 'ENGINE "MergeTree"')
                      .replace('ENGINE_VER "updated_at"\n', ""))
    copy = project / "copies" / "top_pages_daily.pipe"
    copy.write_text(copy.read_text().replace("COPY_MODE append", f"COPY_MODE {mode}"))


def deploy_with_yesterdays_hits(live: ChdbEngine, project: Path) -> None:
    run("pipes_deploy", str(project))
    yesterday = yesterday_noon()
    live.insert("analytics_events", EVENT_COLUMNS, [
        event(yesterday, "acme", "s1", "/a"), event(yesterday, "acme", "s2", "/a"),
        event(yesterday, "acme", "s1", "/b"), event(yesterday, "globex", "s3", "/a"),
    ])


def snapshot_rows(live: ChdbEngine) -> list[dict[str, object]]:
    return live.query("SELECT tenant_id, pathname, visits FROM top_pages_snapshot ORDER BY ALL").data


def test_copy_appends_on_demand(live: ChdbEngine, project: Path) -> None:
    merge_tree_snapshot(project, "append")
    deploy_with_yesterdays_hits(live, project)
    out, _ = run("pipes_copy", "top_pages_daily")
    assert "copy top_pages_daily -> top_pages_snapshot (append)" in out and "copied 3 rows" in out
    assert snapshot_rows(live) == [
        {"tenant_id": "acme", "pathname": "/a", "visits": 2},
        {"tenant_id": "acme", "pathname": "/b", "visits": 1},
        {"tenant_id": "globex", "pathname": "/a", "visits": 1},
    ]
    run("pipes_copy", "top_pages_daily")
    assert len(snapshot_rows(live)) == 6


def test_copy_replaces_on_demand(live: ChdbEngine, project: Path) -> None:
    merge_tree_snapshot(project, "replace")
    deploy_with_yesterdays_hits(live, project)
    run("pipes_copy", "top_pages_daily")
    out, _ = run("pipes_copy", "top_pages_daily")
    assert "(replace)" in out and "copied 3 rows" in out
    assert len(snapshot_rows(live)) == 3
    assert not [name for name in live.query("SELECT name FROM system.databases").data if "__copy_" in name["name"]]


def test_copy_refuses_what_is_not_a_deployed_copy_pipe(live: ChdbEngine, project: Path) -> None:
    with pytest.raises(CommandError, match="nothing is deployed"):
        run("pipes_copy", "top_pages_daily")
    run("pipes_deploy", str(project))
    with pytest.raises(CommandError, match="'top_pages' is not a deployed copy pipe"):
        run("pipes_copy", "top_pages")
