"""The chart frame's transport (static/charts/transport.js): answers, backoff, token requests and
refreshes that never stack, under Node's test runner with a stub fetch."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_frame_transport_rules_pass_under_node() -> None:
    node_test("transport.test.mjs")
