"""One line -> one flat row, without ClickHouse: the jsonpaths as pipes.datafiles parses them."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles import parse_datasource
from pipes.datafiles.jsonpath import parse_jsonpath
from pipes.events import Rejected, extract, fields_of, has_long_number, transform

SCHEMA = """SCHEMA >
    `a` String `json:$.a.b`,
    `first` Int32 `json:$.list[0]`,
    `last` Nullable(Int32) `json:$.list[-1]`,
    `dash` String `json:$.['x-y']` DEFAULT '',
    `tags` Array(String) `json:$.items[:].tag`,
    `deep` Array(Int64) `json:$.groups[:].ids[:]`,
    `big` Int64 `json:$.big` DEFAULT 0
"""


@pytest.fixture
def fields():
    return fields_of(parse_datasource(SCHEMA, Path("t.datasource")))


def test_paths_reach_nested_keys_indexes_quoted_keys_and_arrays(fields):
    line = (
        b'{"a": {"b": "x"}, "list": [1, 2, 3], "x-y": "dash", "items": [{"tag": "p"}, {"no": 1}, {"tag": "q"}],'
        b' "groups": [{"ids": [1, 2]}, {"ids": [3]}], "big": 9007199254740993}'
    )
    assert transform(line, fields) == {
        "a": "x", "first": 1, "last": 3, "dash": "dash", "tags": ["p", "q"], "deep": [[1, 2], [3]], "big": 9007199254740993,
    }


def test_missing_values_are_left_to_clickhouse_defaults(fields):
    assert transform(b'{"a": {"b": "x"}, "list": [5]}', fields) == {"a": "x", "first": 5, "last": 5}
    assert transform(b'{"a": {"b": "x"}, "list": [5], "big": null, "items": "no list"}', fields) == {"a": "x", "first": 5, "last": 5}


def test_a_nullable_column_keeps_an_explicit_null(fields):
    row = transform(b'{"a": {"b": "x"}, "list": [5, null]}', fields)
    assert row == {"a": "x", "first": 5, "last": None}


def test_a_required_value_under_a_scalar_is_missing(fields):
    result = transform(b'{"a": "flat", "list": [1]}', fields)
    assert isinstance(result, Rejected)
    assert result.columns == ["a"]


def test_extract_walks_parsed_paths():
    assert extract({"a": [{"b": 1}, {"b": 2}, 3]}, parse_jsonpath("$.a[:].b")) == [1, 2]
    assert extract({"a": {"b c": 1}}, parse_jsonpath("$.a['b c']")) == 1
    assert extract([1, 2], (5,)) is extract({}, ("nope",))  # the same "missing" marker


# orjson (the fast reader) takes an integer past 64 bits for a float; such lines are read by json.
LONG_SCHEMA = """SCHEMA >
    `id` UInt128 `json:$.id`,
    `label` String `json:$.label`,
    `ids` Array(UInt256) `json:$.ids`
"""
HUGE = 2**100 + 1


@pytest.mark.parametrize("careful", [True, False])
def test_an_integer_past_64_bits_keeps_every_digit(careful: bool) -> None:
    fields = fields_of(parse_datasource(LONG_SCHEMA, Path("t.datasource")))
    line = f'{{"id": {HUGE}, "label": {HUGE}, "ids": [{HUGE}, 1]}}'.encode()
    assert has_long_number(line)
    if careful:
        assert transform(line, fields) == {"id": HUGE, "label": HUGE, "ids": [HUGE, 1]}
    else:  # the body was checked once and held no long number: only then is the check skipped
        assert transform(line, fields, careful=False) != {"id": HUGE, "label": HUGE, "ids": [HUGE, 1]}


def test_has_long_number_sees_a_run_of_20_digits_anywhere() -> None:
    assert not has_long_number(b'{"a": 1844674407370955161, "d": "2026-01-01", "f": 0.1234567890123456789}')
    assert has_long_number(b'{"a": 18446744073709551616}')
    assert has_long_number(b'{"a": "12345678901234567890"}')  # in a string too: json reads it the same
    assert has_long_number(b'{"a": 1}\n{"b": 99999999999999999999}')


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"NaN", b"Infinity"])
def test_a_number_json_cannot_hold_is_not_valid_json(number: bytes) -> None:
    fields = fields_of(parse_datasource(LONG_SCHEMA, Path("t.datasource")))
    result = transform(b'{"id": 1, "label": "x", "ids": [], "f": ' + number + b"}", fields)
    assert isinstance(result, Rejected)
    assert result.errors[0].startswith("the line is not valid JSON")
