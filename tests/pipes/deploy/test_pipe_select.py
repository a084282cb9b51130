"""A materialized or copy node's SQL: earlier nodes as CTEs, template defaults as literals."""
from __future__ import annotations

from pathlib import Path

from pipes.datafiles import parse_pipe
from pipes.deploy import pipe_select


def select(text: str) -> str:
    pipe = parse_pipe(text, Path("p.pipe"))
    node = pipe.typed_node
    assert node is not None
    return pipe_select(pipe, node)


def test_earlier_nodes_it_reads_become_ctes_in_order() -> None:
    sql = select(
        "NODE a\nSQL >\n    SELECT 1 AS x FROM t\n\nNODE unused\nSQL >\n    SELECT 2 FROM t\n\n"
        "NODE b\nSQL >\n    SELECT x FROM a\n\nNODE c\nSQL >\n    SELECT x FROM b;\n\n"
        "TYPE MATERIALIZED\nDATASOURCE d\n"
    )
    assert sql == "WITH `a` AS (\nSELECT 1 AS x FROM t\n),\n`b` AS (\nSELECT x FROM a\n)\nSELECT x FROM b"


def test_a_final_node_with_its_own_with_clause_is_merged() -> None:
    sql = select(
        "NODE a\nSQL >\n    SELECT 1 AS x FROM t\n\n"
        "NODE b\nSQL >\n    WITH 2 AS two SELECT x * two AS x FROM a\n\nTYPE COPY\nTARGET_DATASOURCE d\n"
    )
    assert sql == "WITH `a` AS (\nSELECT 1 AS x FROM t\n),\n2 AS two SELECT x * two AS x FROM a"


def test_template_defaults_become_typed_literals() -> None:
    sql = select(
        "NODE a\nSQL >\n    %\n    SELECT * FROM t WHERE c = {{ String(c, \"it's\") }} "
        "AND n > {{ Int32(n, 5) }}\n\nTYPE MATERIALIZED\nDATASOURCE d\n"
    )
    assert sql == "SELECT * FROM t WHERE c = CAST('it\\'s' AS String) AND n > CAST(5 AS Int32)"
