"""The dashboard page's pure state rules (static/charts/page_state.js) under Node's test runner:
the address, presets, chips, cross-filter toggling and what each frame and the drill panel get."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_page_state_rules_pass_under_node() -> None:
    node_test("page_state.test.mjs")
