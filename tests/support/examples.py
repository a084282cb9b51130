"""Hypothesis example counts that follow the loaded profile (tests/conftest.py registers them).

A property that earns more examples than the profile's default says how many it gets in CI, and
gets the same share of the profile's count everywhere else: ``examples(2000)`` is 2,000 under
"ci" and 200 under the quick "dev" profile that ``make test-fast`` uses.
"""
from __future__ import annotations

from hypothesis import settings

CI_EXAMPLES = 100  # max_examples of the "ci" profile: hypothesis' own default
DEV_EXAMPLES = 10  # max_examples of the quick "dev" profile


def examples(ci_count: int) -> int:
    """``ci_count`` under the "ci" profile, scaled by the loaded profile's max_examples otherwise."""
    return max(1, ci_count * settings.default.max_examples // CI_EXAMPLES)
