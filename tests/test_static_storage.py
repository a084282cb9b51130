"""collectstatic with the production storage: every import between Panes' ES modules names a
hashed file that exists, so each module is cached immutably and a deploy never mixes versions."""
from __future__ import annotations

import json
import re

from django.core.management import call_command
from django.test import override_settings

IMPORT_RE = re.compile(r"""\bfrom\s*["'](\./[^"']+)["']""")


def test_module_imports_name_hashed_files(tmp_path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed = set(manifest.values())
    checked = 0
    for name in ("charts/frame.js", "charts/dashboard.js"):
        source = (tmp_path / manifest[name]).read_text()
        imports = IMPORT_RE.findall(source)
        assert imports, f"{name} imports nothing"
        for target in imports:
            path = "charts/" + target.removeprefix("./")
            assert path in hashed, f"{manifest[name]} imports {target}, not a hashed file"
            checked += 1
    assert checked >= 8
