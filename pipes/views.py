"""The built-in host's API, at Tinybird's paths: ``/v0/pipes`` and ``/v0/pipes/<name>.<format>``.

Every response is JSON errors or data, CORS-open (``Access-Control-Allow-Origin: *``, the token
is the credential, never a cookie), ``Cache-Control: no-store``, and never a traceback. The
session is never touched, so no cookie is ever set here.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page

from . import catalogue, endpoint, query_api, throttle
from .auth import AuthError, Credential, NotConfigured, authenticate, could_read, scope_for
from .datafiles import Pipe
from .datafiles import Project
from .engine import EngineError, runtime

logger = logging.getLogger(__name__)

NO_ADMIN_TOKEN = "the built-in host has no admin token configured"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


Methods = tuple[str, ...]
GET_ONLY: Methods = ("GET", "HEAD")


def api(view: Callable[..., HttpResponse] | None = None, *, methods: Methods | Callable[..., Methods] = GET_ONLY) -> Any:
    """CORS preflight and headers, ``methods`` only (GET by default; a function of the request
    and URL kwargs when they depend on the resource), no-store, and every failure as a JSON
    error. Use as ``@api`` or ``@api(methods=...)``."""
    if view is None:
        return lambda inner: api(inner, methods=methods)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        accepted = methods(request, *args, **kwargs) if callable(methods) else methods
        allowed = ", ".join(m for m in (*accepted, "OPTIONS") if m != "HEAD")
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = allowed
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        elif request.method not in accepted:
            response = error(405, f"method {request.method} is not allowed: use {allowed.removesuffix(', OPTIONS')}")
            response["Allow"] = allowed
        else:
            response = _answer(view, request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _answer(view: Callable[..., HttpResponse], request: HttpRequest, *args, **kwargs) -> HttpResponse:
    try:
        return view(request, *args, **kwargs)
    except ApiError as exc:
        return error(exc.status, str(exc))
    except AuthError as exc:
        return error(403, str(exc))
    except endpoint.RequestError as exc:
        return JsonResponse(exc.payload, status=exc.status)
    except TooManyFieldsSent:
        return error(400, "too many query parameters")
    except SuspiciousOperation:  # Django refused to parse the request; it is the caller's fault
        return error(400, "the request is malformed")
    except NotConfigured as exc:
        logger.error("pipes: %s", exc)  # names the variable, never its value
        return error(503, NO_ADMIN_TOKEN)
    except endpoint.PipeMisconfigured as exc:
        logger.error("pipes: %s is misconfigured: %s", request.path, exc)
        return error(500, f"the pipe is misconfigured: {exc}")
    except EngineError as exc:
        logger.error("pipes: %s: ClickHouse is unavailable: %s", request.path, exc)
        return error(503, "the analytics engine is unavailable")
    except Exception:
        logger.exception("pipes: %s: unexpected error", request.path)
        return error(500, "internal error")


def token_from(request: HttpRequest) -> str | None:
    """The Bearer token of the Authorization header, else ``?token=``."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("use Authorization: Bearer <token>")
        return value.strip()
    if request.method == "POST" and "token" in request.POST:
        return request.POST.get("token")
    return request.GET.get("token")


def request_params(request: HttpRequest) -> dict[str, list[str]]:
    """The query string's params, and on POST the body's over them, as lists per key: a form, or
    the JSON object Tinybird's chart library (``@tinybirdco/charts``) POSTs once its URL passes
    2,048 characters (it keeps ``token`` in the query string)."""
    params = dict(request.GET.lists())
    if request.method == "POST":
        if request.content_type == "application/json":
            params.update(json_params(request.body))
        else:
            params.update(request.POST.lists())
    return params


def json_params(body: bytes) -> dict[str, list[str]]:
    """A JSON object as params: strings as they are, numbers and booleans as their JSON text, an
    array as a repeated key, null as absent."""
    try:
        given = json.loads(body or b"{}")
    except ValueError:  # UnicodeDecodeError included
        raise ApiError(400, "the body is not JSON: send the params as a JSON object") from None
    if not isinstance(given, dict):
        raise ApiError(400, "the body is not a JSON object of params")
    params: dict[str, list[str]] = {}
    for key, value in given.items():
        texts: list[str] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, (bool, int, float)):
                texts.append(json.dumps(item))
            elif item is not None:
                raise ApiError(400, f"param {key} must be a string, a number, a boolean or an array of them")
        params[key] = texts
    return params


@api
def pipe_list(request: HttpRequest) -> HttpResponse:
    credential = authenticate(token_from(request))
    if not credential.is_admin:
        raise AuthError("the pipe listing needs the workspace admin token")
    project = catalogue.current()
    deployed = [endpoint.describe(pipe) for pipe in project.pipes.values()] if project else []
    return JsonResponse({"pipes": sorted(deployed, key=lambda pipe: str(pipe["name"]))})


@api(methods=(*GET_ONLY, "POST"))  # POST: the form clients switch to for long query strings
@gzip_page  # rows compress ~5x; nothing from the request is echoed in a body, so BREACH has no probe
def pipe_data(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    credential = authenticate(token_from(request))
    if credential.rps and not throttle.allow(credential.name, credential.rps):
        response = error(429, f"rate limit exceeded: {credential.rps} requests per second")
        response["Retry-After"] = "1"
        return response
    project = catalogue.current()
    deployed = endpoint.endpoint_of(project, name)
    if project is None or deployed is None:
        # 404 only to a credential that names this pipe: others learn nothing of what exists.
        if could_read(credential, name):
            raise ApiError(404, f"pipe {name} does not exist")
        raise AuthError("the token has no PIPES:READ scope for this pipe")
    return _deployed_data(request, credential, project, deployed, fmt)


def _deployed_data(
    request: HttpRequest, credential: Credential, project: Project, pipe: Pipe, fmt: str
) -> HttpResponse:
    scope = scope_for(credential, pipe.name, endpoint.pipe_id(pipe.name))
    values = endpoint.request_values(request_params(request), scope.fixed_params)
    query = endpoint.compose(project, pipe, values)
    # ClickHouse's own JSON is Tinybird's body (meta, data, rows, statistics): passed through.
    body = endpoint.run_raw(runtime.engine(), query, fmt)
    return HttpResponse(body, content_type=endpoint.FORMATS[fmt][1])


@api(methods=(*GET_ONLY, "POST"))
@gzip_page
def sql(request: HttpRequest) -> HttpResponse:
    """Tinybird's Query API: SQL over the deployed datasources and pipes, admin token only."""
    body = request.body if request.method == "POST" else b""  # read first: the form parses from it
    credential = authenticate(token_from(request))
    if not credential.is_admin:
        raise AuthError("the Query API needs the workspace admin token")
    form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    params = request_params(request) if form else dict(request.GET.lists())
    wanted = query_api.parse(query_api.sql_text(params, request.method or "GET", body))
    query = query_api.compose(catalogue.current(), wanted, query_api.request_values(params))
    try:
        answer = runtime.engine().query_raw(
            endpoint.wrapped(query), query.parameters, fmt=wanted.fmt, settings=endpoint.limits()
        )
    except EngineError as exc:
        raise endpoint.query_error(endpoint.redacted(exc, query)) from None
    return HttpResponse(answer, content_type=query_api.OUTPUT_FORMATS[wanted.fmt])


@api
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    authenticate(token_from(request))  # a bad token gets its 403 first, whatever the path
    raise ApiError(404, "not found: read a pipe at /v0/pipes/<name>.json, .csv, .ndjson or .parquet")


# The Events API ---------------------------------------------------------------------------

from . import events as events_api  # noqa: E402
from .auth import may_append  # noqa: E402


def _events_token(request: HttpRequest) -> str | None:
    """The Bearer token, else ``?token=``. Never the form body: clients (``curl -d``) send
    NDJSON as a form, and parsing it as one would read the whole body past the 10 MB limit."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("use Authorization: Bearer <token>")
        return value.strip()
    return request.GET.get("token")


@api(methods=("POST",))
def events(request: HttpRequest) -> HttpResponse:
    """``POST /v0/events?name=<datasource>``: NDJSON (gzip allowed) appended to a deployed
    datasource. 202 with the counts; 200 with ``wait=true`` (the rows are written before either
    answer: there is no queue to wait for)."""
    credential = authenticate(_events_token(request))
    if credential.rps and not throttle.allow(credential.name, credential.rps):
        response = error(429, f"rate limit exceeded: {credential.rps} requests per second")
        # Tinybird's rate-limit headers: its Python SDK sleeps on them rather than retrying at once
        response["Retry-After"] = "1"
        response["X-RateLimit-Limit"] = str(credential.rps)
        response["X-RateLimit-Remaining"] = "0"
        response["X-RateLimit-Reset"] = "1"
        return response
    name = request.GET.get("name", "")
    if not name:
        raise ApiError(400, "name the datasource: /v0/events?name=<datasource>")
    if request.GET.get("format", "ndjson") not in ("ndjson", "json"):
        raise ApiError(400, "the Events API takes format=ndjson (one JSON object per line)")
    if request.GET.get("mode", "append") != "append":
        raise ApiError(400, "the Events API appends: mode=append")
    may_append(credential, name)
    project = catalogue.current()
    datasource = project.datasources.get(name) if project is not None else None
    if datasource is None:
        raise ApiError(404, f"datasource {name} does not exist")
    if "Content-Length" not in request.headers and "Transfer-Encoding" in request.headers:
        # WSGI reads no body without a length: a chunked body would be taken for an empty one.
        raise ApiError(411, "send the body with a Content-Length header")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise ApiError(400, "the Content-Length header is not a number") from None
    if declared > events_api.MAX_BODY_BYTES:
        raise ApiError(413, "the body is over 10 MB: send the events in several requests")
    try:
        body = events_api.read_body(request, encoding=request.headers.get("Content-Encoding", ""))
    except events_api.BodyTooLarge:
        raise ApiError(413, "the body is over 10 MB (decompressed): send the events in several requests") from None
    except events_api.BadBody as exc:
        raise ApiError(400, str(exc)) from None
    try:
        outcome = events_api.ingest(runtime.engine(), datasource, body)
    except events_api.BatchRefused as exc:
        logger.error("pipes: /v0/events?name=%s: %s", name, exc)
        raise ApiError(422, str(exc)) from None
    wait = request.GET.get("wait", "").lower() in ("true", "1")
    return JsonResponse(outcome.as_json(), status=200 if wait else 202)
