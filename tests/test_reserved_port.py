"""The tests' port reservations: a port a server's settings name before anything serves it stays
theirs, across the intranet sites that serve on it in turn."""
from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.support.browser import ReservedPort, StaticSite


def test_a_reserved_port_cannot_be_taken_and_serves_one_site_after_another(tmp_path) -> None:
    (tmp_path / "index.html").write_text("intranet")
    port = ReservedPort()
    try:
        for _ in range(2):
            with pytest.raises(OSError), socket.socket() as intruder:
                intruder.bind(("127.0.0.1", port))
            with StaticSite(tmp_path, port) as site:
                assert site.origin == f"http://localhost:{port}"
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
                    assert answer.read() == b"intranet"
    finally:
        port.release()
    with socket.socket() as anyone:
        # released: free again for any server (which, like http.server, reuses the address of
        # the connections still in TIME_WAIT)
        anyone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        anyone.bind(("127.0.0.1", port))
