"""pipes.loading: rows from Python and files into the analytics database, atomically."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import connections

from pipes.loading import LoadError, infer_type, load_file, load_rows, parse_schema
from pipes.models import Datasource

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])


def table(name: str, order: str = "1") -> list[tuple]:
    with connections["analytics"].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name} ORDER BY {order}")
        return [tuple(row) for row in cursor.fetchall()]


def index_count(name: str) -> int:
    connection = connections["analytics"]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, name)
    return sum(1 for c in constraints.values() if c["index"] and not c["primary_key"])


def test_load_rows_stores_typed_values_and_records_the_datasource():
    result = load_rows(
        "sales",
        [("day", "Date"), ("company_id", "String"), ("amount", "Float"), ("n", "Int"), ("ok", "Boolean"), ("at", "DateTime")],
        [("2024-01-31", "acme", "1.5", "2", "true", "2024-01-31 12:00:00"), (date(2024, 2, 1), "globex", 2, 3, False, None)],
        indexes=[("company_id", "day")],
    )
    assert result.row_count == 2
    assert table("sales") == [
        (date(2024, 1, 31), "acme", 1.5, 2, True, datetime(2024, 1, 31, 12)),
        (date(2024, 2, 1), "globex", 2.0, 3, False, None),
    ]
    assert index_count("sales") == 1
    ds = Datasource.objects.get(name="sales")
    assert ds.row_count == 2 and ds.loaded_at is not None
    assert ds.schema == "day:Date,company_id:String,amount:Float,n:Int,ok:Boolean,at:DateTime"


def test_load_rows_accepts_mappings_and_streams_generators():
    rows = ({"n": i, "label": f"row {i}"} for i in range(12_000))
    assert load_rows("numbers", [{"name": "n", "type": "Int"}, {"name": "label", "type": "String"}], rows).row_count == 12_000
    assert table("numbers")[-1] == (11_999, "row 11999")


def test_bad_rows_are_all_reported_with_line_numbers_and_nothing_changes():
    load_rows("t", [("n", "Int")], [(1,), (2,)])
    with pytest.raises(LoadError) as caught:
        load_rows("t", [("n", "Int"), ("d", "Date")], [(1, "2024-01-01"), ("x", "2024-01-01"), (3, "2024-02-30"), (4,)])
    error = caught.value
    assert error.bad_rows == 3
    assert error.problems == [
        "line 2: column n: 'x' is not a valid Int",
        "line 3: column d: '2024-02-30' is not a valid Date",
        "line 4: expected 2 values, found 1",
    ]
    assert table("t") == [(1,), (2,)]  # the previous table, exactly
    assert Datasource.objects.get(name="t").schema == "n:Int"


def test_at_most_twenty_problems_are_kept_but_all_are_counted():
    with pytest.raises(LoadError) as caught:
        load_rows("t", [("n", "Int")], [("bad",)] * 50)
    assert caught.value.bad_rows == 50
    assert len(caught.value.problems) == 20
    assert "and 30 more" in str(caught.value)


def test_a_reload_replaces_the_table_and_its_indexes():
    load_rows("t", [("a", "Int"), ("b", "Int")], [(1, 2)], indexes=["a,b"])
    load_rows("t", [("a", "Int"), ("c", "String")], [(5, "x"), (6, "y")], indexes=["c", ("a",)])
    assert table("t") == [(5, "x"), (6, "y")]
    assert index_count("t") == 2
    assert Datasource.objects.get(name="t").row_count == 2


@pytest.mark.parametrize("name", ["1abc", "a b", "orders; DROP TABLE x", "a__b", "sqlite_master", "x" * 49])
def test_unsafe_names_are_refused(name):
    with pytest.raises(LoadError):
        load_rows(name, [("a", "Int")], [(1,)])


def test_bad_columns_and_indexes_are_refused():
    with pytest.raises(LoadError, match="not a SQL identifier"):
        load_rows("t", [("a-b", "Int")], [])
    with pytest.raises(LoadError, match="unknown type"):
        load_rows("t", [("a", "Decimal")], [])
    with pytest.raises(LoadError, match="Duplicate"):
        load_rows("t", [("a", "Int"), ("A", "String")], [])
    with pytest.raises(LoadError, match="unknown columns"):
        load_rows("t", [("a", "Int")], [], indexes=["b"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-2", ""], "Int"),
        (["1", "2.5"], "Float"),
        (["1e3"], "Float"),
        (["2024-01-31"], "Date"),
        (["2024-01-31 12:00:00", "2024-01-31T13:00:00Z"], "DateTime"),
        (["2024-01-31", "2024-01-31 12:00:00"], "DateTime"),
        (["true", "False"], "Boolean"),
        (["0", "1"], "Int"),
        (["01234"], "String"),
        (["2024-13-01"], "String"),
        (["abc", "1"], "String"),
        ([], "String"),
        ([True, False], "Boolean"),
        ([1, 2.5], "Float"),
    ],
)
def test_inference(values, expected):
    assert infer_type(values) == expected


def test_schema_syntax():
    assert [(c.name, c.type) for c in parse_schema("a:int, b:String")] == [("a", "Int"), ("b", "String")]
    with pytest.raises(LoadError):
        parse_schema("a")


def test_ndjson_files_load_with_inference(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_text('{"id": 1, "at": "2024-01-31 12:00:00", "ok": true}\n\n{"id": 2, "at": "2024-02-01 00:00:00", "ok": false, "tags": [1]}\n')
    result = load_file("events", path)
    assert result.schema == "id:Int,at:DateTime,ok:Boolean,tags:String"
    assert table("events") == [(1, datetime(2024, 1, 31, 12), True, None), (2, datetime(2024, 2, 1), False, "[1]")]
