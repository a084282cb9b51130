"""What ``{{ tb_secret('name') }}`` (and ``tb_var``) reads: the variable ``TB_SECRET_<name>``.

Tinybird keeps a workspace's secrets in the workspace; the built-in host keeps them in its
environment, under one prefix, so that a pipe can reach only what the operator put there for
pipes. A template may name any string, so the name is never mapped onto an arbitrary variable:
``tb_secret('SECRET_KEY')`` reads ``TB_SECRET_SECRET_KEY``, never ``SECRET_KEY``, and no
variable Panes' settings read starts with the prefix. Names are letters, digits and ``_``.
The host's admin token and the signing-key variables are refused even if an operator named one
of them ``TB_SECRET_…``.

The value comes from ``lib.secrets.read_secret``: the variable, else the file named by
``TB_SECRET_<name>_FILE``, read at the moment of use. It is bound as a query parameter, never
written into SQL, and redacted from ClickHouse's error messages (``pipes.endpoint``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings

from lib.secrets import read_secret

PREFIX = "TB_SECRET_"
NAME_RE = re.compile(r"[A-Za-z0-9_]{1,128}")


def variable_for(name: str) -> str | None:
    """The environment variable that holds the secret ``name``, or None when no variable may."""
    if not NAME_RE.fullmatch(name):
        return None
    variable = PREFIX + name
    refused = {settings.PIPES_ADMIN_TOKEN_ENV, *getattr(settings, "PANES_SIGNING_KEY_VARIABLES", ())}
    if variable in refused or variable.removesuffix("_FILE") in refused:
        return None
    return variable


def lookup(name: str) -> str | None:
    """The secret ``name`` for a template, or None (the template then says "Cannot access
    secret"). SecretFileError (naming the variable, never the value) if its file is unreadable."""
    variable = variable_for(name)
    return read_secret(variable) if variable is not None else None


MARK = "[secret]"
SHORTEST_REDACTABLE = 6
WITHHELD = "the message is withheld: the query binds a secret"


def redact(message: str, values: Iterable[object]) -> str:
    """``message`` (ClickHouse's, which writes bound values into its text: "In scope SELECT
    toInt32('<value>')") without the secret ``values``, as they are and as ClickHouse quotes
    them. A secret too short to replace without mangling the message is not searched for: the
    whole message is withheld."""
    texts = [str(value) for value in values if value is not None]
    for text in sorted(texts, key=len, reverse=True):
        if len(text) < SHORTEST_REDACTABLE:
            return WITHHELD
        quoted = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
        for form in sorted({text, quoted}, key=len, reverse=True):
            message = message.replace(form, MARK)
    return message
