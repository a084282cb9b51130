"""Panes' own 404, 403 and 500 pages, under the settings `make run` writes too (DEBUG off there:
no technical page in the demo), with static files still served and on any port."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.defaults import permission_denied

from tests.support.liveserver import ROOT

PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.test import Client
    client = Client(HTTP_HOST="127.0.0.1:8765")
    pages = {
        "404": client.get("/no-such-page/"),
        "csrf": Client(HTTP_HOST="localhost:9", enforce_csrf_checks=True).post("/login/", {"username": "x"}),
        "static": client.get("/static/charts/panes.css"),
    }
    print(json.dumps({
        "debug": settings.DEBUG,
        **{name: [r.status_code, b"".join(r).decode(errors="replace")[:4000]] for name, r in pages.items()},
    }))
    """
)


def _run_with_make_runs_env(tmp_path: Path) -> dict:
    env_file = tmp_path / ".env"
    subprocess.run([sys.executable, "scripts/write_env.py", str(env_file)], cwd=ROOT, check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY", "WHITENOISE", "STATICFILES", "DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"))}
    env.update(PANES_ENV_FILE=str(env_file), DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_make_runs_env_shows_panes_pages_and_still_serves_static_files(tmp_path: Path) -> None:
    result = _run_with_make_runs_env(tmp_path)
    assert result["debug"] is False
    status, html = result["404"]
    assert status == 404
    assert "Page not found" in html and 'class="brand"' in html
    assert "Using the URLconf" not in html and "technical" not in html.lower()
    status, html = result["csrf"]
    assert status == 403 and "This page has expired" in html and "CSRF verification failed" not in html
    status, css = result["static"]
    assert status == 200 and css.startswith("/* Panes:")


def test_write_env_no_longer_turns_debug_on_and_keeps_an_operators_choice(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=mine\n")
    out = subprocess.run(
        [sys.executable, "scripts/write_env.py", str(env_file)], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    text = env_file.read_text()
    assert "DEBUG=true" in text and "SECRET_KEY=mine" in text and "WHITENOISE_USE_FINDERS=true" in text
    assert "DEBUG is on" in out and "mine" not in out
    fresh = tmp_path / "fresh.env"
    subprocess.run([sys.executable, "scripts/write_env.py", str(fresh)], cwd=ROOT, check=True, capture_output=True)
    assert "DEBUG" not in fresh.read_text()


def test_the_403_page_is_panes_own(rf: RequestFactory, alice) -> None:
    request = rf.get("/admin/")
    request.user = alice
    response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in html and 'class="brand"' in html and "Back to dashboards" in html
