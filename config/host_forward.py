"""The pipe API (``/v0/…``) forwarded from the page workers to the built-in host's own process.

chDB lets one process own its data folder, so when gunicorn runs several page workers on
embedded chDB, the host runs in one process of its own on a unix socket (config/pipes_host.py)
and every page worker hands it the ``/v0/`` requests: ``forward_to_host`` wraps the WSGI
application of a page worker, ``trust_forwarded_client`` the host's.

What crosses the socket: the method, the raw path and query string, the body streamed as it
arrives (the host applies its own limits, e.g. 413 over 10 MB of events), the request headers
the API reads (``FORWARDED_HEADERS``), and the page worker's view of the client: its address in
``X-Forwarded-For`` and its URL scheme in ``X-Panes-Scheme``. Whatever a client sends in those
two headers is replaced, and the host believes them only from a unix-socket peer. The answer
comes back streamed, without hop-by-hop headers. One keep-alive connection per thread.
"""
from __future__ import annotations

import http.client
import json
import logging
import select
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

logger = logging.getLogger(__name__)

PREFIX = "/v0/"
# ClickHouse's max_execution_time ends a slow pipe query; this only stops waiting for a host that hangs.
TIMEOUT_SECONDS = 300
CHUNK_BYTES = 64 * 1024
CLIENT_HEADER = "X-Forwarded-For"
SCHEME_HEADER = "X-Panes-Scheme"
FORWARDED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Transfer-Encoding",
    "Accept",
    "Accept-Encoding",
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Host",
    "User-Agent",
    # Read by Django itself when BEHIND_HTTPS_PROXY: the host must decide as the page worker would.
    "X-Forwarded-Proto",
)
# RFC 9110 §7.6.1 hop-by-hop fields, and the two the page worker's gunicorn writes itself.
DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "server", "date"}
)
DOWN_MESSAGE = "the built-in host is not running"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def request_headers(environ: Environ) -> list[tuple[str, str]]:
    """The headers sent to the host: ``FORWARDED_HEADERS`` as the client sent them, then the
    client address and URL scheme as this worker saw them."""
    headers = []
    for name in FORWARDED_HEADERS:
        key = name.upper().replace("-", "_")
        value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
        if value:
            headers.append((name, value))
    headers.append((CLIENT_HEADER, environ.get("REMOTE_ADDR", "")))
    headers.append((SCHEME_HEADER, environ.get("wsgi.url_scheme", "http")))
    return headers


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The host's answer headers without the hop-by-hop ones."""
    return [(name, value) for name, value in headers if name.lower() not in DROPPED_RESPONSE_HEADERS]


def request_target(environ: Environ) -> str:
    """The path and query string as the client wrote them (gunicorn's RAW_URI), else rebuilt."""
    raw = environ.get("RAW_URI")
    if raw and raw.startswith("/"):
        return str(raw)
    from urllib.parse import quote

    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed by the host (readable means EOF here)."""
    if conn.sock is None:
        return True
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))


def _json_error(start_response: StartResponse, status: str, message: str) -> list[bytes]:
    body = json.dumps({"error": message}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Access-Control-Allow-Origin", "*"),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


class _Answer:
    """The host's response body, streamed; the connection is kept only once it is read to the end."""

    def __init__(self, forwarder: HostForwarder, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self.forwarder, self.conn, self.response = forwarder, conn, response
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.response.read(CHUNK_BYTES)
            if not chunk:
                self.done = True
                return
            yield chunk

    def close(self) -> None:
        if self.done and not self.response.will_close:
            self.forwarder.keep(self.conn)
        else:
            self.conn.close()


class HostForwarder:
    """The WSGI application of a page worker: ``/v0/…`` to the host on ``socket_path``, the rest to ``app``."""

    def __init__(self, app: WSGIApp, socket_path: str) -> None:
        self.app = app
        self.socket_path = socket_path
        self.local = threading.local()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).startswith(PREFIX):
            return self.app(environ, start_response)
        return self.forward(environ, start_response)

    def keep(self, conn: http.client.HTTPConnection) -> None:
        self.local.conn = conn

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's idle connection (and True), or a new one (and False)."""
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        self.local.conn = None
        if conn is not None and not _dropped(conn):
            return conn, True
        if conn is not None:
            conn.close()
        return UnixHTTPConnection(self.socket_path), False

    def forward(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        headers = request_headers(environ)
        names = {name for name, _ in headers}
        chunked = "Transfer-Encoding" in names and "Content-Length" not in names
        has_body = chunked or environ.get("CONTENT_LENGTH", "") not in ("", "0")
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                response = self._exchange(conn, environ, headers, chunked=chunked, has_body=has_body)
                break
            except (ConnectionRefusedError, FileNotFoundError):
                conn.close()
                return _json_error(start_response, "503 Service Unavailable", DOWN_MESSAGE)
            except TimeoutError:
                conn.close()
                return _json_error(start_response, "504 Gateway Timeout", f"the built-in host did not answer within {TIMEOUT_SECONDS} s")
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                # A kept connection the host closed just now: a request without a body can be sent again.
                if attempt == 1 and reused and not has_body:
                    continue
                logger.warning("pipes host: %s %s failed: %r", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), exc)
                return _json_error(start_response, "503 Service Unavailable", DOWN_MESSAGE)
        reason = response.reason or HTTPStatus(response.status).phrase
        start_response(f"{response.status} {reason}", response_headers(response.getheaders()))
        if environ.get("REQUEST_METHOD") == "HEAD":
            response.read()
        return _Answer(self, conn, response)

    def _exchange(
        self, conn: http.client.HTTPConnection, environ: Environ, headers: list[tuple[str, str]], *, chunked: bool, has_body: bool
    ) -> http.client.HTTPResponse:
        conn.putrequest(environ.get("REQUEST_METHOD", "GET"), request_target(environ), skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if chunked and name == "Transfer-Encoding":
                value = "chunked"  # the page worker's gunicorn already took the chunks apart
            conn.putheader(name, value)
        if not any(name == "Host" for name, _ in headers):
            conn.putheader("Host", "localhost")
        conn.endheaders()
        if has_body:
            try:
                self._send_body(conn, environ["wsgi.input"], chunked=chunked)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the host answered early (e.g. 413 before reading the body): read that answer
        return conn.getresponse()

    @staticmethod
    def _send_body(conn: http.client.HTTPConnection, body: Any, *, chunked: bool) -> None:
        while True:
            chunk = body.read(CHUNK_BYTES)
            if not chunk:
                break
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            conn.send(b"0\r\n\r\n")


def forward_to_host(app: WSGIApp, socket_path: str) -> WSGIApp:
    return HostForwarder(app, socket_path)


def trust_forwarded_client(app: WSGIApp) -> WSGIApp:
    """The host's WSGI application: a request from a unix-socket peer (a page worker; gunicorn
    gives it no address) takes its client address and URL scheme from the forwarded headers.
    From any other peer those headers change nothing."""

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("REMOTE_ADDR"):
            forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
            scheme = environ.get("HTTP_X_PANES_SCHEME", "")
            if forwarded:
                environ["REMOTE_ADDR"] = forwarded
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
        return app(environ, start_response)

    return application
