"""`manage.py load_datasource NAME FILE`."""
from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from pipes.models import Datasource

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])

CSV = """date,company_id,amount,quantity,paid,code
2024-01-01,acme,10.5,1,true,007
2024-01-02,"globex, inc",20,2,false,008
"""


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_datasource", *args, stdout=out)
    return out.getvalue()


def rows(name: str) -> list[tuple]:
    with connections["analytics"].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name} ORDER BY 1")
        return [tuple(r) for r in cursor.fetchall()]


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_it_infers_the_schema_of_a_csv_file(tmp_path):
    output = load("orders", write(tmp_path, "orders.csv", CSV))
    assert "Loaded 2 rows into orders" in output
    assert "Schema: date:Date,company_id:String,amount:Float,quantity:Int,paid:Boolean,code:String" in output
    assert rows("orders") == [
        (date(2024, 1, 1), "acme", 10.5, 1, True, "007"),
        (date(2024, 1, 2), "globex, inc", 20.0, 2, False, "008"),
    ]
    assert Datasource.objects.get(name="orders").row_count == 2


def test_it_uses_a_declared_schema(tmp_path):
    schema = "date:String,company_id:String,amount:Float,quantity:Float,paid:String,code:Int"
    load("orders", write(tmp_path, "orders.csv", CSV), "--schema", schema, "--index", "company_id,date")
    assert rows("orders")[0] == ("2024-01-01", "acme", 10.5, 1.0, "true", 7)
    assert Datasource.objects.get(name="orders").schema == schema


def test_a_schema_that_does_not_match_the_header_is_refused(tmp_path):
    with pytest.raises(CommandError, match="not in the header: region"):
        load("orders", write(tmp_path, "o.csv", "a,b\n1,2\n"), "--schema", "a:Int,b:Int,region:String")


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path):
    text = "id,amount\n1,10\nx,20\n3,\n4,abc\n5,5,5\n"
    with pytest.raises(CommandError) as caught:
        load("t", write(tmp_path, "t.csv", text), "--schema", "id:Int,amount:Float")
    message = str(caught.value)
    assert "3 bad rows in t.csv" in message
    assert "line 3: column id: 'x' is not a valid Int" in message
    assert "line 5: column amount: 'abc' is not a valid Float" in message
    assert "line 6: expected 2 fields, found 3" in message
    assert "line 4" not in message  # an empty Float is NULL, not an error


def test_a_failed_load_leaves_the_previous_table_intact(tmp_path):
    load("orders", write(tmp_path, "good.csv", CSV))
    before = rows("orders")
    loaded_at = Datasource.objects.get(name="orders").loaded_at
    bad = CSV + "2024-01-03,acme,not-a-number,3,true,009\n"
    with pytest.raises(CommandError, match="line 4"):
        load("orders", write(tmp_path, "bad.csv", bad), "--schema", "date:Date,company_id:String,amount:Float,quantity:Int,paid:Boolean,code:String")
    assert rows("orders") == before
    assert Datasource.objects.get(name="orders").loaded_at == loaded_at
    with connections["analytics"].cursor() as cursor:
        tables = connections["analytics"].introspection.table_names(cursor)
    assert [t for t in tables if "__load" in t] == []


def test_ndjson_bad_lines_are_reported(tmp_path):
    text = '{"id": 1}\n{"id": 2\n[1]\n{"id": "x"}\n'
    with pytest.raises(CommandError) as caught:
        load("t", write(tmp_path, "t.ndjson", text), "--schema", "id:Int")
    message = str(caught.value)
    assert "line 2: not JSON" in message
    assert "line 3: not a JSON object" in message
    assert "line 4: column id: 'x' is not a valid Int" in message


def test_the_format_can_be_given_explicitly(tmp_path):
    load("t", write(tmp_path, "data.txt", '{"id": 1}\n'), "--format", "ndjson")
    assert rows("t") == [(1,)]


def test_an_unknown_extension_without_format_is_refused(tmp_path):
    with pytest.raises(CommandError, match="--format"):
        load("t", write(tmp_path, "data.txt", "id\n1\n"))


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        load("t", str(tmp_path / "nope.csv"))


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"id\n1\n\xff\xfe\n")
    with pytest.raises(CommandError, match="not UTF-8"):
        load("t", str(path))
