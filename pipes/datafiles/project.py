"""A Tinybird project folder -> Project, and the checks that need the whole project.

Datafiles are found in any subfolder (datasources/, endpoints/, materializations/, copies/,
pipes/ …); hidden folders are skipped. Datasource and pipe names share one namespace, as in
Tinybird. ``check_project`` returns every error at once for a ``--check``; ``load_project``
raises the first.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipes.datafiles.model import DatafileError, Datasource, NodeType, Origin, Pipe, Project
from pipes.datafiles.parse import read_datasource, read_pipe
from pipes.datafiles.refs import scan_references

# Files that belong to Tinybird features Panes does not run; refused, not skipped.
REFUSED_FILES = {
    ".connection": "connections (Kafka, S3, GCS) are not supported",
    ".incl": "INCLUDE files are not supported; write the nodes into the .pipe file",
}


def datafile_paths(folder: Path | str) -> list[Path]:
    """Every .datasource, .pipe (and refused datafile) under ``folder``, sorted."""
    root = Path(folder)
    suffixes = {".datasource", ".pipe", *REFUSED_FILES}
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix in suffixes and path.is_file():
            found.append(path)
    return sorted(found)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatafileError(Origin(path, 1), f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise DatafileError(Origin(path, 1), f"cannot be read ({error.strerror})") from None


def read_project(folder: Path | str) -> tuple[Project, list[DatafileError]]:
    """The project of every datafile that parsed, and every error (parse and validation)."""
    root = Path(folder)
    errors: list[DatafileError] = []
    if not root.is_dir():
        raise DatafileError(Origin(root, 1), "no such project folder")
    datasources: dict[str, Datasource] = {}
    pipes: dict[str, Pipe] = {}
    owners: dict[str, Path] = {}
    broken: set[str] = set()
    for path in datafile_paths(root):
        if path.suffix in REFUSED_FILES:
            errors.append(DatafileError(Origin(path, 1), REFUSED_FILES[path.suffix]))
            continue
        name = path.name[: -len(path.suffix)]
        if name in owners:
            errors.append(
                DatafileError(
                    Origin(path, 1),
                    f"the name {name!r} is already taken by {owners[name]} "
                    "(datasources and pipes share one namespace)",
                )
            )
            continue
        owners[name] = path
        try:
            text = _read_text(path)
        except DatafileError as error:
            errors.append(error)
            broken.add(name)
            continue
        if path.suffix == ".datasource":
            datasource, file_errors = read_datasource(text, path)
            if datasource is not None:
                datasources[name] = datasource
        else:
            pipe, file_errors = read_pipe(text, path)
            if pipe is not None:
                pipes[name] = pipe
        if file_errors:
            broken.add(name)
            errors.extend(file_errors)
    project = Project(datasources=datasources, pipes=pipes)
    errors.extend(validate_project(project, broken=broken))
    return project, errors


def check_project(folder: Path | str) -> list[DatafileError]:
    """Every error of the project folder, for ``pipes_deploy --check``; [] when it deploys."""
    try:
        return read_project(folder)[1]
    except DatafileError as error:
        return [error]


def load_project(folder: Path | str) -> Project:
    """The project folder as a Project; the first error raises a DatafileError."""
    project, errors = read_project(folder)
    if errors:
        raise errors[0]
    return project


def _reference_origin(node_sql_origin: Origin, sql: str, name: str) -> Origin:
    for found, line in scan_references(sql):
        if found == name:
            return node_sql_origin.at(line)
    return node_sql_origin


def validate_project(project: Project, broken: Iterable[str] = ()) -> list[DatafileError]:
    """What one file cannot say alone: targets exist, pipes read endpoints, no cycles.

    ``broken`` names files that failed to parse, so that their absence is not reported again.
    """
    broken = set(broken)
    errors: list[DatafileError] = []
    for pipe in project.pipes.values():
        for node in pipe.nodes:
            if node.type in (NodeType.MATERIALIZED, NodeType.COPY) and node.target:
                origin = node.target_origin or node.origin
                if node.target in project.pipes:
                    errors.append(
                        DatafileError(origin, f"{node.target!r} is a pipe, not a datasource")
                    )
                elif node.target not in project.datasources and node.target not in broken:
                    errors.append(
                        DatafileError(
                            origin, f"no datasource {node.target!r} in the project to write into"
                        )
                    )
            for name in node.references:
                if pipe.node(name) is not None and name != node.name:
                    continue
                other = project.pipes.get(name)
                if other is not None and other.type in (NodeType.MATERIALIZED, NodeType.COPY):
                    errors.append(
                        DatafileError(
                            _reference_origin(node.sql_origin, node.sql, name),
                            f"node {node.name!r} reads pipe {name!r}, which is TYPE "
                            f"{str(other.type).upper()}: only endpoint pipes can be read",
                        )
                    )
        errors.extend(_node_cycles(pipe))
    errors.extend(_project_cycles(project))
    return errors


def _node_edges(pipe: Pipe) -> dict[str, list[str]]:
    """node -> the nodes of the same pipe it reads (a name read by its own node is a table)."""
    names = {node.name for node in pipe.nodes}
    return {
        node.name: [ref for ref in node.references if ref in names and ref != node.name]
        for node in pipe.nodes
    }


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle of a directed graph, as the path that closes it."""
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(vertex: str) -> None:
        state[vertex] = 1
        stack.append(vertex)
        for target in graph.get(vertex, []):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif target not in state:
                visit(target)
        stack.pop()
        state[vertex] = 2

    for vertex in sorted(graph):
        if vertex not in state:
            visit(vertex)
    return cycles


def _node_cycles(pipe: Pipe) -> list[DatafileError]:
    errors = []
    for cycle in _find_cycles(_node_edges(pipe)):
        first = pipe.node(cycle[0])
        assert first is not None
        errors.append(
            DatafileError(
                first.origin, f"nodes read each other in a cycle: {' -> '.join(cycle)}"
            )
        )
    return errors


def _flow_graph(project: Project) -> dict[str, list[str]]:
    """Where data flows: datasource or pipe -> the pipes that read it, and a materialized pipe ->
    its target datasource. Copies are left out: a copy may read its own target (to deduplicate),
    and it runs once, not on every insert."""
    graph: dict[str, list[str]] = {name: [] for name in (*project.datasources, *project.pipes)}
    for pipe in project.pipes.values():
        own = {node.name for node in pipe.nodes}
        for node in pipe.nodes:
            for name in node.references:
                if name in own and name != node.name:
                    continue
                if name in graph and name != pipe.name and pipe.name not in graph[name]:
                    graph[name].append(pipe.name)
            if node.type == NodeType.MATERIALIZED and node.datasource in project.datasources:
                graph[pipe.name].append(node.datasource)
    return graph


def _resource(project: Project, name: str) -> Pipe | Datasource:
    return project.pipes.get(name) or project.datasources[name]


def _project_cycles(project: Project) -> list[DatafileError]:
    errors = []
    for cycle in _find_cycles(_flow_graph(project)):
        resource = _resource(project, cycle[0])
        files = [str(_resource(project, name).origin.path) for name in cycle]
        errors.append(
            DatafileError(resource.origin, f"data flows in a cycle: {' -> '.join(files)}")
        )
    return errors


def pipe_order(project: Project) -> tuple[str, ...]:
    """The pipes in the order data flows through them: a pipe after every pipe it reads and after
    the materializations that fill the datasources it reads. Raises on a cycle."""
    for error in _project_cycles(project):
        raise error
    graph = _flow_graph(project)
    incoming: dict[str, int] = {vertex: 0 for vertex in graph}
    for targets in graph.values():
        for target in targets:
            incoming[target] += 1
    ready = sorted(vertex for vertex, count in incoming.items() if count == 0)
    order: list[str] = []
    while ready:
        vertex = ready.pop(0)
        if vertex in project.pipes:
            order.append(vertex)
        for target in graph[vertex]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
                ready.sort()
    return tuple(order)
