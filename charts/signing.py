"""Reading a workspace's signing key from the environment, by name, at the moment of use.

This is the only place in ``charts`` that touches a key. It is never stored, logged, rendered or
put in an error message; errors name the variable only.
"""
from __future__ import annotations

from lib.secrets import SecretFileError, read_secret

from . import routing
from .tokens import SigningKeyError, check_signing_key


def read_signing_key(variable: str) -> bytes:
    """The key held by ``variable`` (or by the file ``variable``_FILE names).

    Only a variable the operator allowed is read: a workspace row naming SECRET_KEY (or any
    other) gets a SigningKeyError naming the variable, never that variable's value.
    """
    if (problem := routing.variable_problem(variable)) is not None:
        raise SigningKeyError(problem)
    try:
        value = read_secret(variable)
    except SecretFileError:
        raise SigningKeyError(f"The file named by {variable}_FILE cannot be read.") from None
    return check_signing_key(value, variable)
