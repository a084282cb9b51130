"""gunicorn settings for Panes; every value can be overridden from the environment.

With several workers on embedded chDB (one process per data folder), the hooks below start the
built-in host in a process of its own and the page workers forward the pipe API to it; see
config/pipes_host.py.
"""
from __future__ import annotations

import os
import signal
from typing import Any

from config import pipes_host

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 100
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# Query strings may carry ?token= on the pipe API: log the path only, never the query string.
# The pid tells the page workers and the built-in host's process apart.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %(p)s'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
host_threads = int(os.environ.get("PIPES_HOST_THREADS", "16"))

_supervisor: pipes_host.HostSupervisor | None = None


def on_starting(server: Any) -> None:
    global _supervisor
    os.environ.pop(pipes_host.SOCKET_VARIABLE, None)  # a re-exec'd master decides afresh
    path = pipes_host.socket_for(server.cfg.workers)
    if path is not None:
        _supervisor = pipes_host.HostSupervisor(path, host_threads)
        _supervisor.start()


def on_reload(server: Any) -> None:
    # A HUP reloads the pages' code; the host's gunicorn reloads its own the same way.
    if _supervisor is not None and _supervisor.process is not None and _supervisor.process.poll() is None:
        _supervisor.process.send_signal(signal.SIGHUP)


def on_exit(server: Any) -> None:
    if _supervisor is not None:
        _supervisor.stop(timeout=graceful_timeout + 5)


def post_worker_init(worker: Any) -> None:
    if pipes_host.is_host_process():
        pipes_host.open_engine_in_worker()
