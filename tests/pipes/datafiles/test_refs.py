"""scan_references: the names a node reads, found by a scanner that is not fooled by strings,
comments, template tags, table functions, ARRAY JOIN, extract(… FROM …) or CTEs."""
from __future__ import annotations

import pytest

from pipes.datafiles.refs import references, scan_references


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM events", ("events",)),
        ("select * from `events` as e final", ("events",)),
        ('SELECT * FROM "events"', ("events",)),
        ("SELECT * FROM a LEFT JOIN b ON a.x = b.x INNER JOIN c USING x", ("a", "b", "c")),
        ("SELECT * FROM a, b AS bb, c", ("a", "b", "c")),
        ("SELECT * FROM a GLOBAL ANY LEFT JOIN b USING x", ("a", "b")),
        ("SELECT * FROM (SELECT x FROM inner_node) WHERE y IN (SELECT y FROM other)", ("inner_node", "other")),
        ("SELECT * FROM a ARRAY JOIN tags LEFT ARRAY JOIN more", ("a",)),
        ("SELECT extract(YEAR FROM ts), trim(BOTH ' ' FROM s) FROM a", ("a",)),
        ("SELECT * FROM numbers(10) JOIN system.tables ON 1 JOIN db.t ON 1", ()),
        ("SELECT * FROM postgresql({{ tb_secret('pg') }}, 'orders'), b", ("b",)),
        ("SELECT 'FROM a', \"x\" FROM b -- FROM c\n/* FROM d */ # FROM e\n", ("b",)),
        ("SELECT 'it\\'s FROM a' FROM b", ("b",)),
        ("SELECT * FROM a {% if defined(x) %} JOIN b USING y {% end %} {# FROM c #}", ("a", "b")),
        ("SELECT {{ columns(cols, 'a FROM z') }} FROM a", ("a",)),
        ("WITH top AS (SELECT * FROM base) SELECT * FROM top JOIN base USING x", ("base",)),
        ("SELECT * FROM a UNION ALL SELECT * FROM a", ("a",)),
        ("SELECT * FROM", ()),
        ("SELECT 1 FROM 'unterminated", ()),
    ],
)
def test_it_finds_the_names_read(sql: str, expected: tuple[str, ...]) -> None:
    assert references(sql) == expected


def test_it_says_on_which_line_each_name_is_read() -> None:
    assert scan_references("SELECT *\nFROM a\n\nJOIN b ON 1\nJOIN a ON 1") == [("a", 1), ("b", 3)]
