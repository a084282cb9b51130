"""The Tinybird frame watch's pure rules (static/charts/frame_watch.js) under Node's test runner:
when a frame that did not load counts as failed (tests/js/frame_watch.test.mjs)."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_frame_watch_rules_pass_under_node() -> None:
    assert "# pass 8" in node_test("frame_watch.test.mjs")
