"""An attacker's server on 127.0.0.1 that records every request it gets, headers included.

Tests point a workspace row at it and assert it heard nothing: no admin token, no viewer's
token, not even a CORS preflight. It answers every request 200 with permissive CORS headers and
``{}``, so that if Panes did send something the whole request (with its Authorization header)
would arrive and be recorded. Bounded: it stops by itself after ``max_requests`` requests or
``lifetime`` seconds, whichever comes first, and on leaving its ``with`` block.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Listener:
    def __init__(self, *, max_requests: int = 20, lifetime: float = 300) -> None:
        self.requests: list[dict] = []
        self.max_requests = max_requests
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _record_and_answer(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
                body = self.rfile.read(length) if length else b""
                listener._record({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Authorization, Accept, Content-Type")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_OPTIONS = do_HEAD = _record_and_answer  # noqa: N815 - http.server's names

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def _record(self, request: dict) -> None:
        with self._lock:
            self.requests.append(request)
            full = len(self.requests) >= self.max_requests
        if full:  # from another thread: shutdown() waits for serve_forever, which runs this handler
            threading.Thread(target=self.stop, daemon=True).start()

    def start(self) -> Listener:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        with self._stop_lock:
            if self._stopped.is_set():
                return
            self._stopped.set()
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def heard(self, text: str) -> bool:
        """Whether ``text`` appeared anywhere in what it received (paths, headers, bodies)."""
        for request in self.requests:
            blob = request["path"] + " ".join(f"{k}: {v}" for k, v in request["headers"].items())
            if text in blob or text.encode() in request["body"]:
                return True
        return False
