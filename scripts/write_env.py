"""Create or complete the git-ignored .env with fresh random secrets for a local run.

Existing values are kept; only missing variables are added. Prints the names it added, never the
values.
"""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

DEFAULTS = {
    "DEBUG": lambda: "true",
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    # The built-in pipe host's admin token: the demo workspace signs its JWTs with it.
    "PANES_LOCAL_ADMIN_TOKEN": lambda: "p." + secrets.token_urlsafe(48),
}


def main(path: Path) -> None:
    lines = path.read_text().splitlines() if path.exists() else []
    present = {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}
    added = [name for name in DEFAULTS if name not in present]
    if added:
        lines += [f"{name}={DEFAULTS[name]()}" for name in added]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        print(f"{path.name}: added {', '.join(added)}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".env"))
