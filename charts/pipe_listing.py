"""Reading a chart host server-side: a workspace's pipe listing (``GET /v0/pipes`` with its admin
token) and a pipe's columns (the ``meta`` of ``GET /v0/pipes/<pipe>.json`` with a tenant's token).

One HTTP client for Panes' server-side reads of a chart host, used by ``manage.py
check_isolation`` and the admin's chart builder. Keys and tokens go only where ``charts.routing``
allows, read at the moment of use; redirects are never followed (they would carry the token
elsewhere), and no message ever holds a key.

The built-in host (a blank API host) is reached at ``PANES_LOCAL_API_ORIGIN``, else at the
request's own origin, but only when the request's host is one the operator named in
``ALLOWED_HOSTS`` (not through ``*``) or a loopback address: a Host header is the client's to
write, and the admin token must not follow it.
"""
from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host
from django.test import Client

from . import isolation, routing, tokens
from .models import Workspace
from .signing import read_signing_key

LISTING_PATH = "/v0/pipes"
MAX_LISTING_BYTES = 50 * 1024 * 1024
# Only the head of a sample answer is read: its "meta" comes first (ClickHouse's JSON and Tinybird's).
MAX_SAMPLE_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 60
FAILURE_CACHE_SECONDS = 10
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class ListingUnavailable(Exception):
    """The pipe listing (or a sample) could not be read; the message never holds the key."""


class ListingRefused(ListingUnavailable):
    """The workspace's API host or signing-key variable is not one the operator allowed: the key
    is neither read nor sent."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token to wherever it points: refuse to follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        raise urllib.error.HTTPError(req.full_url, code, f"redirected ({code}); not followed", headers, fp)


def get_over_http(url: str, bearer: str, timeout: float, max_bytes: int = MAX_LISTING_BYTES) -> tuple[int, bytes]:
    """(status, body) of ``GET url`` with ``Authorization: Bearer``; ListingUnavailable when the
    host cannot be reached or redirects."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(max_bytes)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise ListingUnavailable(f"{url} redirects ({exc.code}); not followed, to keep the token from elsewhere") from None
        return exc.code, exc.read(64 * 1024) if exc.fp else b""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ListingUnavailable(f"{url} is unreachable ({reason})") from None


def get_in_process(key: str) -> tuple[int, bytes]:
    """The built-in host's listing through Django's own URL routing and middleware, as a request
    from outside would go (for commands, which have no request; a page process must not open
    chDB, so views go over HTTP)."""
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h.lstrip(".") and "*" not in h]
    client = Client(raise_request_exception=False, HTTP_HOST=hosts[0] if hosts else "localhost")
    response = client.get(LISTING_PATH, HTTP_AUTHORIZATION=f"Bearer {key}", secure=True)
    return response.status_code, response.content


def read_listing(workspace: Workspace, *, origin: str | None, timeout: float = TIMEOUT_SECONDS) -> dict[str, isolation.PipeInfo]:
    """The workspace's pipes by name and id. The built-in host is read at ``origin``, or
    in-process when it is None; a Tinybird workspace at its own API host."""
    document, where = read_document(workspace, origin=origin, timeout=timeout)
    try:
        return isolation.parse_listing(document)
    except isolation.ListingError as exc:
        raise ListingUnavailable(f"{where}: {exc}") from None


def admin_key(workspace: Workspace) -> str:
    """The workspace's admin token, read now, for a request to its own host. Checked before the
    key is read: a row pointing at a host or variable the operator did not allow never gets it
    (ListingRefused); an unset or short variable is ListingUnavailable."""
    problems = routing.workspace_problems(workspace.api_host, workspace.signing_key_env)
    if problems:
        raise ListingRefused("the key was not sent: " + " ".join(problems.values()))
    try:
        return read_signing_key(workspace.signing_key_env).decode()
    except tokens.SigningKeyError as exc:
        raise ListingUnavailable(str(exc)) from None


def read_document(workspace: Workspace, *, origin: str | None, timeout: float = TIMEOUT_SECONDS) -> tuple[Any, str]:
    """The ``GET /v0/pipes`` document as the host answered it, and where it was read."""
    try:
        key = admin_key(workspace)
    except ListingRefused as exc:
        raise ListingRefused(f"pipe listing not requested, {exc}") from None
    except ListingUnavailable as exc:
        raise ListingUnavailable(f"cannot read the pipe listing: {exc}") from None
    if workspace.api_host:
        origin = routing.normalise_origin(workspace.api_host)
    if origin is None:
        status, body = get_in_process(key)
        where = f"the built-in host ({LISTING_PATH}, in-process)"
    else:
        url = origin.rstrip("/") + LISTING_PATH
        status, body = get_over_http(url, key, timeout)
        where = url
    try:
        document = json.loads(body)
    except ValueError:
        raise ListingUnavailable(f"{where} answered {status} with a body that is not JSON") from None
    if status != 200:
        message = document.get("error") if isinstance(document, dict) else None
        # A host that echoes the request must not make us print the key.
        message = str(message)[:200].replace(key, "<admin token>") if message else ""
        raise ListingUnavailable(f"{where} answered {status}" + (f": {message}" if message else ""))
    return document, where


def builtin_origin(request: HttpRequest) -> str | None:
    """Where this server reaches its own built-in host, or None when the request's host may not
    be trusted with the admin token (set PANES_LOCAL_API_ORIGIN then)."""
    if settings.PANES_LOCAL_API_ORIGIN:
        return settings.PANES_LOCAL_API_ORIGIN.rstrip("/")
    host = request.get_host()
    domain, _port = split_domain_port(host)
    named = [h for h in settings.ALLOWED_HOSTS if h != "*"]
    if domain in LOOPBACK_HOSTS or f"[{domain}]" in LOOPBACK_HOSTS or (domain and validate_host(domain, named)):
        return f"{request.scheme}://{host}"
    return None


def origin_for(workspace: Workspace, request: HttpRequest) -> str:
    """The origin server-side reads of ``workspace`` go to; ListingUnavailable if there is none."""
    if workspace.api_host:
        if (problem := routing.route_problem(workspace.api_host, workspace.signing_key_env)) is not None:
            raise ListingRefused(problem)
        return routing.normalise_origin(workspace.api_host)
    origin = builtin_origin(request)
    if origin is None:
        raise ListingUnavailable(
            f"this address ({request.get_host()}) is not one of ALLOWED_HOSTS, so Panes does not send the built-in "
            "host's admin token there; set PANES_LOCAL_API_ORIGIN"
        )
    return origin


# --- the builder's view of a listing ---------------------------------------------------------------


@dataclass(frozen=True)
class PipeChoice:
    name: str
    id: str
    params: tuple[str, ...]  # every param the pipe or its nodes declare


def is_endpoint(raw: object) -> bool:
    """A listed pipe a chart can read: Tinybird marks endpoints with ``type`` "endpoint" or a
    non-empty ``endpoint``; a listing that says neither is taken at its word."""
    if not isinstance(raw, dict):
        return False
    if "type" not in raw and "endpoint" not in raw:
        return True
    return raw.get("type") == "endpoint" or bool(raw.get("endpoint"))


def choices_of(document: Any) -> list[PipeChoice]:
    """One choice per endpoint pipe, by name; ListingError if ``document`` is not a listing."""
    listing = isolation.parse_listing(document)
    endpoints = {raw["name"] for raw in document["pipes"] if is_endpoint(raw) and isinstance(raw.get("name"), str)}
    pipes = {pipe.name: pipe for pipe in listing.values() if pipe.name in endpoints}
    return [
        PipeChoice(
            name=pipe.name,
            id=pipe.id,
            params=tuple(dict.fromkeys([*(p.name for p in pipe.params), *(p.name for n in pipe.nodes for p in n.params)])),
        )
        for pipe in sorted(pipes.values(), key=lambda p: p.name)
    ]


def _cache_key(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"panes:builder:{kind}:{digest}"


def pipe_choices(workspace: Workspace, request: HttpRequest) -> list[PipeChoice]:
    """The workspace's pipes for the chart builder, cached briefly (failures too, shorter, so a
    host that is down does not cost a timeout on every keystroke). ListingUnavailable says why."""
    origin = origin_for(workspace, request)
    key = _cache_key("pipes", workspace.pk, workspace.api_host, workspace.signing_key_env, origin)
    cached = cache.get(key)
    if cached is None:
        try:
            document, where = read_document(workspace, origin=origin)
            try:
                cached = {"pipes": [vars(c) for c in choices_of(document)]}
            except isolation.ListingError as exc:
                raise ListingUnavailable(f"{where}: {exc}") from None
        except ListingUnavailable as exc:
            cached = {"error": str(exc)}
            cache.set(key, cached, FAILURE_CACHE_SECONDS)
        else:
            cache.set(key, cached, CACHE_SECONDS)
    if "error" in cached:
        raise ListingUnavailable(cached["error"])
    return [PipeChoice(name=c["name"], id=c["id"], params=tuple(c["params"])) for c in cached["pipes"]]


# --- a pipe's columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str


class PipeMissing(ListingUnavailable):
    """The host says the pipe does not exist (404)."""


_META_RE = re.compile(r'"meta"\s*:\s*\[')


def parse_meta(body: bytes) -> list[Column]:
    """The columns of a pipe's JSON answer, from its head alone (the rows may be cut off)."""
    text = body.decode("utf-8", "replace")
    found = _META_RE.search(text)
    if found is None:
        raise ValueError('the answer has no "meta"')
    meta, _end = json.JSONDecoder().raw_decode(text, found.end() - 1)
    if not isinstance(meta, list):
        raise ValueError('"meta" is not a list')
    return [Column(str(c["name"]), str(c.get("type", ""))) for c in meta if isinstance(c, dict) and "name" in c]


def base_type(type_name: str) -> str:
    """``LowCardinality(Nullable(String))`` -> ``String``."""
    text = type_name.strip()
    for _ in range(4):
        match = re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", text)
        if match is None:
            break
        text = match.group(1).strip()
    return text


def is_numeric(type_name: str) -> bool:
    return re.match(r"^(U?Int\d+|Float\d+|Decimal)", base_type(type_name)) is not None


def is_temporal(type_name: str) -> bool:
    return re.match(r"^(Date|Date32|DateTime|DateTime64)(\(|$)", base_type(type_name)) is not None


def is_text(type_name: str) -> bool:
    return re.match(r"^(String|FixedString|Enum8|Enum16|Enum)(\(|$)", base_type(type_name)) is not None


def column_defaults(columns: list[Column]) -> tuple[str, tuple[str, ...]]:
    """(index, categories): the first date or datetime column, else the first text column, as
    the index; every numeric column but the index as the categories."""
    index = next((c.name for c in columns if is_temporal(c.type)), "") or next(
        (c.name for c in columns if is_text(c.type)), ""
    )
    return index, tuple(c.name for c in columns if is_numeric(c.type) and c.name != index)


def sample_columns(
    origin: str, pipe: str, token: str, *, scope: Any, timeout: float = TIMEOUT_SECONDS
) -> list[Column]:
    """The pipe's columns as the token's tenant gets them, cached briefly per origin, pipe and
    ``scope`` (what the token allows: the same scope reads the same columns)."""
    key = _cache_key("columns", origin, pipe, scope)
    cached = cache.get(key)
    if cached is None:
        cached = _sample(origin, pipe, token, timeout)
        cache.set(key, cached, FAILURE_CACHE_SECONDS if "error" in cached else CACHE_SECONDS)
    if "missing" in cached:
        raise PipeMissing(cached["missing"])
    if "error" in cached:
        raise ListingUnavailable(cached["error"])
    return [Column(name, type_) for name, type_ in cached["columns"]]


def _sample(origin: str, pipe: str, token: str, timeout: float) -> dict[str, Any]:
    url = f"{origin.rstrip('/')}/v0/pipes/{pipe}.json"
    try:
        status, body = get_over_http(url, token, timeout, MAX_SAMPLE_BYTES)
    except ListingUnavailable as exc:
        return {"error": str(exc)}
    if status != 200:
        try:
            message = str(json.loads(body).get("error") or "")[:300].replace(token, "<token>")
        except (ValueError, AttributeError):
            message = ""
        text = f"the sample query answered {status}" + (f": {message}" if message else "")
        return {"missing": text} if status == 404 else {"error": text}
    try:
        return {"columns": [(c.name, c.type) for c in parse_meta(body)]}
    except ValueError as exc:
        return {"error": f"the sample query's answer cannot be read: {exc}"}
