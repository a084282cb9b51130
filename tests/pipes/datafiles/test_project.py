"""load_project / check_project: a realistic project folder in subfolders, and the checks that
need the whole project (names, targets, reads, cycles), each error naming its files and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles import DatafileError, NodeType, check_project, load_project, pipe_order
from tests.pipes.datafiles.helpers import write

PROJECT = Path(__file__).parent / "project"

EVENTS = """
    SCHEMA >
        `ts` DateTime `json:$.ts`,
        `tenant_id` String `json:$.tenant_id`
    ENGINE_SORTING_KEY "tenant_id, ts"
"""
DAILY = """
    SCHEMA >
        `date` Date,
        `tenant_id` String,
        `hits` AggregateFunction(count)
    ENGINE AggregatingMergeTree
"""


def materializing(source: str, target: str) -> str:
    return f"""
        NODE rollup
        SQL >
            SELECT toDate(ts) AS date, tenant_id, countState() AS hits
            FROM {source}
            GROUP BY date, tenant_id
        TYPE materialized
        DATASOURCE {target}
    """


def endpoint(sql: str) -> str:
    return f"NODE endpoint\nSQL >\n    {sql}\nTYPE endpoint\n"


def test_the_fixture_project_loads_from_its_subfolders() -> None:
    project = load_project(PROJECT)
    assert sorted(project.datasources) == ["analytics_events", "analytics_pages_mv", "top_pages_snapshot"]
    assert sorted(project.pipes) == ["analytics_pages", "page_trend", "top_pages", "top_pages_daily"]
    assert check_project(PROJECT) == []
    events = project.datasources["analytics_events"]
    assert events.origin.path == PROJECT / "datasources" / "analytics_events.datasource"
    assert events.has_jsonpaths
    assert [t.name for t in events.tokens] == ["tracker"]
    user_agent, received_at = events.column("user_agent"), events.column("received_at")
    assert user_agent is not None and user_agent.jsonpath == "$.['user-agent']"
    assert received_at is not None and received_at.default == "now64(3)"
    target = project.datasources["analytics_pages_mv"]
    assert target.engine.name == "AggregatingMergeTree"
    assert [c.type for c in target.columns if c.type.startswith("AggregateFunction")] == [
        "AggregateFunction(uniq, Nullable(String))",
        "AggregateFunction(count)",
        "AggregateFunction(sum, Float64)",
    ]


def test_the_fixture_pipes_have_their_types_targets_and_references() -> None:
    project = load_project(PROJECT)
    mv = project.pipes["analytics_pages"]
    assert mv.type == NodeType.MATERIALIZED and mv.typed_node is not None
    assert (mv.typed_node.name, mv.typed_node.datasource, mv.typed_node.references) == (
        "analytics_pages_1",
        "analytics_pages_mv",
        ("parsed",),
    )
    assert mv.nodes[0].references == ("analytics_events",)
    top = project.pipes["top_pages"]
    assert top.type == NodeType.ENDPOINT and [n.is_template for n in top.nodes] == [True, True]
    assert "{% if defined(date_from) %}" in top.nodes[0].sql
    assert project.pipes["page_trend"].nodes[0].references == ("analytics_pages_mv", "top_pages")
    copy = project.pipes["top_pages_daily"].typed_node
    assert copy is not None
    assert (copy.type, copy.target_datasource, copy.copy_schedule, copy.copy_mode) == (
        "copy",
        "top_pages_snapshot",
        "10 0 * * *",
        "append",
    )


def test_pipe_order_follows_the_data() -> None:
    order = pipe_order(load_project(PROJECT))
    assert order.index("analytics_pages") < order.index("top_pages") < order.index("page_trend")
    assert sorted(order) == ["analytics_pages", "page_trend", "top_pages", "top_pages_daily"]


def test_hidden_folders_and_other_files_are_left_out(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            ".tinyb/ignored.datasource": "not a datafile at all",
            "fixtures/events.ndjson": '{"ts": "2024-01-01 00:00:00"}',
            "README.md": "# project",
        },
    )
    assert list(load_project(tmp_path).datasources) == ["events"]


def one_error(root: Path) -> DatafileError:
    errors = check_project(root)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


@pytest.mark.parametrize(
    "second", ["materializations/events.datasource", "pipes/events.pipe"]
)
def test_it_refuses_two_files_with_one_name_naming_both(tmp_path: Path, second: str) -> None:
    source = EVENTS if second.endswith(".datasource") else endpoint("SELECT 1")
    write(tmp_path, {"datasources/events.datasource": EVENTS, second: source})
    raised = one_error(tmp_path)
    assert "events" in raised.reason and str(tmp_path / "datasources/events.datasource") in raised.reason
    assert raised.origin.line == 1
    assert {raised.origin.path, tmp_path / "datasources/events.datasource"} == {
        tmp_path / second,
        tmp_path / "datasources/events.datasource",
    }
    with pytest.raises(DatafileError):
        load_project(tmp_path)


def test_it_refuses_a_materialization_into_a_datasource_that_does_not_exist(tmp_path: Path) -> None:
    write(tmp_path, {"datasources/events.datasource": EVENTS, "pipes/rollup.pipe": materializing("events", "daily")})
    raised = one_error(tmp_path)
    assert (raised.origin.path, raised.origin.line) == (tmp_path / "pipes/rollup.pipe", 7)
    assert "'daily'" in raised.reason


def test_it_refuses_a_copy_into_a_missing_datasource_or_a_pipe(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "endpoints/hits.pipe": endpoint("SELECT count() FROM events"),
            "copies/a.pipe": "NODE n\nSQL >\n    SELECT * FROM events\nTYPE copy\nTARGET_DATASOURCE snapshot\n",
            "copies/b.pipe": "NODE n\nSQL >\n    SELECT * FROM events\nTYPE copy\nTARGET_DATASOURCE hits\n",
        },
    )
    errors = check_project(tmp_path)
    assert [(e.origin.path.name, e.origin.line) for e in errors] == [("a.pipe", 5), ("b.pipe", 5)]
    assert "no datasource 'snapshot'" in errors[0].reason and "'hits' is a pipe" in errors[1].reason


def test_a_broken_target_is_reported_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "datasources/daily.datasource": "SCHEMA >\n    date Date,\nENGINE Memory\n",
            "pipes/rollup.pipe": materializing("events", "daily"),
        },
    )
    raised = one_error(tmp_path)
    assert (raised.origin.path.name, raised.origin.line) == ("daily.datasource", 3)


def test_it_refuses_pipes_that_read_each_other_naming_the_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "endpoints/a.pipe": endpoint("SELECT * FROM b"),
            "endpoints/b.pipe": endpoint("SELECT * FROM a"),
        },
    )
    raised = one_error(tmp_path)
    assert "cycle" in raised.reason
    assert str(tmp_path / "endpoints/a.pipe") in raised.reason and str(tmp_path / "endpoints/b.pipe") in raised.reason
    assert raised.origin.line == 1
    with pytest.raises(DatafileError, match="cycle"):
        pipe_order(load_project_unchecked(tmp_path))


def load_project_unchecked(root: Path):
    from pipes.datafiles import read_project

    return read_project(root)[0]


def test_it_refuses_materializations_that_feed_each_other(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "datasources/copy_of_events.datasource": EVENTS,
            "pipes/forth.pipe": "NODE n\nSQL >\n    SELECT * FROM events\nTYPE materialized\nDATASOURCE copy_of_events\n",
            "pipes/back.pipe": "NODE n\nSQL >\n    SELECT * FROM copy_of_events\nTYPE materialized\nDATASOURCE events\n",
        },
    )
    raised = one_error(tmp_path)
    for name in ("forth.pipe", "back.pipe", "events.datasource", "copy_of_events.datasource"):
        assert name in raised.reason


def test_it_refuses_a_materialization_into_the_datasource_it_reads(tmp_path: Path) -> None:
    write(tmp_path, {"datasources/events.datasource": EVENTS, "pipes/loop.pipe": materializing("events", "events")})
    raised = one_error(tmp_path)
    assert "cycle" in raised.reason and "loop.pipe" in raised.reason and "events.datasource" in raised.reason


def test_a_copy_may_read_its_own_target(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "copies/dedupe.pipe": """
                NODE n
                SQL >
                    SELECT * FROM events GROUP BY ALL
                TYPE copy
                TARGET_DATASOURCE events
                COPY_MODE replace
            """,
        },
    )
    assert check_project(tmp_path) == []


def test_it_refuses_nodes_that_read_each_other(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "endpoints/loop.pipe": """
                NODE first
                SQL >
                    SELECT * FROM second

                NODE second
                SQL >
                    SELECT * FROM first
                TYPE endpoint
            """,
        },
    )
    raised = one_error(tmp_path)
    assert (raised.origin.path.name, raised.origin.line) == ("loop.pipe", 1)
    assert "first -> second -> first" in raised.reason


def test_a_node_may_share_a_datasource_name_it_reads(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "endpoints/e.pipe": "NODE events\nSQL >\n    SELECT * FROM events\nTYPE endpoint\n",
        },
    )
    assert check_project(tmp_path) == []


def test_it_refuses_reading_a_materialized_pipe_at_the_line_that_reads_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/events.datasource": EVENTS,
            "datasources/daily.datasource": DAILY,
            "pipes/rollup.pipe": materializing("events", "daily"),
            "endpoints/e.pipe": "NODE n\nSQL >\n    SELECT *\n    FROM rollup\nTYPE endpoint\n",
        },
    )
    raised = one_error(tmp_path)
    assert (raised.origin.path.name, raised.origin.line) == ("e.pipe", 4)
    assert "'rollup'" in raised.reason and "MATERIALIZED" in raised.reason


@pytest.mark.parametrize(("name", "words"), [("kafka.connection", "connections"), ("includes/x.incl", "INCLUDE")])
def test_it_refuses_datafiles_of_unsupported_features(tmp_path: Path, name: str, words: str) -> None:
    write(tmp_path, {"datasources/events.datasource": EVENTS, name: "TYPE kafka\n"})
    raised = one_error(tmp_path)
    assert (raised.origin.path, raised.origin.line) == (tmp_path / name, 1)
    assert words in raised.reason and "not supported" in raised.reason


def test_check_project_returns_every_error_of_every_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "datasources/a.datasource": "SCHEMA >\n    x Strin(g\nKAFKA_TOPIC t\n",
            "datasources/b.datasource": "ENGINE MergeTree\n",
            "pipes/c.pipe": "NODE n\nSQL >\nSELECT 1\n",
            "pipes/d.pipe": materializing("a", "nowhere"),
        },
    )
    errors = check_project(tmp_path)
    assert [(e.origin.path.name, e.origin.line) for e in errors] == [
        ("a.datasource", 2),
        ("a.datasource", 3),
        ("b.datasource", 1),
        ("c.pipe", 2),
        ("c.pipe", 3),
        ("d.pipe", 7),
    ]
    with pytest.raises(DatafileError) as raised:
        load_project(tmp_path)
    assert raised.value.origin == errors[0].origin


def test_it_refuses_a_file_that_is_not_utf8_and_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "bad.datasource").write_bytes(b"SCHEMA >\n    a String\xff\n")
    raised = one_error(tmp_path)
    assert (raised.origin.path.name, raised.origin.line) == ("bad.datasource", 1) and "UTF-8" in raised.reason
    assert [str(e) for e in check_project(tmp_path / "missing")] == [f"{tmp_path / 'missing'}:1: no such project folder"]
