"""parse_jsonpath: the jsonpath forms Tinybird documents, as steps the events module can walk."""
from __future__ import annotations

import pytest

from pipes.datafiles.jsonpath import EACH, JsonPathError, parse_jsonpath


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$.a", ("a",)),
        ("$.a.b", ("a", "b")),
        ("$.a[:]", ("a", EACH)),
        ("$.a[ : ].b", ("a", EACH, "b")),
        ("$.['x-y']", ("x-y",)),
        ("$['x y'].z", ("x y", "z")),
        ('$.["a.b"]', ("a.b",)),
        ("$.a[0]", ("a", 0)),
        ("$.user-agent", ("user-agent",)),
        ("$.['it\\'s']", ("it's",)),
    ],
)
def test_it_reads_each_documented_form(path: str, steps: tuple[object, ...]) -> None:
    assert parse_jsonpath(path) == steps


@pytest.mark.parametrize("path", ["", "a.b", "$.", "$..a", "$.a.", "$.a[x]", "$.a['b'", "$a", "$.a b"])
def test_it_refuses_anything_else(path: str) -> None:
    with pytest.raises(JsonPathError):
        parse_jsonpath(path)
