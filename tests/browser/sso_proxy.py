"""A tiny reverse proxy that plays the intranet's single sign-on gateway in browser tests.

It listens on 127.0.0.1:<port>, throws away any identity headers the client sent, adds its own
(the user and groups it was told to assert) and forwards to the Panes server while connecting
FROM 127.0.0.2. The Panes server under test trusts exactly 127.0.0.2, so identity only counts
when it came through the proxy; the browser's own connections (from 127.0.0.1) stay untrusted.

Standard library only::

    with SsoProxy(panes.port, user="alice", groups=["sales-acme"]) as proxy:
        page.goto(f"{proxy.origin}/")
        proxy.user = "bob"  # later requests are bob's

Status, headers (Set-Cookie included, each kept) and bodies pass through; absolute ``Location``
URLs that point at the upstream are rewritten to the proxy's origin; ``Host`` stays the proxy's
host:port, so Django's host and CSRF origin checks see the address the browser used.
"""
from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

SOURCE_ADDRESS = "127.0.0.2"
USER_HEADER = "X-Remote-User"
GROUPS_HEADER = "X-Remote-Groups"

# Hop-by-hop headers (RFC 9110 7.6.1) are never forwarded, either way.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


def _normal(name: str) -> str:
    """'X_Remote_User' and 'x-remote-user' are the same header to a WSGI server."""
    return name.strip().lower().replace("_", "-")


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SsoProxy:
    """A threaded reverse proxy to ``upstream_host:upstream_port`` asserting ``user`` and ``groups``.

    ``user=None`` sends no identity (an anonymous visitor). ``user``, ``groups`` and the header
    names may be changed while the proxy runs; each request reads them afresh.
    """

    def __init__(
        self,
        upstream_port: int,
        *,
        user: str | None = None,
        groups: Iterable[str] = (),
        upstream_host: str = "127.0.0.1",
        listen_host: str = "127.0.0.1",
        port: int | None = None,
        public_host: str = "localhost",
        source_address: str = SOURCE_ADDRESS,
        user_header: str = USER_HEADER,
        groups_header: str | None = GROUPS_HEADER,
        timeout: float = 30,
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.listen_host = listen_host
        self.port = port or _free_port(listen_host)
        self.public_host = public_host
        self.source_address = source_address
        self.user = user
        self.groups = list(groups)
        self.user_header = user_header
        self.groups_header = groups_header
        self.timeout = timeout
        self.requests: list[tuple[str, str]] = []  # (method, path) seen, for assertions
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- addresses ---------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        """Where the browser should go: http://localhost:<port> (an allowed host of the server)."""
        return f"http://{self.public_host}:{self.port}"

    @property
    def upstream_origins(self) -> set[str]:
        """Absolute URLs starting with these are the upstream's and are rewritten to ``origin``."""
        hosts = {self.upstream_host, "localhost", "127.0.0.1"}
        return {f"http://{host}:{self.upstream_port}" for host in hosts}

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SsoProxy:
        handler = type("_BoundHandler", (_ProxyHandler,), {"proxy": self})
        self._server = ThreadingHTTPServer((self.listen_host, self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sso-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SsoProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- rewriting ---------------------------------------------------------------------------
    def identity_headers(self) -> list[tuple[str, str]]:
        headers = []
        if self.user is not None:
            headers.append((self.user_header, self.user))
            if self.groups_header:
                headers.append((self.groups_header, ",".join(self.groups)))
        return headers

    def is_identity_header(self, name: str) -> bool:
        names = {_normal(USER_HEADER), _normal(GROUPS_HEADER), _normal(self.user_header)}
        if self.groups_header:
            names.add(_normal(self.groups_header))
        return _normal(name) in names

    def rewrite_location(self, location: str) -> str:
        parts = urlsplit(location)
        if parts.scheme and f"{parts.scheme}://{parts.netloc}" in self.upstream_origins:
            public = urlsplit(self.origin)
            return urlunsplit((public.scheme, public.netloc, parts.path, parts.query, parts.fragment))
        return location


class _ProxyHandler(BaseHTTPRequestHandler):
    proxy: SsoProxy  # set on the subclass bound to one proxy
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._forward()

    def do_HEAD(self) -> None:  # noqa: N802
        self._forward()

    def do_POST(self) -> None:  # noqa: N802
        self._forward()

    def do_PUT(self) -> None:  # noqa: N802
        self._forward()

    def do_PATCH(self) -> None:  # noqa: N802
        self._forward()

    def do_DELETE(self) -> None:  # noqa: N802
        self._forward()

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet in tests
        pass

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _forward(self) -> None:
        proxy = self.proxy
        proxy.requests.append((self.command, self.path))
        body = self._read_body()
        connection_tokens = {
            _normal(token) for token in (self.headers.get("Connection") or "").split(",") if token.strip()
        }
        headers: list[tuple[str, str]] = []
        for name, value in self.headers.items():
            key = _normal(name)
            if key in HOP_BY_HOP or key in connection_tokens or key == "content-length":
                continue
            if proxy.is_identity_header(name):
                continue  # the client never gets to say who it is
            headers.append((name, value))
        headers.extend(proxy.identity_headers())
        if body is not None:
            headers.append(("Content-Length", str(len(body))))

        upstream = http.client.HTTPConnection(
            proxy.upstream_host,
            proxy.upstream_port,
            timeout=proxy.timeout,
            source_address=(proxy.source_address, 0),
        )
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:  # Host among them: the proxy's host:port, as the browser sent it
                upstream.putheader(name, value)
            upstream.endheaders(body)
            response = upstream.getresponse()
            payload = response.read()
        except OSError as exc:
            self._bad_gateway(exc)
            return
        finally:
            upstream.close()

        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            key = _normal(name)
            if key in HOP_BY_HOP or key == "content-length":
                continue
            if key == "location":
                value = proxy.rewrite_location(value)
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _bad_gateway(self, exc: OSError) -> None:
        message = f"SSO proxy could not reach the upstream: {exc.__class__.__name__}".encode()
        self.send_response_only(502, "Bad Gateway")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(message)


def intranet_only(server, username: str) -> None:
    """``username`` signs on through the proxy only: no Panes password, as single sign-on
    requires by default (it never signs in an account that holds a password)."""
    server.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={username!r})\n"
        "user.set_unusable_password()\nuser.save()",
    )
