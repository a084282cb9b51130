"""The front end's pure ES modules under Node's test runner (tests/js/*.test.mjs), from pytest."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs node")


def node_test(name: str) -> str:
    """Runs ``tests/js/<name>`` and returns its TAP output; fails the test with Node's output when
    any of its tests fails."""
    assert NODE is not None
    # --experimental-detect-module: the static files are ES modules in a package without "type".
    result = subprocess.run(
        [NODE, "--experimental-detect-module", "--test", str(ROOT / "tests" / "js" / name)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    return result.stdout
