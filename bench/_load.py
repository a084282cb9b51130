"""Driving wrk against a URL and reading its figures back (see wrk_report.lua)."""
from __future__ import annotations

import json
import subprocess
import urllib.request
from dataclasses import dataclass

from _common import BENCH, WRK


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50: float  # seconds
    p99: float
    requests: int
    errors: int


def check_ok(url: str, headers: dict[str, str]) -> bytes:
    """The body of ``url``; RuntimeError unless it answers 200 (wrk counts a 302 as success)."""
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        if response.status != 200 or response.url != url:
            raise RuntimeError(f"{url} answered {response.status} at {response.url}")
        return body


def wrk(url: str, *, headers: dict[str, str] | None = None, seconds: float = 10, connections: int = 16, threads: int = 2) -> LoadResult:
    headers = headers or {}
    check_ok(url, headers)
    args = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(BENCH / "wrk_report.lua")]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50=data["p50_us"] / 1e6,
        p99=data["p99_us"] / 1e6,
        requests=data["requests"],
        errors=data["errors"],
    )
