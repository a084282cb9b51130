"""Settings for the test suite: the real settings, with test defaults set before they load."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ["PANES_ENV_FILE"] = ""  # never pick up a developer's .env
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("PANES_LOCAL_ADMIN_TOKEN", "test-local-admin-token-0123456789abcdef-XYZ")
os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = False  # switched on by the throttling tests themselves
# chDB gives each process one data folder, and a folder one process: each test process (every
# xdist worker) gets a folder of its own, made here rather than in the environment, which the
# workers would inherit from the controller.
if not os.environ.get("ANALYTICS_DATABASE_URL"):
    _engine_folder = tempfile.mkdtemp(prefix="panes-chdb-")
    atexit.register(shutil.rmtree, _engine_folder, ignore_errors=True)
    ANALYTICS_DATABASE_URL = f"chdb://{_engine_folder}"
    PIPES_PROJECT_DIR = Path(_engine_folder) / "tinybird"
# Tests that need no real chart host use the reserved example.com as a remote one; those that
# need a test signing-key variable or another host allow it with a settings override.
PANES_ALLOWED_API_HOSTS = [*PANES_ALLOWED_API_HOSTS, "https://api.example.com"]  # noqa: F405
