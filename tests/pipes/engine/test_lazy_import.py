"""A page worker never pays for chDB: importing the whole URL tree (every view, the host's API
included) leaves chDB unimported until the engine is opened."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
import django
django.setup()
import config.urls  # noqa: F401
from pipes.engine import runtime  # noqa: F401
print("chdb" in sys.modules)
"""


def test_loading_every_url_does_not_import_chdb() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "PANES_ENV_FILE": ""}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
