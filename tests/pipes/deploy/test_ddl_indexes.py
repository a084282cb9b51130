"""INDEXES become data-skipping indexes in CREATE TABLE; never dropped silently."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles.model import Column, DatafileError, Datasource, Engine, Index, Origin
from pipes.engine import ddl

ORIGIN = Origin(Path("datasources/events.datasource"), 1)


def events(engine: Engine | None = None) -> Datasource:
    return Datasource(
        name="events",
        origin=ORIGIN,
        columns=(Column("tenant_id", "String", ORIGIN.at(2)), Column("path", "String", ORIGIN.at(3))),
        engine=engine or Engine(sorting_key="tenant_id"),
        indexes=(Index("path_bf", "path", "bloom_filter(0.01)", 4, ORIGIN.at(7)),),
    )


def test_it_writes_each_index_after_the_columns() -> None:
    sql = ddl.create_table(events())
    assert "    `path` String,\n    INDEX `path_bf` path TYPE bloom_filter(0.01) GRANULARITY 4\n)" in sql


def test_it_refuses_indexes_on_a_null_table_naming_the_line() -> None:
    with pytest.raises(DatafileError, match=r"events.datasource:8: ENGINE Null takes no INDEXES"):
        ddl.create_table(events(Engine(name="Null")))
