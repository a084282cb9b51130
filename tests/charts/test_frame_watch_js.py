"""The Tinybird frame watch's pure rules (static/charts/frame_watch.js) under Node's test runner:
when a frame that did not load counts as failed (tests/js/frame_watch.test.mjs)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs node")
def test_the_frame_watch_rules_pass_under_node() -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--experimental-detect-module", "--test", str(ROOT / "tests/js/frame_watch.test.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# pass 8" in result.stdout and "# fail 0" in result.stdout
