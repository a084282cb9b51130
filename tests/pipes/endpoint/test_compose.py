"""pipes.endpoint.compose and request_values: pure functions over datafiles (no HTTP)."""
from __future__ import annotations

import textwrap

import pytest

from pipes import endpoint
from pipes.datafiles import Project, parse_pipe
from pipes.engine import Engine
from pipes.endpoint import PipeMisconfigured, Query, RequestError, compose, request_values


def pipe(name: str, text: str):
    return parse_pipe(textwrap.dedent(text).lstrip(), f"{name}.pipe")


def project_of(*pipes) -> Project:
    return Project(datasources={}, pipes={p.name: p for p in pipes})


def test_fixed_params_replace_the_query_strings_values() -> None:
    values = request_values({"company_id": ["globex"], "date_from": ["2024-01-01"]}, {"company_id": "acme"})
    assert values == {"company_id": "acme", "date_from": "2024-01-01"}


def test_a_fixed_param_is_defined_even_when_the_query_string_does_not_name_it() -> None:
    assert request_values({}, {"company_id": 7}) == {"company_id": 7}


def test_reserved_keys_are_not_values_and_q_is_refused() -> None:
    assert request_values({"token": ["x"], "format": ["json"], "a": ["1", "2"]}, {}) == {"a": ["1", "2"]}
    with pytest.raises(RequestError):
        request_values({"q": ["SELECT 1"]}, {})


def test_a_too_long_value_is_400_naming_the_param(settings) -> None:
    settings.PIPES_MAX_PARAM_LENGTH = 3
    with pytest.raises(RequestError, match="city"):
        request_values({"city": ["Berlin"]}, {})


def test_nodes_and_pipes_merge_their_parameters_without_collisions(project: Project) -> None:
    query = compose(project, project.pipes["ep_top_city"], {"company_id": "acme", "limit": "5"})
    assert sorted(query.parameters) == ["p0_1", "p1_1"]
    assert set(query.parameters.values()) == {"acme", 5}
    assert "`ep_by_city` AS (" in query.sql and "`filtered` AS (" in query.sql


def test_only_nodes_that_are_read_are_rendered() -> None:
    unused = pipe(
        "p",
        """
        NODE unused
        SQL >
            %
            SELECT {{ String(needed, required=True) }} AS x

        NODE endpoint
        SQL >
            SELECT 1 AS one

        TYPE endpoint
        """,
    )
    assert compose(project_of(unused), unused, {}) == Query("SELECT 1 AS one", {})


def test_a_node_named_like_a_table_shadows_it(engine: Engine) -> None:
    shadow = pipe(
        "shadow",
        """
        NODE numbers
        SQL >
            SELECT 42 AS number

        NODE endpoint
        SQL >
            SELECT number FROM numbers

        TYPE endpoint
        """,
    )
    query = compose(project_of(shadow), shadow, {})
    assert endpoint.run_json(engine, query).data == [{"number": 42}]


def test_a_cycle_of_pipes_is_refused() -> None:
    a = pipe("a", "NODE endpoint\nSQL >\n    SELECT * FROM b\n\nTYPE endpoint\n")
    b = pipe("b", "NODE endpoint\nSQL >\n    SELECT * FROM a\n\nTYPE endpoint\n")
    with pytest.raises(PipeMisconfigured, match="cycle"):
        compose(project_of(a, b), a, {})


def test_an_inner_pipe_reading_a_table_an_outer_node_shadows_is_refused() -> None:
    inner = pipe("inner_pipe", "NODE endpoint\nSQL >\n    SELECT * FROM orders\n\nTYPE endpoint\n")
    outer = pipe(
        "outer",
        """
        NODE orders
        SQL >
            SELECT 1 AS x

        NODE endpoint
        SQL >
            SELECT * FROM orders, inner_pipe

        TYPE endpoint
        """,
    )
    with pytest.raises(PipeMisconfigured, match="orders"):
        compose(project_of(inner, outer), outer, {})


def test_endpoint_queries_are_read_only_and_time_limited(engine: Engine, project: Project) -> None:
    settings = endpoint.limits()
    assert settings["readonly"] == 1 and settings["max_execution_time"] > 0
    with pytest.raises(Exception, match="(?i)readonly"):
        engine.query("INSERT INTO ep_orders SELECT * FROM ep_orders", settings=settings)
    with pytest.raises(RequestError, match="(?i)readonly"):
        endpoint.run_json(engine, Query("SELECT * FROM file('/etc/hostname', 'LineAsString')"))


def test_a_pipes_own_settings_cannot_lift_the_limits(engine: Engine) -> None:
    query = Query(
        "SELECT getSetting('readonly') AS r, getSetting('max_execution_time') AS t"
        " SETTINGS readonly = 0, max_execution_time = 0"
    )
    row = endpoint.run_json(engine, query).data[0]
    assert int(row["r"]) == 1 and float(row["t"]) > 0


def test_a_query_over_the_time_limit_is_408(engine: Engine, settings) -> None:
    settings.PIPES_QUERY_SECONDS = 1
    query = Query("SELECT sum(number) AS s FROM numbers(100000000000)")
    with pytest.raises(RequestError) as caught:
        endpoint.run_json(engine, query)
    assert caught.value.status == 408, caught.value.payload


@pytest.mark.parametrize(
    "failing",
    [
        "SELECT sum(number) AS s FROM numbers(100000000000)",  # the time limit
        "SELECT number, throwIf(number = 50000, 'boom') AS t FROM numbers(90000)",  # after some rows
    ],
)
def test_a_failed_query_leaves_nothing_for_the_next_answer(engine: Engine, settings, failing: str) -> None:
    settings.PIPES_QUERY_SECONDS = 1
    for fmt in ("ndjson", "json"):
        with pytest.raises(RequestError):
            if fmt == "json":
                endpoint.run_json(engine, Query(failing))
            else:
                endpoint.run_raw(engine, Query(failing + " SETTINGS max_block_size = 1000"), fmt)
        assert endpoint.run_raw(engine, Query("SELECT 7 AS seven"), "ndjson") == b'{"seven":7}\n'
        assert endpoint.run_json(engine, Query("SELECT 8 AS eight")).data == [{"eight": 8}]
