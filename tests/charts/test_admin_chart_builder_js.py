"""The chart builder's pure rules (static/charts/admin/builder_rules.js) under Node's test runner."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_builders_pure_rules_pass_under_node() -> None:
    node_test("builder_rules.test.mjs")
