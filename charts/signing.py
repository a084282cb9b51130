"""Reading a workspace's signing key from the environment, by name, at the moment of use.

This is the only place in ``charts`` that touches a key. It is never stored, logged, rendered or
put in an error message; errors name the variable only.
"""
from __future__ import annotations

from lib.secrets import SecretFileError, read_secret

from .tokens import SigningKeyError, check_signing_key


def read_signing_key(variable: str) -> bytes:
    """The key held by ``variable`` (or by the file ``variable``_FILE names)."""
    try:
        value = read_secret(variable)
    except SecretFileError:
        raise SigningKeyError(f"The file named by {variable}_FILE cannot be read.") from None
    return check_signing_key(value, variable)
