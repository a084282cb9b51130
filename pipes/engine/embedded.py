"""chDB: ClickHouse inside this process, on a data folder this process owns.

Facts of chdb 4.4 (chdb-core 26.9) that shape this module, checked on this machine:

- A process runs one embedded ClickHouse, bound to one data folder. Any number of connections
  to that folder may be open at once; asking for another folder while one is open fails
  ("EmbeddedServer already initialized with path …"). After the last connection closes, the
  process may open another folder.
- The folder is locked (``<folder>/status``): a second process gets "Cannot lock file
  …/status". ``DataFolderInUse`` says so in words, with the owner's pid when the file has it.
- Connections are independent sessions (their own ``USE`` and settings) and run queries in
  parallel. One connection shared by threads is not safe: some queries fail ("Substitution
  `x` is not set") and some run with another thread's parameters, answering for another
  tenant. Hence one connection per thread, made on the thread's first call.
- Query results carry ClickHouse's statistics; ``FORMAT JSON`` puts them in the body.
- chDB's ``default`` database is an "Overlay" database; the engine keeps its tables in an
  Atomic database of its own (``panes``), where EXCHANGE TABLES and RENAME are atomic.
- No transactions ("Transactions are not supported").
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipes.engine.base import (
    QUERY_SETTINGS,
    DataFolderInUse,
    Engine,
    EngineError,
    Parameters,
    PerThread,
    insert_settings,
    parameter_values,
)
from pipes.engine.ddl import create_database, quote_identifier

DEFAULT_DATABASE = "panes"


def settings_clause(settings: Mapping[str, Any] | None) -> str:
    """`` SETTINGS a = 'x', …`` for settings the host chooses (never request values)."""
    if not settings:
        return ""
    parts = []
    for name, value in settings.items():
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a setting name: {name!r}")
        text = str(value).replace("\\", "\\\\").replace("'", "\\'")
        parts.append(f"{name} = '{text}'")
    return "\nSETTINGS " + ", ".join(parts)


def _locked_by_another_process(folder: Path) -> bool:
    """Whether ``<folder>/status`` is flock-ed, as ClickHouse does while it owns the folder.

    Asked only after chDB refused to start (chDB reports "Cannot lock file" on stderr and
    raises a bare "Error initializing EmbeddedServer"); the probe lock is released at once."""
    try:
        handle = open(folder / "status", "rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _owner_pid(folder: Path) -> str | None:
    try:
        status = (folder / "status").read_text(errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("PID:"):
            return line.split(":", 1)[1].strip()
    return None


def _discard_partial_output(connection: Any) -> None:
    """Throw away what a failed query left behind on ``connection``.

    chDB (4.4) keeps the output a query wrote before it failed (a timeout, an error after some
    rows) and prepends it to the NEXT answer on the same connection: another request's rows in
    this one's CSV, or JSON that no longer parses. One throwaway query takes it (measured).
    """
    try:
        connection.query("SELECT 1", "TSV")
    except Exception:  # the connection is broken anyway; the next query will say so
        pass


class ChdbEngine(Engine):
    """chDB on ``data_path``; tables live in ``database`` (an Atomic database, made if missing).

    Share one instance per process; it opens one connection per thread that uses it and closes
    it when the thread ends. The first connection stays open until ``close()``, so that chDB does
    not shut down and restart whenever the last request thread ends.
    """

    def __init__(self, data_path: str | os.PathLike[str], *, database: str = DEFAULT_DATABASE) -> None:
        self.path = Path(data_path).absolute()
        self.database = database
        self._connections: PerThread[Any] = PerThread(self._connect, lambda connection: connection.close())
        self.path.mkdir(parents=True, exist_ok=True)
        # Connect now, so a folder owned by another process fails at start-up, not mid-request.
        first = self._connect(use_database=False)
        try:
            first.query(create_database(database), "TSV")
            first.query(f"USE {quote_identifier(database)}", "TSV")
        except Exception as error:
            first.close()
            raise EngineError.from_exception(error) from error
        self._connections.pin(first)

    @property
    def connection_count(self) -> int:
        """Open connections: the first one plus one per live thread that has queried."""
        return self._connections.count

    def _connect(self, *, use_database: bool = True) -> Any:
        # Imported here, not at the top: importing chDB costs ~200 MB RSS and a dozen native
        # threads, and page workers import this module without ever opening the engine.
        import chdb

        settings = "&".join(f"{name}={value}" for name, value in QUERY_SETTINGS.items())
        try:
            connection = chdb.connect(f"{self.path}?{settings}")
        except Exception as error:
            raise self._explain_connect_error(error) from error
        if use_database:
            connection.query(f"USE {quote_identifier(self.database)}", "TSV")
        return connection

    def _explain_connect_error(self, error: Exception) -> EngineError:
        message = str(error)
        if "Cannot lock file" in message or _locked_by_another_process(self.path):
            pid = _owner_pid(self.path)
            owner = f"process {pid}" if pid else "another process"
            return DataFolderInUse(
                f"The chDB data folder {self.path} is in use by {owner}. One process owns a "
                "folder: run the host as one process (with threads), or give each process "
                f"its own folder. ({message.strip()})"
            )
        if "already initialized with path" in message:
            return DataFolderInUse(
                f"This process already runs chDB on another data folder; a process opens one "
                f"folder at a time (close the other engine first). ({message.strip()})"
            )
        return EngineError.from_exception(error)

    def _run(self, sql: str | bytes, fmt: str, parameters: Parameters | None = None) -> bytes:
        connection = self._connections.get()
        try:
            result = connection.query(sql, fmt, params=parameter_values(parameters))
        except EngineError:
            raise
        except Exception as error:
            _discard_partial_output(connection)
            raise EngineError.from_exception(error) from error
        return result.bytes()

    def query_raw(
        self,
        sql: str,
        parameters: Parameters | None = None,
        *,
        fmt: str = "JSON",
        settings: Mapping[str, Any] | None = None,
    ) -> bytes:
        return self._run(sql.rstrip().rstrip(";") + settings_clause(settings), fmt, parameters)

    def command(self, sql: str, parameters: Parameters | None = None) -> None:
        self._run(sql, "TSV", parameters)

    def _insert_batch(
        self,
        table_sql: str,
        columns_sql: str,
        column_names: Sequence[str],
        data: bytes,
        batch_rows: int,
        fmt: str = "JSONCompactEachRow",
    ) -> None:
        if not fmt.isalnum():
            raise ValueError(f"not a ClickHouse format name: {fmt!r}")
        statement = (
            f"INSERT INTO {table_sql} ({columns_sql})"
            f"{settings_clause(insert_settings(batch_rows))}\nFORMAT {fmt}\n"
        )
        self._run(statement.encode() + data, "TSV")  # chDB takes bytes: no copy through str

    def close(self) -> None:
        """Closes every thread's connection; chDB shuts down with the last one."""
        self._connections.close_all()
