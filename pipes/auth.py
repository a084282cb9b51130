"""Verifying a token exactly as Tinybird does, for the built-in host.

Three credentials are accepted:

- the workspace **admin token** itself (compared in constant time): reads every pipe with no
  fixed params, and is the only credential for the pipe listing;
- a **JWT** signed with that admin token: HS256 only, ``exp`` required and in the future,
  ``workspace_id`` equal to PIPES_WORKSPACE_ID, and a ``PIPES:READ`` scope whose resource is the
  pipe's name or id. Its ``fixed_params`` are applied over the query string by ``pipes.endpoint``.
  For ``/v0/events`` the JWT needs a ``DATASOURCES:APPEND`` scope (Tinybird's docs also spell it
  ``DATASOURCE:APPEND``) whose resource is the datasource's name; a READ scope never appends;
- a **static token** a datafile declares (``TOKEN "name" READ``), whose value the operator put in
  ``TB_TOKEN_<name>`` (``pipes.static_tokens``): the scopes its declarations give, no fixed params.

The admin token is read from the environment (the variable named by PIPES_ADMIN_TOKEN_ENV, or the
file named by ``<VAR>_FILE``) at the moment of use, and never appears in a message or a log. This
is the only module of ``pipes`` that touches it.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field

import jwt
from django.conf import settings

from lib.secrets import SecretFileError, read_secret

from . import catalogue, static_tokens

ALGORITHMS = ["HS256"]
SCOPE_TYPE = "PIPES:READ"
APPEND_SCOPE_TYPES = ("DATASOURCES:APPEND", "DATASOURCE:APPEND")
MIN_KEY_BYTES = 32
FIXED_PARAMS_MALFORMED = "the token's fixed_params are malformed"


class AuthError(Exception):
    """A token problem: the message is the reason given with the 403 (no key, no token)."""


class NotConfigured(Exception):
    """The built-in host has no usable admin token: every request gets a 503."""


@dataclass(frozen=True)
class Credential:
    """Who is asking: the admin token, or a verified JWT's claims."""

    is_admin: bool
    name: str  # the token's ``name``, or a fingerprint when it has none (rate limits count by it)
    scopes: tuple[dict, ...] = ()
    rps: int | None = None


@dataclass(frozen=True)
class Scope:
    """What a credential may do with one pipe."""

    resource: str
    fixed_params: dict = field(default_factory=dict)


ADMIN_SCOPE = Scope(resource="*")


def admin_token_problem() -> str | None:
    """Why the admin token is unusable, or None. Names the variable only."""
    variable = settings.PIPES_ADMIN_TOKEN_ENV
    try:
        key = read_admin_token()
    except NotConfigured as exc:
        return str(exc)
    if len(key) < MIN_KEY_BYTES:
        return f"The admin token in {variable} is shorter than {MIN_KEY_BYTES} bytes."
    return None


def read_admin_token() -> bytes:
    """The admin token, read now from the environment; NotConfigured if it is not set."""
    variable = settings.PIPES_ADMIN_TOKEN_ENV
    try:
        value = read_secret(variable)
    except SecretFileError:
        raise NotConfigured(f"The file named by {variable}_FILE cannot be read.") from None
    if not value:
        raise NotConfigured(f"The variable {variable} is not set.")
    return value.encode()


def usable_admin_token() -> bytes:
    """The admin token if it is long enough to sign with; NotConfigured otherwise."""
    key = read_admin_token()
    if len(key) < MIN_KEY_BYTES:
        # A short key can be brute-forced offline from any token: refuse to trust it at all.
        raise NotConfigured(f"The admin token is shorter than {MIN_KEY_BYTES} bytes.")
    return key


def authenticate(token: str | None) -> Credential:
    """The credential ``token`` stands for; AuthError (-> 403) or NotConfigured (-> 503)."""
    key = usable_admin_token()
    if not token:
        raise AuthError("no token: send Authorization: Bearer <token> or ?token=")
    if hmac.compare_digest(token.encode(), key):
        return Credential(is_admin=True, name="admin")
    try:
        claims = _decode(token, key)
    except AuthError:
        # Not a JWT of this workspace: a static token a datafile declares? Asked only now, so a
        # viewer's JWT never costs the environment reads.
        static = static_tokens.match(token, catalogue.current())
        if static is None:
            raise
        return Credential(is_admin=False, name=f"static:{static.name}", scopes=static.scopes)
    if claims.get("workspace_id") != settings.PIPES_WORKSPACE_ID:
        raise AuthError("the token is for another workspace")
    scopes = claims.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, dict) for s in scopes):
        raise AuthError("the token's scopes are malformed")
    name = claims.get("name")
    if not isinstance(name, str) or not name:
        name = "fp:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return Credential(is_admin=False, name=name, scopes=tuple(scopes), rps=_rps(claims))


def _decode(token: str, key: bytes) -> dict:
    try:
        return jwt.decode(token, key, algorithms=ALGORITHMS, options={"require": ["exp"]})
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired") from None
    except jwt.MissingRequiredClaimError:
        raise AuthError("the token has no exp claim") from None
    except jwt.InvalidAlgorithmError:
        raise AuthError("the token's algorithm is not allowed: HS256 only") from None
    except jwt.InvalidSignatureError:
        raise AuthError("the token's signature is invalid") from None
    except jwt.ImmatureSignatureError:
        raise AuthError("the token is not valid yet") from None
    except jwt.DecodeError:
        raise AuthError("the token is malformed") from None
    except jwt.InvalidTokenError:
        raise AuthError("the token is invalid") from None


def _rps(claims: dict) -> int | None:
    limits = claims.get("limits")
    if limits is None:
        return None
    if not isinstance(limits, dict):
        raise AuthError("the token's limits are malformed")
    rps = limits.get("rps")
    if rps is None:
        return None
    if isinstance(rps, bool) or not isinstance(rps, int) or rps < 1:
        raise AuthError("the token's limits.rps must be a positive whole number")
    return rps


def scope_for(credential: Credential, pipe_name: str, pipe_id: str | None) -> Scope:
    """The credential's scope for the pipe named ``pipe_name`` (id ``pipe_id`` if it exists).

    Fails closed: no matching scope, or two matching scopes that fix different values, is a 403.
    """
    if credential.is_admin:
        return ADMIN_SCOPE
    resources = {pipe_name} | ({pipe_id} if pipe_id else set())
    matching: list[Scope] = []
    for raw in credential.scopes:
        if raw.get("type") != SCOPE_TYPE or raw.get("resource") not in resources:
            continue
        matching.append(Scope(resource=raw["resource"], fixed_params=_fixed_params(raw)))
    if not matching:
        raise AuthError("the token has no PIPES:READ scope for this pipe")
    if any(s.fixed_params != matching[0].fixed_params for s in matching[1:]):
        raise AuthError("the token has conflicting scopes for this pipe")
    return matching[0]


def _fixed_params(raw: dict) -> dict:
    """A matching scope's ``fixed_params``: an object of strings, numbers and booleans.

    Only a scope without the key fixes nothing. ``[]``, ``0``, ``false``, ``""`` and ``null`` are
    malformed, not "no fixed params": read as empty, they let a tenant's token pick any tenant's
    rows through the query string. A null value is malformed too: binding NULL could widen an
    ``x IS NULL OR ...`` filter to every tenant's rows.
    """
    if "fixed_params" not in raw:
        return {}
    fixed = raw["fixed_params"]
    if not isinstance(fixed, dict):
        raise AuthError(FIXED_PARAMS_MALFORMED)
    for value in fixed.values():
        if value is None:
            raise AuthError(f"{FIXED_PARAMS_MALFORMED}: null is not a value")
        # bool is an int; NaN and Infinity are not JSON, though Python's parser accepts them.
        if not isinstance(value, (str, int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            raise AuthError(FIXED_PARAMS_MALFORMED)
    return fixed


def could_read(credential: Credential, segment: str) -> bool:
    """Whether the credential names ``segment`` (a pipe name or id from the URL) in a scope.

    Used before looking the pipe up, so that a token without a scope for it learns nothing about
    whether it exists.
    """
    if credential.is_admin:
        return True
    return any(s.get("type") == SCOPE_TYPE and s.get("resource") == segment for s in credential.scopes)


def may_append(credential: Credential, datasource_name: str) -> None:
    """Refuses (AuthError -> 403) unless the credential may append to the datasource named
    ``datasource_name``: the admin token, or a JWT with an APPEND scope naming it. Asked before the
    datasource is looked up, so a token without the scope learns nothing of what exists."""
    if credential.is_admin:
        return
    if not any(
        s.get("type") in APPEND_SCOPE_TYPES and s.get("resource") == datasource_name for s in credential.scopes
    ):
        raise AuthError("the token has no DATASOURCES:APPEND scope for this datasource")
