"""The dashboard's PDF link (static/charts/exports.js) under Node's test runner: the page's
current query and the theme it shows."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_export_link_rules_pass_under_node() -> None:
    node_test("exports.test.mjs")
