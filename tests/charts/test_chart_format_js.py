"""The frame's pure rules (static/charts/chart_format.js) under Node's test runner: number
writing, CSV and its file name, the KPI empty state, pie legend and bar label layouts, and the
columns a chart reads (tests/js/)."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_pure_frame_rules_pass_under_node() -> None:
    node_test("chart_format.test.mjs")
