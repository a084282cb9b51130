"""Reading a workspace's signing key from the environment, by name, at the moment of use.

This is the only place in ``charts`` that touches a key. It is never stored, logged, rendered or
put in an error message; errors name the variable only.
"""
from __future__ import annotations

import os
from pathlib import Path

from .tokens import SigningKeyError, check_signing_key


def read_signing_key(variable: str) -> bytes:
    """The key held by ``variable`` (or by the file ``variable``_FILE names)."""
    value = os.environ.get(variable)
    if not value:
        path = os.environ.get(f"{variable}_FILE")
        if path:
            try:
                value = Path(path).read_text().strip()
            except OSError:
                raise SigningKeyError(f"The file named by {variable}_FILE cannot be read.") from None
    return check_signing_key(value, variable)
