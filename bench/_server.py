"""Start Panes under gunicorn for the benchmarks.

Each Panes server gets its own data folder (SQLite) or its own PostgreSQL databases, the demo
loaded, ``collectstatic`` run into a temporary STATIC_ROOT and DEBUG off: what production serves,
hashed and compressed static files included. gunicorn is started with ``config/gunicorn.conf.py``
(2 workers, gthread) on 127.0.0.1, with the access log off. The environment, gunicorn and the
wait for it come from tests/support/liveserver.py, as for the tests' servers.
"""
from __future__ import annotations

import http.cookiejar
import re
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from _common import PYTHON, ROOT
from tests.support.liveserver import (
    PASSWORD,
    PG_ROOT,
    create_pg_databases,
    free_port,
    gunicorn,
    psql,
    server_env,
    stop_processes,
    wait_until_up,
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

    def prepare(self, *, rows: int | None) -> None:
        """Databases, migrations, the demo with ``rows`` orders (None: no demo yet), and collected
        static files."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        databases = {}
        if self.database == "postgres":
            main, *_ = create_pg_databases(*self.pg_names)
            databases = {"DATABASE_URL": f"{PG_ROOT}/{main}"}
        self.env = server_env(self.data_dir, self.port, production=True, LOG_LEVEL="WARNING", **databases)
        self.admin_token = self.env["PANES_LOCAL_ADMIN_TOKEN"]
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        if rows is not None:
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
        self.process = gunicorn(self.env, self.data_dir / "gunicorn.log")
        wait_until_up(f"{self.origin}/login/", self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop_processes([self.process], timeout=15)
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

