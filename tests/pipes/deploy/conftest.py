"""A deploy needs an engine and a project folder: each test gets a database of its own on the
process's chDB folder (a process opens one folder; databases keep tests apart) and a
PIPES_PROJECT_DIR of its own."""
from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from pipes.engine import ChdbEngine, ddl, runtime

FIXTURE = Path(__file__).resolve().parents[1] / "datafiles" / "project"

_databases = itertools.count()


@pytest.fixture
def engine() -> Iterator[ChdbEngine]:
    main = runtime.engine()
    assert isinstance(main, ChdbEngine)
    database = f"deploy_{os.getpid()}_{next(_databases)}"
    engine = ChdbEngine(main.path, database=database)
    yield engine
    engine.close()
    main.command(ddl.drop_database(database))


@pytest.fixture
def project_dir(tmp_path: Path, settings: Settings) -> Path:
    settings.PIPES_PROJECT_DIR = tmp_path / "tinybird"
    return settings.PIPES_PROJECT_DIR


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The parser's fixture project, its daily copy schedule made on-demand (the host runs no
    schedules; test_unsupported checks the original is refused)."""
    folder = tmp_path / "project"
    shutil.copytree(FIXTURE, folder)
    copy = folder / "copies" / "top_pages_daily.pipe"
    copy.write_text(copy.read_text().replace("COPY_SCHEDULE 10 0 * * *", "COPY_SCHEDULE @on-demand"))
    return folder


def tables(engine: ChdbEngine) -> dict[str, str]:
    """name -> engine of every table and view in the engine's database."""
    result = engine.query(
        "SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name",
        {"db": engine.database},
    )
    return {row["name"]: row["engine"] for row in result.data}


def databases(engine: ChdbEngine) -> set[str]:
    result = engine.query("SELECT name FROM system.databases")
    return {row["name"] for row in result.data}


EVENT_COLUMNS = ["timestamp", "tenant_id", "session_id", "payload", "user_agent", "tags", "revenue", "version"]


def event(timestamp: str, tenant: str, session: str, path: str, agent: str = "Firefox", revenue: float = 0.0) -> list[object]:
    return [timestamp, tenant, session, f'{{"pathname": "{path}"}}', agent, [], revenue, "1"]


def pages(engine: ChdbEngine, tenant: str = "acme") -> list[dict[str, object]]:
    return engine.query(
        "SELECT pathname, device, uniqMerge(visits) AS visits, countMerge(hits) AS hits, "
        "sumMerge(revenue) AS revenue FROM analytics_pages_mv WHERE tenant_id = {t:String} "
        "GROUP BY pathname, device ORDER BY pathname, device",
        {"t": tenant},
    ).data
