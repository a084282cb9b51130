"""A real Panes under gunicorn on 127.0.0.1 with the demo loaded: the one way tests and benchmarks
start it.

``start`` gives a server its own data folder (SQLite) or, with ``postgres=True``, its own
PostgreSQL databases; runs the migrations and loads the demo; then starts gunicorn with
``config/gunicorn.conf.py`` (2 workers, gthread), DEBUG off, access log off. ``start_another``
starts a second gunicorn on the same databases and cache (two app servers behind one balancer).
``HttpSession`` is a keep-alive HTTP client that logs in like a browser (cookies, CSRF).

The pieces are used on their own too: tests/browser/conftest.py starts its servers with ``start``
(pages on localhost, the pipe API on 127.0.0.1), and bench/_server.py builds its production-like
server (collected static files, login throttling on) from ``server_env``, ``gunicorn``,
``wait_until_up`` and ``stop_processes``.

Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "panes-demo"
PG_ROOT = "postgres://postgres@127.0.0.1:5432"
GUNICORN_CONF = str(ROOT / "config" / "gunicorn.conf.py")
CSRF_INPUT_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Never inherited from the caller: a server uses only the databases and cache it is given.
INHERITED_NEVER = {"DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, port: int, *, production: bool = False, **overrides: str) -> dict:
    """The environment of a Panes server on ``port`` with its data in ``data_dir``.

    ``production``: static files collected into ``data_dir/static`` (hashed and compressed, as
    production serves them) and login throttling on. Otherwise static files come from the
    finders and login throttling is off, so tests may log in as often as they like.
    """
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_NEVER}
    env.update(
        {
            "PANES_ENV_FILE": "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "PANES_LOCAL_ADMIN_TOKEN": "p." + secrets.token_urlsafe(40),
            "DATA_DIR": str(data_dir),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "PANES_LOCAL_API_ORIGIN": f"http://127.0.0.1:{port}",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": "",
        }
    )
    if production:
        env["STATIC_ROOT"] = str(data_dir / "static")
    else:
        env.update(
            {
                "WHITENOISE_USE_FINDERS": "true",
                "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
                "AXES_ENABLED": "false",
            }
        )
    env.update(overrides)
    return env


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
    )


def create_pg_databases(*names: str) -> tuple[str, ...]:
    """Fresh PostgreSQL databases (dropped first if left over); their names."""
    for name in names:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{name}"')
    return names


def gunicorn(env: dict, log_path: Path, *args: str) -> subprocess.Popen:
    """gunicorn with config/gunicorn.conf.py, run from the repository root, serving ``args``
    (default: Panes); its output is appended to ``log_path``."""
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, *(args or ("config.wsgi",))],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(url: str, process: subprocess.Popen, *, timeout: float = 60, any_status: bool = False) -> None:
    """Wait until ``url`` answers 2xx (any status at all with ``any_status``), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}; see its log")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            if any_status:
                return  # it answered
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


def stop_processes(processes: list[subprocess.Popen], *, timeout: float = 10) -> None:
    """Terminate them all, then wait for each; kill the ones that outlive ``timeout``."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Server:
    port: int
    data_dir: Path
    env: dict
    processes: list[subprocess.Popen] = field(default_factory=list)
    pg_databases: tuple[str, ...] = ()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_origin(self) -> str:
        """Where the chart frames read the pipe API (PANES_LOCAL_API_ORIGIN)."""
        return self.origin

    @property
    def page_origin(self) -> str:
        """Pages on localhost, the pipe API on 127.0.0.1: chart requests are cross-origin, as
        they are against Tinybird."""
        return f"http://localhost:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"server-{self.port}.log"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )
        return result.stdout

    def sql(self, query: str, params: tuple = (), *, database: str = "default") -> list[tuple]:
        """Run ``query`` (``?`` placeholders) directly on the server's database, or with
        ``database="analytics"`` on its ClickHouse through the Query API (``/v0/sql``)."""
        if database == "analytics":
            return self._clickhouse(query, params)
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
                return conn.execute(query.replace("?", "%s"), params).fetchall()
        import sqlite3

        with sqlite3.connect(self.data_dir / "panes.sqlite3", timeout=30) as conn:
            return conn.execute(query, params).fetchall()

    def _clickhouse(self, query: str, params: tuple) -> list[tuple]:
        # Test constants only, quoted as ClickHouse string literals (it compares them with dates too).
        parts = query.split("?")
        assert len(parts) == len(params) + 1, "one value per ?"
        quoted = ["'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in params]
        text = "".join(part + (quoted[i] if i < len(quoted) else "") for i, part in enumerate(parts))
        request = urllib.request.Request(
            f"{self.origin}/v0/sql",
            data=urlencode({"q": f"{text} FORMAT TSV"}).encode(),
            headers={"Authorization": f"Bearer {self.env['PANES_LOCAL_ADMIN_TOKEN']}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            lines = response.read().decode().splitlines()
        return [tuple(_tsv_value(cell) for cell in line.split("\t")) for line in lines]


def _tsv_value(cell: str) -> object:
    if re.fullmatch(r"-?\d+", cell):
        return int(cell)
    if re.fullmatch(r"-?\d+\.\d*(e[+-]?\d+)?", cell):
        return float(cell)
    return cell


def _serve(server: Server, *, timeout: float = 60) -> subprocess.Popen:
    process = gunicorn(server.env, server.log_path)
    server.processes.append(process)
    wait_until_up(f"{server.origin}/login/", process, timeout=timeout)
    return process


def start(
    data_dir: Path,
    *,
    demo_rows: int = 20_000,
    postgres: bool = False,
    cache_url: str = "",
    server_class: type[Server] = Server,
    up_timeout: float = 60,
    **overrides: str,
) -> Server:
    """Migrate, load the demo and serve it; ``postgres`` uses fresh databases named after the port.
    ``overrides`` are settings (environment variables) of the server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    pg: tuple[str, ...] = ()
    if postgres:
        pg = create_pg_databases(f"panes_load_{port}")
        overrides = {"DATABASE_URL": f"{PG_ROOT}/{pg[0]}", **overrides}
    if cache_url:
        overrides = {"CACHE_URL": cache_url, **overrides}
    server = server_class(port=port, data_dir=data_dir, env=server_env(data_dir, port, **overrides), pg_databases=pg)
    server.manage("migrate", "--noinput", "-v", "0")
    server.manage("demo", "--rows", str(demo_rows))
    _serve(server, timeout=up_timeout)
    return server


def start_another(server: Server) -> Server:
    """A second app server on a new port, sharing ``server``'s databases, cache and keys."""
    port = free_port()
    env = dict(server.env, PORT=str(port), PANES_LOCAL_API_ORIGIN=f"http://127.0.0.1:{port}")
    other = Server(port=port, data_dir=server.data_dir, env=env)
    _serve(other)
    return other


def stop(server: Server) -> None:
    stop_processes(server.processes)
    for name in server.pg_databases:
        try:
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass


class HttpSession:
    """One browser-like session over one keep-alive connection: cookies, CSRF, login."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), data

    def get(self, path: str, **headers: str) -> tuple[int, dict, bytes]:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, form: dict) -> tuple[int, dict, bytes]:
        """POST a form with the CSRF token of the last page's cookie."""
        form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        return self.request("POST", path, body=urlencode(form).encode(), headers=headers)

    def login(self, username: str, password: str = PASSWORD) -> None:
        status, _, body = self.get("/login/")
        match = CSRF_INPUT_RE.search(body.decode())
        if status != 200 or not match:
            raise RuntimeError(f"no login form ({status})")
        status, headers, _ = self.post_form("/login/", {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{username} could not log in ({status})")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
