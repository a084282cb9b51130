"""Start Panes (and the minimal token server) under gunicorn for the benchmarks.

Each Panes server gets its own data folder (SQLite) or its own PostgreSQL databases, the demo
loaded, ``collectstatic`` run into a temporary STATIC_ROOT and DEBUG off: what production serves,
hashed and compressed static files included. gunicorn is started with ``config/gunicorn.conf.py``
(2 workers, gthread) on 127.0.0.1, with the access log off.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from _common import PYTHON, ROOT

PASSWORD = "panes-demo"
PG = "postgres://postgres@127.0.0.1:5432"
GUNICORN_CONF = str(ROOT / "config" / "gunicorn.conf.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see its log")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
    )


def postgres_available() -> bool:
    try:
        psql("SELECT 1")
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


@dataclass
class PanesServer:
    data_dir: Path
    database: str = "sqlite"  # or "postgres"
    port: int = field(default_factory=free_port)
    env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    pg_names: tuple[str, str] = ("panes_bench", "panes_bench_analytics")

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def page_origin(self) -> str:
        """Pages on localhost, the pipe API on 127.0.0.1: chart requests are cross-origin, as
        they are against Tinybird."""
        return f"http://localhost:{self.port}"

    def prepare(self, *, rows: int) -> None:
        """Databases, migrations, the demo with ``rows`` orders, and collected static files."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.admin_token = "p." + secrets.token_urlsafe(40)
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"}}
        env.update(
            {
                "PANES_ENV_FILE": "",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "PANES_LOCAL_ADMIN_TOKEN": self.admin_token,
                "DATA_DIR": str(self.data_dir),
                "STATIC_ROOT": str(self.data_dir / "static"),
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "PANES_LOCAL_API_ORIGIN": self.origin,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": "2",
                "GUNICORN_ACCESS_LOG": "",
                "LOG_LEVEL": "WARNING",
            }
        )
        if self.database == "postgres":
            main, analytics = self.pg_names
            for name in (main, analytics):
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                psql(f'CREATE DATABASE "{name}"')
            env["DATABASE_URL"] = f"{PG}/{main}"
            env["ANALYTICS_DATABASE_URL"] = f"{PG}/{analytics}"
        self.env = env
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.load(rows)

    def load(self, rows: int) -> float:
        """(Re)load the demo with ``rows`` orders; returns the seconds it took."""
        started = time.perf_counter()
        self.manage("demo", "--rows", str(rows), "--reload")
        return time.perf_counter() - started

    def manage(self, *args: str) -> str:
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def script(self, path: Path, *args: str) -> str:
        """Run a bench script with Django set up on this server's settings and databases."""
        result = subprocess.run([PYTHON, str(path), *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{path.name} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        self.log = open(self.data_dir / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", GUNICORN_CONF, "config.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{self.origin}/login/", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def drop(self) -> None:
        """Stop, and drop the PostgreSQL databases this server made."""
        self.stop()
        if self.database == "postgres":
            for name in self.pg_names:
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def login(self, username: str = "alice") -> str:
        """Log in through the login form; returns the session cookie's value."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.origin}/login/").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
        opener.open(urllib.request.Request(f"{self.origin}/login/", data=body.encode()))
        session = next((c.value for c in jar if c.name == "sessionid"), None)
        if not session:
            raise RuntimeError(f"{username} could not log in")
        return session


@dataclass
class MinimalTokenServer:
    """bench/minimal_token_server.py under the same gunicorn settings as Panes."""

    signing_key: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> None:
        env = dict(os.environ)
        env.update(
            {
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": "2",
                "GUNICORN_ACCESS_LOG": "",
                "TB_SIGNING_KEY": self.signing_key,
            }
        )
        self.log = open(log_dir / "minimal.log", "w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", GUNICORN_CONF, "--chdir", str(ROOT / "bench"), "minimal_token_server:application"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{self.origin}/api/token", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
