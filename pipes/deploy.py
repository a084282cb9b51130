"""Deploy a Tinybird project folder onto the engine, atomically: ``manage.py pipes_deploy``.

The order of work, and why:

1. **Check everything first.** ``check`` returns every error of the folder at once (the
   parser's, then what the engine cannot build: unsupported engines, INDEXES on Null tables,
   copy schedules, templates that do not render without request values), each naming its file
   and line. Nothing is touched until the whole project checks.
2. **Stage.** Every datasource (and its ``_quarantine``) is created in a staging database. When
   the live table's CREATE statement (as ClickHouse stores it) equals the staged one, the live
   table is *kept*, rows and all, and the staging database gets a view of it instead. Otherwise
   the staged table replaces it and the rows already present are copied into it (``INSERT …
   SELECT`` of the columns both have; ClickHouse converts types or the deploy fails naming the
   file). Every materialized node is checked against the staged schemas (``DESCRIBE``), and a
   materialization that is new is *backfilled* into its staged target from the rows already
   present (its target is always staged for that, so the backfill is undone with the rest).
3. **Swap.** ``atomic.swap_in`` puts the staged tables under the live names (``EXCHANGE``,
   or ``RENAME`` for new ones), all or none. Materialized views are then created under staging
   names *reading the live names* — ClickHouse binds a view to its source and target by name at
   CREATE time, so a view cannot be built against the staged tables and moved — and swapped in
   the same way; if one fails the table swap is undone.
4. **Publish.** The datafiles are copied into ``PIPES_PROJECT_DIR/releases/<id>/`` (before the
   swap) and ``catalogue.publish`` switches the ``current`` link last. A folder identical to the
   current release publishes no new release.
5. **Clean up.** The staging database, which now holds the replaced tables and views, is
   dropped. On any error before the swap only the staging database is dropped: the live tables,
   their rows and the ``current`` link are untouched. A process killed during a deploy leaves
   its staging database behind; the next deploy drops it (one deploy runs at a time: a lock
   file in ``PIPES_PROJECT_DIR``).

What ClickHouse cannot make atomic, said plainly: it has no transactions, so rows ingested into a
datasource *whose schema changes* between its copy and the swap are not in the new table (an
unchanged datasource keeps its table and loses nothing); and a materialized view that changes is
replaced by a few statements during which both the old and the new view may see an insert. Deploy
schema and view changes while ingestion is paused. Datasources removed from the project keep their
tables (dropping data is never implicit); materialized views removed from the project are dropped.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lib.secrets import SecretFileError
from pipes import catalogue, static_tokens
from pipes.datafiles import (
    DatafileError,
    Datasource,
    Node,
    NodeType,
    Origin,
    Pipe,
    Project,
    check_project,
    load_project,
    pipe_order,
)
from pipes.datafiles.model import ON_DEMAND, CopyMode
from pipes.datafiles.project import datafile_paths
from pipes.engine import ChdbEngine, Engine, EngineError, ServerEngine, ddl, runtime
from pipes.engine.atomic import swap_in
from pipes import secrets as pipe_secrets
from pipes.template import TemplateError, render
from pipes.template.render import SecretLookup
from pipes.template.types import literal

Output = Callable[[str], None]

_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*):([^{}]+)\}")
_LEADING_WITH = re.compile(r"^\s*WITH\b", re.IGNORECASE)


class DeployError(Exception):
    """The project cannot be deployed; ``errors`` name each file and line. Nothing changed."""

    def __init__(self, errors: list[DatafileError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def _quiet(_line: str) -> None:
    pass


class Progress:
    """One step's count and ETA (from the mean time per item so far), one line per item."""

    def __init__(self, out: Output, step: str, total: int) -> None:
        self.out, self.step, self.total = out, step, total
        self.done_count = 0
        self.started = time.monotonic()
        if total:
            out(f"{step}: {total}")

    def advance(self, what: str) -> None:
        self.done_count += 1
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done_count * (self.total - self.done_count)
        self.out(
            f"  {self.step} {self.done_count}/{self.total} {what} "
            f"({elapsed:.1f}s, eta {eta:.1f}s)"
        )


def run_with_progress(
    engine: Engine, sql: str, out: Output, label: str, *, every: float = 2.0, parameters: dict[str, object] | None = None
) -> None:
    """Runs a long statement (a backfill, a copy) and prints, every ``every`` seconds, the rows
    ClickHouse has read of the total it expects, with an ETA (from ``system.processes``)."""
    marker = f"panes-{uuid.uuid4().hex}"
    failure: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            engine.command(f"/* {marker} */ {sql}", parameters)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=work, name=f"pipes-deploy-{label}", daemon=True)
    started = time.monotonic()
    thread.start()
    while not done.wait(every):
        rows = engine.query(
            "SELECT read_rows AS done, total_rows_approx AS total FROM system.processes "
            "WHERE query LIKE {marker:String} AND query NOT LIKE '%system.processes%'",
            {"marker": f"%{marker}%"},
        ).data
        if not rows:
            continue
        read, total = int(rows[0]["done"]), int(rows[0]["total"])
        elapsed = time.monotonic() - started
        if not total:  # ClickHouse has not estimated it yet (or cannot, for some sources)
            out(f"    {label}: {read:,} rows read ({elapsed:.0f}s, total not known yet)")
            continue
        eta = f"eta {elapsed * (total - read) / read:.0f}s" if read and total >= read else "eta ?"
        out(f"    {label}: {read:,}/{total:,} rows read ({elapsed:.0f}s, {eta})")
    thread.join()
    if failure:
        raise failure[0]


# SQL of a pipe, without request values -------------------------------------------------------


def node_sql(node: Node, bound: dict[str, object] | None = None, secrets: SecretLookup | None = None) -> str:
    """A node's SQL as ClickHouse runs it with no request values: a template renders with
    ``{}`` and its defaults become literals (a view or a copy has no query parameters).

    Only a copy, which runs once and is stored nowhere, may read ``tb_secret()``: it passes
    ``bound``, and each secret stays a ``{name:String}`` parameter whose value goes there, never
    a literal. Without ``bound`` a secret is an error: a materialized view's definition is stored
    (and shown by SHOW CREATE), so a secret in it would be too."""
    if not node.is_template:
        return node.sql
    try:
        rendered = render(
            node.sql,
            {},
            secrets=(secrets or pipe_secrets.lookup) if bound is not None else None,
            prefix=f"s{len(bound)}x" if bound is not None else "p",
        )
    except TemplateError as error:
        raise DatafileError(
            node.sql_origin,
            "the template does not render without request values (a materialized or copy "
            f"node gets none; only a copy node reads secrets): {error}",
        ) from None
    except SecretFileError as error:
        raise DatafileError(node.sql_origin, str(error)) from None

    def inline(match: re.Match[str]) -> str:
        name, type_ = match.group(1), match.group(2)
        if name not in rendered.parameters:
            return match.group(0)
        if name in rendered.secrets and bound is not None:
            bound[name] = rendered.parameters[name]
            return match.group(0)
        return f"CAST({literal(rendered.parameters[name])} AS {type_})"

    return _PLACEHOLDER.sub(inline, rendered.sql)


def _strip(sql: str) -> str:
    sql = sql.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    return sql


def pipe_select(pipe: Pipe, node: Node, bound: dict[str, object] | None = None, secrets: SecretLookup | None = None) -> str:
    """``node``'s SQL with the earlier nodes it reads (directly or not) as ``WITH name AS (…)``;
    ``bound`` and ``secrets`` as in ``node_sql`` (copies only)."""
    names = {candidate.name: candidate for candidate in pipe.nodes}
    needed: set[str] = set()
    pending = [node]
    while pending:
        for reference in pending.pop().references:
            if reference in names and reference not in needed and reference != node.name:
                needed.add(reference)
                pending.append(names[reference])
    ctes = [
        f"{ddl.quote_identifier(earlier.name)} AS (\n{_strip(node_sql(earlier, bound, secrets))}\n)"
        for earlier in pipe.nodes
        if earlier.name in needed
    ]
    final = _strip(node_sql(node, bound, secrets))
    if not ctes:
        return final
    if _LEADING_WITH.match(final):
        return "WITH " + ",\n".join(ctes) + ",\n" + _LEADING_WITH.sub("", final, count=1).lstrip()
    return "WITH " + ",\n".join(ctes) + "\n" + final


# Checks that need no engine -------------------------------------------------------------------


def _plan_errors(project: Project) -> list[DatafileError]:
    """What the parser accepts but this host cannot build, every one."""
    errors: list[DatafileError] = static_tokens.problems(project)
    for datasource in project.datasources.values():
        for build in (ddl.create_table, ddl.create_quarantine_table):
            try:
                build(datasource)
            except DatafileError as error:
                errors.append(error)
    for pipe in project.pipes.values():
        node = pipe.typed_node
        if node is None or node.type not in (NodeType.MATERIALIZED, NodeType.COPY):
            continue
        if node.type == NodeType.COPY and node.copy_schedule not in (None, ON_DEMAND):
            errors.append(
                DatafileError(
                    _schedule_origin(node),
                    f"COPY_SCHEDULE {node.copy_schedule!r}: schedules are not run by the "
                    f"built-in host; use COPY_SCHEDULE {ON_DEMAND} and run "
                    f"'manage.py pipes_copy {pipe.name}' (from cron if you like)",
                )
            )
        try:
            if node.type == NodeType.COPY:  # its secrets are read when it runs, not at deploy
                pipe_select(pipe, node, {}, secrets=lambda name: "" if pipe_secrets.variable_for(name) else None)
            else:
                pipe_select(pipe, node)
        except DatafileError as error:
            errors.append(error)
    return errors


def _schedule_origin(node: Node) -> Origin:
    """The COPY_SCHEDULE line: the parser keeps the TYPE and target lines, so read the file."""
    try:
        lines = node.origin.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return node.type_origin or node.origin
    for number in range(node.origin.line, len(lines) + 1):
        if lines[number - 1].strip().upper().startswith("COPY_SCHEDULE"):
            return Origin(node.origin.path, number)
    return node.type_origin or node.origin


def check(folder: Path | str) -> tuple[Project | None, list[DatafileError]]:
    """The project and every reason it cannot be deployed ([] when it can); no engine needed."""
    errors = check_project(folder)
    if errors:
        return None, errors
    project = load_project(folder)
    return project, _plan_errors(project)


# The engine side ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a deploy did, for the command's summary and for tests."""

    release: Path | None = None  # the published release; None when the folder was unchanged
    created: list[str] = field(default_factory=list)  # tables that did not exist
    replaced: list[str] = field(default_factory=list)  # tables staged, rows copied, swapped in
    kept: list[str] = field(default_factory=list)  # tables whose CREATE is unchanged
    views: list[str] = field(default_factory=list)  # materialized views created or replaced
    backfilled: dict[str, int] = field(default_factory=dict)  # target -> rows after backfill
    dropped_views: list[str] = field(default_factory=list)


def _sibling_of(engine: Engine) -> Callable[[str], Engine]:
    """Opens the same ClickHouse as ``engine`` with another current database (unqualified
    names resolve there); for chDB, more connections to the folder this process owns."""

    def open_engine(database: str) -> Engine:
        if isinstance(engine, ChdbEngine):
            return ChdbEngine(engine.path, database=database)
        if isinstance(engine, ServerEngine):
            return ServerEngine(engine.url, database=database)
        raise TypeError(f"cannot stage a deploy on a {type(engine).__name__}")

    return open_engine


def _stored_create(engine: Engine, database: str, name: str) -> str | None:
    result = engine.query(
        "SELECT create_table_query AS q FROM system.tables "
        "WHERE database = {db:String} AND name = {name:String}",
        {"db": database, "name": name},
    )
    return str(result.data[0]["q"]) if result.data else None


def _body(create: str) -> str:
    """A stored CREATE without its ``CREATE TABLE db.name`` head, to compare across databases."""
    return create[create.find("(") :]


def _columns(engine: Engine, database: str, name: str) -> list[str]:
    result = engine.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "ORDER BY position",
        {"db": database, "t": name},
    )
    return [str(row["name"]) for row in result.data]


def _count(engine: Engine, name: str, database: str | None = None) -> int:
    return int(engine.query(f"SELECT count() AS n FROM {ddl.qualified(name, database)}").data[0]["n"])


def _refused(origin: Origin, what: str, error: EngineError) -> DatafileError:
    return DatafileError(origin, f"ClickHouse refused {what}: {error}")


def _release_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in datafile_paths(folder):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _write_release(folder: Path) -> Path:
    """Copies the datafiles into a new ``releases/<id>/`` (complete before it gets its name)."""
    releases = catalogue.project_dir() / catalogue.RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    release_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    building = releases / f".{release_id}"
    for path in datafile_paths(folder):
        destination = building / path.relative_to(folder)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    building.mkdir(parents=True, exist_ok=True)
    release = releases / release_id
    os.rename(building, release)
    return release


def _previous_project() -> Project | None:
    try:
        return catalogue.current()
    except DatafileError:
        return None


def _previous_view(previous: Project | None, name: str) -> tuple[str, str] | None:
    """(target, select) of the materialized pipe ``name`` in the deployed project, if any."""
    pipe = previous.pipes.get(name) if previous else None
    node = pipe.typed_node if pipe else None
    if pipe is None or node is None or node.type != NodeType.MATERIALIZED or not node.datasource:
        return None
    try:
        return node.datasource, pipe_select(pipe, node)
    except DatafileError:
        return None


@dataclass(frozen=True)
class _View:
    pipe: Pipe
    node: Node
    target: str
    select: str


def deploy(
    folder: Path | str,
    *,
    engine: Engine | None = None,
    out: Output = _quiet,
    staging_engine: Callable[[str], Engine] | None = None,
) -> Outcome:
    """Deploys the project folder; raises DeployError (nothing changed) when it cannot.

    ``staging_engine(database)`` opens the same ClickHouse with ``database`` as the current one
    (default: ``engine``'s class on its folder or URL)."""
    folder = Path(folder).resolve()
    project, errors = check(folder)
    if errors or project is None:
        raise DeployError(errors)
    if engine is None:
        engine = runtime.engine()
    try:
        order = pipe_order(project)
    except DatafileError as error:
        raise DeployError([error]) from None

    with _deploy_lock():
        return _deploy(folder, project, order, engine, out, staging_engine or _sibling_of(engine))


class DeployBusy(Exception):
    """Another deploy (or a replacing copy) holds the lock of ``PIPES_PROJECT_DIR``."""


@contextmanager
def _deploy_lock() -> Iterator[None]:
    """One deploy or replacing copy at a time per project folder (and so per engine)."""
    base = catalogue.project_dir()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".deploy.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DeployBusy(
                f"another deploy or copy is running on {base}; try again when it ends"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _deploy(
    folder: Path,
    project: Project,
    order: tuple[str, ...],
    engine: Engine,
    out: Output,
    open_staging: Callable[[str], Engine],
) -> Outcome:
    outcome = Outcome()
    live = engine.database
    _drop_leftovers(engine, out)
    previous = _previous_project()
    views = [
        _View(pipe, node, node.datasource, pipe_select(pipe, node))
        for pipe in (project.pipes[name] for name in order)
        if (node := pipe.typed_node) is not None
        and node.type == NodeType.MATERIALIZED
        and node.datasource is not None
    ]
    new_views = [view for view in views if not engine.table_exists(view.pipe.name, live)]
    changed_views = [
        view
        for view in views
        if view not in new_views
        and _previous_view(previous, view.pipe.name) != (view.target, view.select)
    ]
    must_stage = {view.target for view in new_views}

    stage = f"{live}__deploy_{uuid.uuid4().hex[:12]}"
    staging: Engine | None = None
    release: Path | None = None
    table_pairs: list[tuple[ddl.TableName, ddl.TableName]] = []
    swapped = False
    try:
        engine.command(ddl.create_database(stage))
        staging = open_staging(stage)
        _stage_tables(engine, project, stage, must_stage, table_pairs, outcome, out)
        _check_and_backfill(staging, project, views, new_views, outcome, out)
        # A view keeps its source and target by name across a swap, but it fixed its columns'
        # types when it was created: re-create it when a table it touches is replaced.
        replaced_tables = set(outcome.replaced)
        recreate = [
            view
            for view in views
            if view in new_views
            or view in changed_views
            or replaced_tables & {view.target, *_reads(view.pipe)}
        ]

        digest = _release_digest(folder)
        current = catalogue.current_release()
        if current is None or _release_digest(current) != digest:
            release = _write_release(folder)

        if table_pairs:
            out(f"swap: {len(table_pairs)} tables")
            replaced = swap_in(engine, table_pairs)
            swapped = True
        else:
            replaced = []
        try:
            _swap_views(engine, stage, live, recreate, outcome, out)
        except BaseException:
            _undo_swap(engine, table_pairs, replaced)
            swapped = False
            raise
        if release is not None:
            catalogue.publish(release)
            outcome.release = release
            out(f"published release {release.name}")
        else:
            out("the datafiles equal the current release: no new release")
        for name in _removed_views(previous, project, engine, live):
            try:
                engine.command(ddl.drop_table(name, database=live))
            except EngineError as error:
                out(f"warning: could not drop the materialized view {name}: {error}")
                continue
            outcome.dropped_views.append(name)
            out(f"dropped the materialized view {name} (no longer in the project)")
    except BaseException:
        if release is not None and not swapped:
            shutil.rmtree(release, ignore_errors=True)
        raise
    finally:
        if staging is not None:
            staging.close()
        try:
            engine.command(ddl.drop_database(stage))
        except EngineError:
            out(f"warning: could not drop the staging database {stage}; drop it by hand")
    return outcome


def _drop_leftovers(engine: Engine, out: Output) -> None:
    """Staging databases of deploys or copies that were killed (this one holds the lock)."""
    for kind in ("deploy", "copy"):
        leftovers = engine.query(
            "SELECT name FROM system.databases WHERE startsWith(name, {prefix:String})",
            {"prefix": f"{engine.database}__{kind}_"},
        ).data
        for row in leftovers:
            engine.command(ddl.drop_database(str(row["name"])))
            out(f"dropped {row['name']}, left by an interrupted {kind}")


def _reads(pipe: Pipe) -> set[str]:
    return {name for node in pipe.nodes for name in node.references}


def _stage_tables(
    engine: Engine,
    project: Project,
    stage: str,
    must_stage: set[str],
    pairs: list[tuple[ddl.TableName, ddl.TableName]],
    outcome: Outcome,
    out: Output,
) -> None:
    progress = Progress(out, "datasources", len(project.datasources))
    for datasource in sorted(project.datasources.values(), key=lambda ds: ds.name):
        tables = [
            (datasource.name, ddl.create_table(datasource, database=stage)),
            (
                ddl.quarantine_name(datasource.name),
                ddl.create_quarantine_table(datasource, database=stage),
            ),
        ]
        states = []
        for name, create in tables:
            try:
                states.append(
                    _stage_table(
                        engine, stage, name, create, name in must_stage, pairs, outcome, out
                    )
                )
            except EngineError as error:
                raise DeployError([_refused(datasource.origin, f"the table {name}", error)]) from None
        progress.advance(f"{datasource.name} ({states[0]})")


def _stage_table(
    engine: Engine,
    stage: str,
    name: str,
    create: str,
    force: bool,
    pairs: list[tuple[ddl.TableName, ddl.TableName]],
    outcome: Outcome,
    out: Output,
) -> str:
    """Creates ``stage.name``; keeps the live table when it is the same, else copies its rows."""
    live = engine.database
    engine.command(create)
    existing = _stored_create(engine, live, name)
    if existing is None:
        pairs.append(((stage, name), (live, name)))
        outcome.created.append(name)
        return "new"
    staged = _stored_create(engine, stage, name) or ""
    if _body(existing) == _body(staged) and not force:
        # The staged database reads the live rows through a view, for checks and backfills.
        engine.command(ddl.drop_table(name, database=stage))
        engine.command(
            f"CREATE VIEW {ddl.qualified(name, stage)} AS SELECT * FROM {ddl.qualified(name, live)}"
        )
        outcome.kept.append(name)
        return "unchanged, kept"
    new_columns = _columns(engine, stage, name)
    common = [column for column in _columns(engine, live, name) if column in new_columns]
    if common:
        names = ", ".join(ddl.quote_identifier(column) for column in common)
        run_with_progress(
            engine,
            f"INSERT INTO {ddl.qualified(name, stage)} ({names}) "
            f"SELECT {names} FROM {ddl.qualified(name, live)}",
            out,
            f"copying the rows of {name}",
        )
    pairs.append(((stage, name), (live, name)))
    outcome.replaced.append(name)
    return f"replaced, {_count(engine, name, stage):,} rows kept"


def _check_and_backfill(
    staging: Engine,
    project: Project,
    views: list[_View],
    new_views: list[_View],
    outcome: Outcome,
    out: Output,
) -> None:
    """Each materialized node against the staged schemas; new ones backfilled, in flow order."""
    progress = Progress(out, "materialized views (check and backfill)", len(views))
    for view in views:
        try:
            columns = staging.output_columns(view.select)
        except EngineError as error:
            raise DeployError(
                [_refused(view.node.sql_origin, f"node {view.node.name!r}", error)]
            ) from None
        target = project.datasources[view.target]
        foreign = [column for column in columns if target.column(column) is None]
        if foreign:
            raise DeployError(
                [
                    DatafileError(
                        view.node.origin,
                        f"node {view.node.name!r} writes columns {', '.join(foreign)} that "
                        f"datasource {view.target!r} does not have",
                    )
                ]
            )
        if view in new_views:
            try:
                run_with_progress(
                    staging,
                    ddl.backfill(view.target, view.select, columns),
                    out,
                    f"backfilling {view.target}",
                )
            except EngineError as error:
                raise DeployError(
                    [_refused(view.node.sql_origin, f"the backfill of {view.target!r}", error)]
                ) from None
            outcome.backfilled[view.target] = _count(staging, view.target)
            progress.advance(f"{view.pipe.name} -> {view.target} (backfilled, "
                             f"{outcome.backfilled[view.target]:,} rows)")
        else:
            progress.advance(f"{view.pipe.name} -> {view.target} (checked)")


def _swap_views(
    engine: Engine,
    stage: str,
    live: str,
    views: list[_View],
    outcome: Outcome,
    out: Output,
) -> None:
    """Creates the new and changed views under ``stage`` (reading and writing the *live*
    names: ``engine``'s current database is the live one) and swaps them in."""
    if not views:
        return
    progress = Progress(out, "materialized views (create)", len(views))
    for view in views:
        try:
            engine.command(
                ddl.create_materialized_view(
                    view.pipe.name, view.target, view.select, database=stage, target_database=live
                )
            )
        except EngineError as error:
            raise DeployError(
                [_refused(view.node.origin, f"the materialized view {view.pipe.name!r}", error)]
            ) from None
        progress.advance(view.pipe.name)
    swap_in(engine, [((stage, view.pipe.name), (live, view.pipe.name)) for view in views])
    outcome.views.extend(view.pipe.name for view in views)


def _undo_swap(
    engine: Engine,
    pairs: list[tuple[ddl.TableName, ddl.TableName]],
    replaced: Iterable[ddl.TableName],
) -> None:
    exchanged = set(replaced)
    for staged, live in reversed(pairs):
        if staged in exchanged:
            engine.command(ddl.exchange_tables(staged, live))
        else:
            engine.command(ddl.rename_tables([(live, staged)]))


def _removed_views(
    previous: Project | None, project: Project, engine: Engine, live: str
) -> list[str]:
    if previous is None:
        return []
    removed = []
    for name, pipe in previous.pipes.items():
        if pipe.type != NodeType.MATERIALIZED:
            continue
        still = project.pipes.get(name)
        if still is not None and still.type == NodeType.MATERIALIZED:
            continue
        if name not in project.datasources and engine.table_exists(name, live):
            removed.append(name)
    return removed


# Copy pipes -----------------------------------------------------------------------------------


class CopyError(Exception):
    """A copy pipe that cannot run; the message says why (and names the file when it can)."""


def run_copy(name: str, *, engine: Engine | None = None, out: Output = _quiet) -> int:
    """Runs the deployed copy pipe ``name`` once (COPY_MODE append or replace); returns the
    rows written. Replace builds the new rows in a staged table and swaps it in atomically."""
    project = catalogue.current()
    if project is None:
        raise CopyError("nothing is deployed: run 'manage.py pipes_deploy FOLDER' first")
    pipe = project.pipes.get(name)
    node = pipe.typed_node if pipe else None
    if pipe is None or node is None or node.type != NodeType.COPY or not node.target_datasource:
        raise CopyError(f"{name!r} is not a deployed copy pipe")
    if engine is None:
        engine = runtime.engine()
    target = project.datasources[node.target_datasource]
    mode = node.copy_mode or CopyMode.APPEND
    bound: dict[str, object] = {}
    try:
        select = pipe_select(pipe, node, bound)
        columns = engine.output_columns(select, bound)
    except DatafileError as error:
        raise CopyError(f"{node.sql_origin}: {error}") from None
    except EngineError as error:
        raise CopyError(f"{node.sql_origin}: {pipe_secrets.redact(str(error), bound.values())}") from None
    foreign = [column for column in columns if target.column(column) is None]
    if foreign:
        raise CopyError(
            f"{node.origin}: node {node.name!r} writes columns {', '.join(foreign)} that "
            f"datasource {target.name!r} does not have"
        )
    started = time.monotonic()
    out(f"copy {name} -> {target.name} ({mode})")
    try:
        if mode == CopyMode.REPLACE:
            with _deploy_lock():
                written = _copy_replace(engine, target, select, columns, out, bound)
        else:
            before = _count(engine, target.name)
            run_with_progress(engine, ddl.backfill(target.name, select, columns), out, name, parameters=bound)
            written = _count(engine, target.name) - before
    except EngineError as error:
        message = pipe_secrets.redact(str(error), bound.values())
        raise CopyError(f"{node.sql_origin}: ClickHouse refused the copy: {message}") from None
    out(f"copied {written:,} rows into {target.name} in {time.monotonic() - started:.1f}s")
    return written


def _copy_replace(
    engine: Engine, target: Datasource, select: str, columns: list[str], out: Output, bound: dict[str, object]
) -> int:
    stage = f"{engine.database}__copy_{uuid.uuid4().hex[:12]}"
    engine.command(ddl.create_database(stage))
    try:
        engine.command(ddl.create_table(target, database=stage))
        run_with_progress(
            engine, ddl.backfill(target.name, select, columns, database=stage), out, target.name, parameters=bound
        )
        written = _count(engine, target.name, stage)
        swap_in(engine, [((stage, target.name), (engine.database, target.name))])
        return written
    finally:
        engine.command(ddl.drop_database(stage))
