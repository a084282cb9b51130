"""The production static files storage: WhiteNoise's hashed and compressed files, with the
imports between Panes' ES modules rewritten to hashed names too.

Without the rewrite, `frame.js` (hashed, cached for a year) would import `./protocol.js` by its
plain name, which WhiteNoise can only cache briefly; and for a while after a deploy a browser could
run a new entry module against an old module it still holds.
"""
from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
