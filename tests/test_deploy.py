"""Production settings, each loaded in a fresh process exactly as the server would load them."""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HTTPS = {
    "HTTPS": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "BEHIND_HTTPS_PROXY": "true",
}


def production_env(tmp_path: Path, **overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PANES_ENV_FILE": "",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "panes.example.com",
            "DATA_DIR": str(tmp_path),
            "PANES_LOCAL_ADMIN_TOKEN": "p." + secrets.token_urlsafe(40),
        }
    )
    for name in ("HTTPS", "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SAMESITE"):
        env.pop(name, None)
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS_JSON = (
    "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in "
    "['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
    "'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', 'SECURE_CONTENT_TYPE_NOSNIFF']}))"
)


def settings_of(env: dict) -> dict:
    result = manage(env, "shell", "-c", SETTINGS_JSON)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_finds_nothing_with_https_settings(tmp_path) -> None:
    result = manage(production_env(tmp_path, **HTTPS), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr


def test_check_deploy_does_warn_without_them(tmp_path) -> None:
    """The test above would pass for a check that never warns: this one shows it can."""
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS


def test_https_settings_make_cookies_secure_and_http_only(tmp_path) -> None:
    values = settings_of(production_env(tmp_path, **HTTPS))
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_it_refuses_to_start_without_a_secret_key(tmp_path) -> None:
    result = manage(production_env(tmp_path, SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set."
    )


def test_the_wsgi_application_refuses_too(tmp_path) -> None:
    env = production_env(tmp_path, SECRET_KEY=None)
    result = subprocess.run([sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_samesite_none_is_available_for_cross_site_embedding_over_https(tmp_path) -> None:
    values = settings_of(production_env(tmp_path, SESSION_COOKIE_SAMESITE="None", **HTTPS))
    assert values["SESSION_COOKIE_SAMESITE"] == "None" and values["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("value, message", [
    ("None", "SESSION_COOKIE_SAMESITE=None needs HTTPS=true"),
    ("lax-ish", "SESSION_COOKIE_SAMESITE must be Lax, Strict or None."),
])
def test_a_samesite_value_browsers_would_drop_is_refused(tmp_path, value, message) -> None:
    result = manage(production_env(tmp_path, SESSION_COOKIE_SAMESITE=value), "check")
    assert result.returncode != 0
    assert message in result.stderr.strip().splitlines()[-1]


def readme_production_exports() -> dict[str, str]:
    """The variables of the `export` in the README's "Production deployment" example, as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production deployment", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    command = re.search(r"^export (.*?[^\\])$", block.replace("\\\n", " "), re.M | re.S)
    assert command, "no export line in the README's production example"
    pairs = [word.split("=", 1) for word in shlex.split(command.group(1).split("\n", 1)[0])]
    assert all(len(pair) == 2 for pair in pairs), pairs
    return dict(pairs)


def test_the_readmes_production_example_passes_check_deploy() -> None:
    """Exactly the README's variables, in a fresh process, with two departures, both needed:
    PANES_ENV_FILE="" so a developer's .env cannot add settings, and a random value wherever the
    README writes `...` for a secret the operator makes (SECRET_KEY, PANES_LOCAL_ADMIN_TOKEN).
    DATABASE_URL keeps its postgres:// value: `check --deploy` does not connect to the database."""
    exported = readme_production_exports()
    placeholders = [name for name, value in exported.items() if value == "..."]
    assert {"SECRET_KEY", "PANES_LOCAL_ADMIN_TOKEN"} <= set(placeholders)
    env = {name: secrets.token_urlsafe(50) if value == "..." else value for name, value in exported.items()}
    env.update({"PANES_ENV_FILE": "", "PATH": os.environ.get("PATH", "")})
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_readme_says_what_the_test_above_checks() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "`manage.py check --deploy` passes with no warnings with these settings" in readme
