"""Create or complete the git-ignored .env with fresh random secrets for a local run.

Existing values are kept; only missing variables are added. Prints the names it added, never the
values.

DEBUG stays off, so even the demo shows Panes' own 404, 403 and 500 pages, never Django's
technical ones; static files are then served by WhiteNoise straight from the source folders, with
no ``collectstatic`` step.
"""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

DEFAULTS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    # The built-in pipe host's admin token: the demo workspace signs its JWTs with it.
    "PANES_LOCAL_ADMIN_TOKEN": lambda: "p." + secrets.token_urlsafe(48),
    "WHITENOISE_USE_FINDERS": lambda: "true",
    "STATICFILES_BACKEND": lambda: "django.contrib.staticfiles.storage.StaticFilesStorage",
}
TRUE = {"1", "true", "yes", "on", "y", "t"}


def main(path: Path) -> None:
    lines = path.read_text().splitlines() if path.exists() else []
    values = {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in lines if "=" in line and not line.lstrip().startswith("#"))
    }
    added = [name for name in DEFAULTS if name not in values]
    if added:
        lines += [f"{name}={DEFAULTS[name]()}" for name in added]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        print(f"{path.name}: added {', '.join(added)}")
    if values.get("DEBUG", "").lower() in TRUE:
        # Written by earlier versions of this script; the operator may also want it, so it stays.
        print(f"{path.name}: DEBUG is on, so errors show Django's technical pages; remove the line for Panes' own.")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".env"))
