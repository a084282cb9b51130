"""The built-in host's own process, started and watched by the gunicorn master of the pages.

chDB lets one process own its data folder. When gunicorn runs several page workers and the
engine is embedded chDB, the master starts one more gunicorn before its workers: one worker,
many threads (``PIPES_HOST_THREADS``), the same ``config.wsgi``, listening only on a unix socket
inside ``DATA_DIR``. Its worker opens chDB as it boots. The page workers forward ``/v0/…`` to it
(config/host_forward.py), told where by ``PIPES_HOST_SOCKET`` in their environment.

That gunicorn restarts its worker if the worker dies; the master here restarts that gunicorn if
it dies, and stops it on exit. A file lock in ``DATA_DIR`` makes one master the owner when two
serve the same folder: the other forwards to the owner's host, and takes over if the owner goes.
With one worker, or a ClickHouse server URL, nothing of this runs: the API is served in-process.
"""
from __future__ import annotations

import ctypes
import fcntl
import http.client
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from config.host_forward import UnixHTTPConnection

ROLE_VARIABLE = "PANES_PIPES_HOST"  # set only in the host's own gunicorn: serve, do not forward
SOCKET_VARIABLE = "PIPES_HOST_SOCKET"  # set by the master for its page workers: forward there
SOCKET_NAME = "pipes-host.sock"
LOCK_NAME = "pipes-host.lock"
CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"
ROOT = CONF.parents[1]
READY_SECONDS = 60
SUN_PATH_MAX = 107  # sockaddr_un.sun_path on Linux, less the terminating NUL

logger = logging.getLogger("gunicorn.error")


def is_host_process() -> bool:
    return bool(os.environ.get(ROLE_VARIABLE))


def socket_for(workers: int) -> Path | None:
    """Where the page workers of a gunicorn with ``workers`` workers should forward the API, or
    None when they serve it themselves."""
    if is_host_process() or workers < 2:
        return None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from pipes import engine_choice

    if not engine_choice.is_embedded():
        return None
    path = Path(settings.DATA_DIR).resolve() / SOCKET_NAME
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise RuntimeError(f"DATA_DIR is too long a path for the built-in host's unix socket: {path}")
    return path


def answers(path: Path, timeout: float = 5) -> bool:
    """Whether a host answers HTTP on ``path`` (any status)."""
    conn = UnixHTTPConnection(str(path), timeout=timeout)
    try:
        conn.request("OPTIONS", "/v0/pipes", headers={"Host": "localhost"})  # a CORS preflight: no token, no log
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _die_with_parent() -> None:
    # Linux: the host goes if the master is killed outright (no on_exit hook runs then).
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class HostSupervisor:
    def __init__(self, socket_path: Path, threads: int) -> None:
        self.socket_path = socket_path
        self.threads = threads
        self.process: subprocess.Popen[bytes] | None = None
        self.lock_file: IO[bytes] | None = None
        self.stopping = threading.Event()
        self.watcher: threading.Thread | None = None
        self.started_at = 0.0
        self.restarts = 0

    def start(self) -> None:
        """Start the host (if this master owns the folder) and wait until it answers; then watch it."""
        os.environ[SOCKET_VARIABLE] = str(self.socket_path)
        if self._take_ownership():
            self._spawn()
            self.wait_ready()
        else:
            logger.info("pipes host: another server owns %s; forwarding to its host", self.socket_path.parent)
        self.watcher = threading.Thread(target=self._watch, name="pipes-host-watcher", daemon=True)
        self.watcher.start()

    def _take_ownership(self) -> bool:
        if self.lock_file is None:
            self.lock_file = open(self.socket_path.with_name(LOCK_NAME), "ab")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _spawn(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != SOCKET_VARIABLE}
        env[ROLE_VARIABLE] = "1"
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(CONF),
            "--bind", f"unix:{self.socket_path}", "--workers", "1", "--threads", str(self.threads),
            "--name", "panes-pipes-host", "--no-control-socket",
            "--max-requests", "0",  # recycling would close and reopen chDB, its caches with it
            "config.wsgi",
        ]  # fmt: skip
        self.started_at = time.monotonic()
        # Its own session: a Ctrl-C to the terminal reaches the master, which stops the host in order.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent)
        logger.info("pipes host: started (pid %s) on %s with %s threads", self.process.pid, self.socket_path, self.threads)

    def wait_ready(self, timeout: float = READY_SECONDS) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            if answers(self.socket_path, timeout=max(1.0, deadline - time.monotonic())):
                logger.info("pipes host: ready in %.1f s", time.monotonic() - self.started_at)
                return True
            time.sleep(0.1)
        logger.error("pipes host: not answering on %s; the API answers 503 until it does", self.socket_path)
        return False

    def _watch(self) -> None:
        while not self.stopping.wait(0.5):
            if self.process is None:
                if self._take_ownership():
                    logger.info("pipes host: the previous owner of %s is gone; starting a host", self.socket_path.parent)
                    self._spawn()
                continue
            code = self.process.poll()
            if code is None or self.stopping.is_set():
                continue
            # A host that keeps dying right away is retried less and less often, up to every 30 s.
            lived = time.monotonic() - self.started_at
            self.restarts = 0 if lived > 60 else self.restarts + 1
            delay = min(30.0, 0.5 * 2 ** max(0, self.restarts - 1)) if self.restarts else 0.0
            # The status may be 0 whatever happened: gunicorn's own reaper often collects it first.
            logger.error("pipes host: pid %s gone after %.0f s (status %s); restarting in %.1f s", self.process.pid, lived, code, delay)
            if self.stopping.wait(delay):
                return
            self._spawn()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.watcher is not None:
            self.watcher.join(timeout=2)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.lock_file is not None:
            self.lock_file.close()
            self.lock_file = None


def open_engine_in_worker() -> None:
    """In the host's worker, before it accepts requests: open chDB once, now."""
    from pipes.engine import runtime

    runtime.engine()
