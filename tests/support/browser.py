"""Debian's chromium as the browser tests and the browser benchmark launch it, and a throwaway
'intranet' web server that frames Panes from another origin."""
from __future__ import annotations

import socket
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class ReservedPort(int):
    """A free port on 127.0.0.1, held by a listening socket until ``release()``.

    A server's settings name some ports before anything serves them (the embed's allowed
    origin, say). A port only looked up as free can be taken meanwhile, by any outgoing
    connection's ephemeral port, and the test then fails with "Address already in use"; a held
    one cannot. Servers started with ``http_server`` serve on the held socket itself.
    """

    listener: socket.socket

    def __new__(cls) -> ReservedPort:
        listener = socket.socket()
        # as http.server's own sockets do, so that once released the port is free for a server
        # although the connections it served are still in TIME_WAIT
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = super().__new__(cls, listener.getsockname()[1])
        port.listener = listener
        return port

    def release(self) -> None:
        self.listener.close()


def http_server(port: int, handler: type[BaseHTTPRequestHandler] | partial) -> ThreadingHTTPServer:
    """A threading HTTP server on 127.0.0.1: on a ReservedPort's socket, else on ``port`` (0: any
    free one). Closing the server leaves a reservation held, for the next server on it."""
    if not isinstance(port, ReservedPort):
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = port.listener.dup()  # server_close() closes this copy, not the reservation
    server.server_name, server.server_port = "localhost", port
    return server


class StaticSite:
    """An 'intranet' on its own port (0: any free one), serving files from a folder: another
    origin, the same site as localhost."""

    def __init__(self, folder: Path, port: int) -> None:
        handler = partial(_QuietHandler, directory=str(folder))
        self.server = http_server(port, handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.thread = Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass
