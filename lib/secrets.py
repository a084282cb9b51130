"""Reading a secret from the environment: ``NAME``, or the file named by ``NAME_FILE``.

``NAME_FILE`` is how Docker and Kubernetes mount secrets. The secret is read at the moment of
use, so a rotated file takes effect without a restart. Errors name the variable, never the
value (nor the path, which may say more than it should).
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SecretFileError", "read_secret"]


class SecretFileError(Exception):
    """``NAME_FILE`` names a file that cannot be read as text."""

    def __init__(self, variable: str, reason: str) -> None:
        self.variable = variable  # NAME_FILE
        self.reason = reason  # e.g. "No such file or directory"; never the contents or the path
        super().__init__(f"The file named by {variable} cannot be read: {reason}.")


def read_secret(name: str) -> str | None:
    """The secret in ``name``, else in the file ``name``_FILE names (stripped), else None.

    An empty ``name`` or a blank file counts as unset. SecretFileError if ``name``_FILE is set but
    cannot be read.
    """
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if not path:
        return None
    try:
        # Strip: files written by `echo` or editors end with a newline that is not part of the key.
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretFileError(f"{name}_FILE", exc.strerror or type(exc).__name__) from None
    except UnicodeDecodeError:
        raise SecretFileError(f"{name}_FILE", "it is not UTF-8 text") from None
    return value or None
