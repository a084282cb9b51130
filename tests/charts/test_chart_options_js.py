"""The chart frame's pure ECharts option builders (static/charts/chart_options.js): every chart type,
the comparison series, the KPI delta and the keyboard walk, under Node's test runner."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_frame_chart_options_rules_pass_under_node() -> None:
    node_test("chart_options.test.mjs")
