"""static/charts/periods.js under Node's test runner: the presets and comparisons pass the cases
of tests/fixtures/periods.json that charts/periods.py passes, in several time zones."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_periods_module_passes_the_shared_cases() -> None:
    node_test("periods.test.mjs")
