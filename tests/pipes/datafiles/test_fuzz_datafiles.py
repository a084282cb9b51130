"""Whatever text a datafile holds, the parser answers with a result or a DatafileError that names
a line of that file: never another exception."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipes.datafiles import (
    DatafileError,
    Project,
    parse_datasource,
    parse_pipe,
    pipe_order,
    validate_project,
)
from pipes.datafiles.jsonpath import JsonPathError, parse_jsonpath
from pipes.datafiles.parse import read_datasource, read_pipe
from pipes.datafiles.refs import scan_references
from tests.support.examples import examples

FRAGMENTS = [
    "SCHEMA >", "SQL >", "NODE n", "NODE m", "DESCRIPTION >", "DESCRIPTION x", "TYPE endpoint",
    "TYPE materialized", "TYPE copy", "DATASOURCE t", "TARGET_DATASOURCE t", "COPY_SCHEDULE @on-demand",
    "ENGINE ReplacingMergeTree", "ENGINE_VER v", "ENGINE_SORTING_KEY a", "TOKEN t READ", "INDEXES >",
    "    `a` String `json:$.a`,", "    b Array(Nullable(String)) DEFAULT []", "    c Enum8('x' = 1",
    "    %", "    SELECT * FROM n", "    {% if defined(x) %}", "    'unclosed", "    `", "    (((",
    "    ))", "    ,", "#", "", "    ", "\t", "KAFKA_TOPIC t", "INCLUDE x", "\ufeff", "\r", ">",
    "    idx a TYPE minmax GRANULARITY 1", "    v UInt64 CODEC(ZSTD(1)", "    `json:$.[`",
]

structured = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("\n".join)
anything = st.one_of(st.text(max_size=400), structured, st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25).map("\n".join))


def check(result: tuple[object, list[DatafileError]], source: str, path: Path) -> None:
    value, errors = result
    assert (value is None) == bool(errors)
    line_count = source.count("\n") + source.count("\r") + 1
    for error in errors:
        assert isinstance(error, DatafileError)
        assert error.origin.path == path
        assert 1 <= error.origin.line <= line_count
        assert str(error).startswith(f"{path}:{error.origin.line}: ")


@settings(max_examples=examples(1000), suppress_health_check=[HealthCheck.too_slow])
@given(anything)
def test_the_datasource_parser_only_ever_raises_datafile_errors(source: str) -> None:
    path = Path("fuzz/x.datasource")
    check(read_datasource(source, path), source, path)


@settings(max_examples=examples(1000), suppress_health_check=[HealthCheck.too_slow])
@given(anything)
def test_the_pipe_parser_only_ever_raises_datafile_errors(source: str) -> None:
    path = Path("fuzz/x.pipe")
    result = read_pipe(source, path)
    check(result, source, path)


@settings(max_examples=examples(500))
@given(st.text(max_size=300))
def test_the_reference_scanner_and_the_jsonpath_reader_never_crash(source: str) -> None:
    for name, line in scan_references(source):
        assert name and 0 <= line <= source.count("\n")
    try:
        parse_jsonpath(source)
    except JsonPathError:
        pass


NAMES = ["a", "b", "c", "d", "events"]


@st.composite
def projects(draw: st.DrawFn) -> Project:
    """Small projects whose pipes read, materialize and copy between a few names at random."""
    datasources = {}
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)):
        datasources[name] = parse_datasource("SCHEMA >\n    x String\n", Path(f"{name}.datasource"))
    pipes = {}
    for name in draw(st.lists(st.sampled_from(["p", "q", "r", *NAMES]), unique=True, max_size=4)):
        if name in datasources:
            continue
        lines = []
        nodes = draw(st.lists(st.sampled_from(["n1", "n2", "n3"]), unique=True, min_size=1, max_size=3))
        for node in nodes:
            reads = draw(st.lists(st.sampled_from([*NAMES, "p", "q", "r", "n1", "n2", "n3"]), max_size=3))
            sql = "SELECT 1" + "".join(f" FROM {read}" if i == 0 else f" JOIN {read} ON 1" for i, read in enumerate(reads))
            lines += [f"NODE {node}", "SQL >", f"    {sql}"]
        kind = draw(st.sampled_from(["", "endpoint", "materialized", "copy"]))
        if kind:
            lines.append(f"TYPE {kind}")
        if kind == "materialized":
            lines.append(f"DATASOURCE {draw(st.sampled_from(NAMES))}")
        if kind == "copy":
            lines.append(f"TARGET_DATASOURCE {draw(st.sampled_from(NAMES))}")
        pipes[name] = parse_pipe("\n".join(lines) + "\n", Path(f"{name}.pipe"))
    return Project(datasources=datasources, pipes=pipes)


@settings(max_examples=examples(500), suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_project_checks_only_ever_report_datafile_errors_and_order_valid_projects(project: Project) -> None:
    errors = validate_project(project)
    assert all(isinstance(error, DatafileError) for error in errors)
    try:
        order = pipe_order(project)
    except DatafileError as error:
        assert "cycle" in error.reason
        assert any("cycle" in e.reason for e in errors)
        return
    assert sorted(order) == sorted(project.pipes)
    position = {name: i for i, name in enumerate(order)}
    for pipe in project.pipes.values():
        own = {node.name for node in pipe.nodes}
        for node in pipe.nodes:
            for read in node.references:
                if read in project.pipes and read != pipe.name and read not in own:
                    assert position[read] < position[pipe.name]
