"""pipes.engine.runtime: one engine per process, on the folder the settings name, opened lazily."""
from __future__ import annotations

from django.conf import settings

from pipes.engine import ChdbEngine, runtime


def test_the_engine_is_one_per_process_on_the_configured_folder() -> None:
    engine = runtime.engine()
    assert engine is runtime.engine()
    assert isinstance(engine, ChdbEngine)
    assert str(engine.path) == settings.ANALYTICS_DATABASE_URL.removeprefix("chdb://")
    assert engine.query("SELECT 1 + {x:UInt8} AS two", {"x": 1}).data == [{"two": 2}]


def test_it_shares_the_folder_with_other_engines_of_the_process(chdb_engine) -> None:
    assert runtime.engine().query("SELECT 1 AS one").data == [{"one": 1}]
    assert chdb_engine.query("SELECT 2 AS two").data == [{"two": 2}]
