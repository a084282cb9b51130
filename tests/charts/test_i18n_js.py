"""The scripts' translation helpers (static/charts/i18n.js) and the frame's locale-aware writers
(static/charts/chart_format.js) under Node's test runner: English without a catalogue, Django's
catalogue with Polish plurals when present, numbers, currencies and dates per language, date-times
in the viewer's time zone and pure dates never shifted (tests/js/i18n.test.mjs)."""
from __future__ import annotations

from tests.support.node import needs_node, node_test


@needs_node
def test_the_translation_and_locale_rules_pass_under_node() -> None:
    assert "# pass 9" in node_test("i18n.test.mjs")
