"""static/charts/protocol.js under Node's test runner: the shared filter checks and embed.js's
spelling of the embed API."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_protocol_module() -> None:
    node_test("protocol.test.mjs")
