"""Host: the built-in Tinybird on chDB as a person runs it, over HTTP, at 10M and 100M demo rows.

For each size a Panes of its own (bench/_server.py: gunicorn, 2 page workers, DEBUG off, its own
data folder) loads the demo with ``manage.py demo --rows N``, then:

0. the load itself: seconds, the chDB folder's size on disk (du) and the load process's peak RSS;
1. alice's "Sales overview" (8 charts) drawn in Chromium, cold and warm (browser_bench.draw_times);
2. the six demo endpoints with a Panes-minted tenant JWT (alice's, from the dashboards' token
   endpoints; the admin token with company_id=acme for a pipe none of her tokens covers): all
   dates, one month and the whole year; p50/p99 through the pages' gunicorn (the forward hop to
   the host included) and direct to the host's unix socket (DATA_DIR/pipes-host.sock);
3. ``/v0/events?name=orders`` (NDJSON, the orders_daily materialized view runs): MB/s with ~8 MB
   requests, through the pages and direct;
4. the peak RSS (VmHWM) of the host's worker and of the page workers after each part;
5. 60 s of 16 readers (acme and globex, tokens and admin, every endpoint and range) through the
   pages while one ingester appends NDJSON batches with 1% bad lines: requests, errors, p50/p99,
   and rows sent = rows stored + rows quarantined (counted through /v0/sql).

Then, once, 6. the set-up of a fresh clone: ``git clone``, ``make setup``, migrate and ``demo``.

Every figure is printed, none asserted. The load average at the start of each part is recorded;
a part waits (up to 90 s) for the machine to calm down below LOAD_QUIET first, and a part
ending at a load of LOAD_DISTURBED or more runs once more (the first run's figures go to a note).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import BENCH, PYTHON, ROOT, Section, ms, percentile
from _server import PanesServer
from config.host_forward import UnixHTTPConnection
from tests.support.liveserver import HttpSession

PNG = BENCH / "host.png"
PIPES = ("kpi_totals", "sales_by_city", "sales_by_day", "sales_by_month", "top_products", "product_catalogue")
UNDATED = {"product_catalogue"}  # takes no tenant or date params
RANGES = {
    "all dates": {},
    "one month": {"date_from": "2026-03-01", "date_to": "2026-03-31"},
    "whole year": {"date_from": "2026-01-01", "date_to": "2026-12-31"},
}
DASHBOARDS = ("sales-overview", "acme-operations")
SALES_OVERVIEW_CHARTS = 8
CITIES = ("Berlin", "Lisbon", "Madrid", "Paris", "Rome", "Vienna", "Warsaw", "Dublin")
PRODUCTS = ("Anvil", "Rocket skates", "Giant magnet", "Portable hole", "Tornado seeds", "Bird seed")
MB = 1024 * 1024
LOAD_QUIET = 2.0  # 1-minute load average on this 2-core machine
LOAD_DISTURBED = 3.0  # at the end of a part: others were running too; run it once more
GOAL_P50 = 0.050
GOAL_WARM = 1.0
GOAL_EVENTS_MBS = 20.0
GOAL_HOST_RSS = 1024 * MB
GOAL_LOAD_S = 180
GOAL_LOAD_DISK = 2 * 1024 * MB
Headers = dict[str, str]


@dataclass
class SizeFigures:
    rows: int
    p50_pages: dict[str, float] = field(default_factory=dict)  # pipe (all dates) -> seconds
    p50_direct: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (second of the run, latency)
    batches: list[float] = field(default_factory=list)  # seconds of the run an ingest batch ended


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"


def mib(size: float) -> str:
    return f"{size / MB:,.0f} MB" if size < 1024 * MB else f"{size / 1024 / MB:.2f} GB"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


QUIET_WAIT = {"seconds": 60.0}  # 0 under --quick


def quiet_start(section: Section, part: str) -> str:
    """Wait (up to 90 s) for the 1-minute load average to drop below LOAD_QUIET; note it."""
    deadline = time.monotonic() + QUIET_WAIT["seconds"]
    while os.getloadavg()[0] >= LOAD_QUIET and time.monotonic() < deadline:
        time.sleep(5)
    now = load_average()
    section.note(f"{part}: load average at start {now}")
    return now.split()[0]


# --- processes --------------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _hwm(pid: int) -> int:
    """Peak resident set size of ``pid`` so far (VmHWM), in bytes."""
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def processes(master: int) -> tuple[list[int], list[int]]:
    """(the host's worker pids, the page worker pids) under the pages' gunicorn master."""
    parents = _parents()
    children = [pid for pid, parent in parents.items() if parent == master]
    host_masters = [pid for pid in children if "panes-pipes-host" in _cmdline(pid)]
    host_workers = [pid for pid, parent in parents.items() if parent in host_masters]
    pages = [pid for pid in children if pid not in host_masters]
    return host_workers, pages


# --- HTTP ---------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection: to the pages' gunicorn (TCP) or to the host's unix socket."""

    def __init__(self, connect: Callable[[], http.client.HTTPConnection]) -> None:
        self.connect = connect
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: Headers | None = None) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1", **(headers or {})}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self.connect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                self.close()  # an idle keep-alive connection the server closed: once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def pages_client(server: PanesServer) -> Client:
    return Client(lambda: http.client.HTTPConnection("127.0.0.1", server.port, timeout=60))


def direct_client(server: PanesServer) -> Client:
    sock = str(server.data_dir.resolve() / "pipes-host.sock")
    return Client(lambda: UnixHTTPConnection(sock, timeout=60))


def sql(server: PanesServer, query: str) -> list[list[str]]:
    body = urllib.parse.urlencode({"q": f"{query} FORMAT TSV"}).encode()
    status, answer = pages_client(server).request(
        "POST", "/v0/sql", body, {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 200:
        raise RuntimeError(f"/v0/sql answered {status}: {answer[:200]!r}")
    return [line.split("\t") for line in answer.decode().splitlines()]


def count(server: PanesServer, table: str) -> int:
    return int(sql(server, f"SELECT count() FROM {table}")[0][0])


@dataclass
class Credential:
    headers: Headers
    params: dict[str, str]
    kind: str  # "tenant JWT" or "admin token"


def tokens(server: PanesServer, username: str) -> list[str]:
    """The tenant JWTs Panes mints for ``username``'s dashboards (one per dashboard it may see)."""
    session = HttpSession(server.port)
    session.login(username)
    found = []
    for slug in DASHBOARDS:
        status, _, body = session.get(f"/d/{slug}/token.json", Accept="application/json")
        if status == 200 and json.loads(body).get("token"):
            found.append(json.loads(body)["token"])
    session.close()
    return found


def credentials(server: PanesServer, username: str, company: str) -> dict[str, Credential]:
    """For each pipe: a tenant JWT of ``username`` that reads it, else the admin token with
    company_id (the tenant filter passed as Tinybird's admin would)."""
    client = pages_client(server)
    jwts = tokens(server, username)
    chosen = {}
    for pipe in PIPES:
        for token in jwts:
            status, _ = client.request("GET", f"/v0/pipes/{pipe}.json", headers={"Authorization": f"Bearer {token}"})
            if status == 200:
                chosen[pipe] = Credential({"Authorization": f"Bearer {token}"}, {}, "tenant JWT")
                break
        else:
            params = {} if pipe in UNDATED else {"company_id": company}
            chosen[pipe] = Credential({"Authorization": f"Bearer {server.admin_token}"}, params, "admin token")
    client.close()
    return chosen


def pipe_path(pipe: str, credential: Credential, range_params: dict[str, str]) -> str:
    params = {**credential.params, **({} if pipe in UNDATED else range_params)}
    return f"/v0/pipes/{pipe}.json" + (f"?{urllib.parse.urlencode(params)}" if params else "")


# --- NDJSON for the orders ----------------------------------------------------------------------


def ndjson(size: int, *, seed: int, bad_ratio: float = 0.0) -> tuple[bytes, int, int]:
    """About ``size`` bytes of orders as NDJSON; (body, lines, bad lines). A bad line is either
    not JSON or has a string amount: both go to orders_quarantine."""
    rng = random.Random(seed)
    lines: list[bytes] = []
    total = bad = 0
    companies = ("acme", "acme", "globex", "globex", "initech")
    while total < size:
        if rng.random() < bad_ratio:
            bad += 1
            line = b'{"date": "2026-05-01", "company_id": "acme", "city": "Rome", "product": "Anvil", "amount": "n/a"}\n' if bad % 2 else b'{"date": "2026-05-01", "company_id": \n'
        else:
            line = json.dumps({
                "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "company_id": rng.choice(companies),
                "city": rng.choice(CITIES),
                "product": rng.choice(PRODUCTS),
                "amount": round(rng.random() * 400, 2),
            }).encode() + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines), len(lines), bad


def post_events(client: Client, server: PanesServer, body: bytes) -> tuple[int, dict[str, Any]]:
    status, answer = client.request(
        "POST", "/v0/events?name=orders", body,
        {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/x-ndjson"},
    )
    try:
        return status, json.loads(answer)
    except ValueError:
        return status, {"error": answer[:200].decode(errors="replace")}


# --- the parts ----------------------------------------------------------------------------------


def load(section: Section, server: PanesServer, rows: int) -> None:
    name = label(rows)
    quiet_start(section, f"{name} load")
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "demo", "--rows", str(rows), "--reload"],
        cwd=ROOT, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        print(f"    {line.rstrip()}", flush=True)
        tail = (tail + [line])[-20:]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError("manage.py demo failed:\n" + "".join(tail))
    folder = server.data_dir / "clickhouse"
    disk = int(subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True).stdout.split()[0]) * 1024
    rss = usage.ru_maxrss * 1024
    section.add(f"{name}: demo load, time", f"{elapsed:.1f} s for {rows:,} orders ({rows / elapsed / 1e6:.1f}M rows/s)",
                f"< {GOAL_LOAD_S // 60} min", elapsed < GOAL_LOAD_S)
    section.add(f"{name}: demo load, disk", f"{mib(disk)} (du -sk of the chDB folder, {disk / rows:.1f} B/row)",
                "< 2 GB", disk < GOAL_LOAD_DISK)
    section.add(f"{name}: demo load, peak RSS", f"{mib(rss)} (manage.py demo, ru_maxrss)", "< 2 GB", rss < GOAL_LOAD_DISK)


def browser(section: Section, server: PanesServer, rows: int, *, quick: bool) -> None:
    import browser_bench

    name = label(rows)
    load_at = quiet_start(section, f"{name} part 1 (browser)")
    cold, warm = browser_bench.draw_times(
        server, "sales-overview", SALES_OVERVIEW_CHARTS, rounds=1 if quick else 5, warm_visits=2 if quick else 3
    )
    warm_p50 = percentile(warm, 50)
    section.add(f"{name}: Sales overview, warm", f"all {SALES_OVERVIEW_CHARTS} drawn in {ms(warm_p50)} (median of {len(warm)}, max {ms(max(warm))}; load {load_at})",
                f"< {GOAL_WARM:g} s", warm_p50 < GOAL_WARM)
    section.add(f"{name}: Sales overview, cold", f"all drawn in {ms(percentile(cold, 50))} (median of {len(cold)}, max {ms(max(cold))})")


def pipes(section: Section, server: PanesServer, rows: int, figures: SizeFigures, *, quick: bool) -> None:
    name = label(rows)
    load_at = quiet_start(section, f"{name} part 2 (pipes)")
    creds = credentials(server, "alice", "acme")
    section.note(f"{name} part 2 credentials: " + ", ".join(f"{p} {c.kind}" for p, c in creds.items()))
    runs = 5 if quick else 40
    routes = {"pages": pages_client(server), "direct": direct_client(server)}
    for pipe in PIPES:
        for range_name, range_params in RANGES.items():
            if pipe in UNDATED and range_params:
                continue
            path = pipe_path(pipe, creds[pipe], range_params)
            times: dict[str, list[float]] = {route: [] for route in routes}
            stats: dict[str, Any] = {}
            errors = 0
            for route, client in routes.items():
                client.request("GET", path, headers=creds[pipe].headers)  # warm-up
            for _ in range(runs):
                for route, client in routes.items():
                    started = time.perf_counter()
                    status, body = client.request("GET", path, headers=creds[pipe].headers)
                    times[route].append(time.perf_counter() - started)
                    if status != 200:
                        errors += 1
                    elif not stats:
                        stats = json.loads(body).get("statistics", {})
            p50 = {route: percentile(values, 50) for route, values in times.items()}
            p99 = {route: percentile(values, 99) for route, values in times.items()}
            if range_name == "all dates":
                figures.p50_pages[pipe] = p50["pages"]
                figures.p50_direct[pipe] = p50["direct"]
            section.add(
                f"{name}: {pipe}, {range_name}",
                f"pages p50 {ms(p50['pages'])} p99 {ms(p99['pages'])}; direct p50 {ms(p50['direct'])} p99 {ms(p99['direct'])}"
                f" ({runs} each; rows_read {int(stats.get('rows_read', 0)):,}{f'; {errors} errors' if errors else ''}; load {load_at})",
                "p50 < 50 ms", p50["pages"] < GOAL_P50,
            )
    for client in routes.values():
        client.close()


def ingest(section: Section, server: PanesServer, rows: int, *, quick: bool) -> None:
    name = label(rows)
    size = MB if quick else 8 * MB
    requests = 1 if quick else 4
    bodies = [ndjson(size, seed=100 + i)[0] for i in range(2 * requests)]
    load_at = quiet_start(section, f"{name} part 3 (events)")
    for route, client in (("pages", pages_client(server)), ("direct", direct_client(server))):
        mine = bodies[:requests] if route == "pages" else bodies[requests:]
        post_events(client, server, ndjson(256 * 1024, seed=99)[0])  # warm-up
        started = time.perf_counter()
        outcomes = [post_events(client, server, body) for body in mine]
        elapsed = time.perf_counter() - started
        client.close()
        stored = sum(o.get("successful_rows", 0) for _, o in outcomes)
        bad = [s for s, _ in outcomes if s not in (200, 202)]
        total = sum(len(b) for b in mine)
        speed = total / MB / elapsed
        section.add(
            f"{name}: /v0/events into orders, {route}",
            f"{speed:.1f} MB/s ({requests} x {size / MB:.0f} MB NDJSON, {stored / elapsed / 1000:.0f}k rows/s, {stored:,} rows"
            f"{f'; statuses {bad}' if bad else ''}; load {load_at})",
            "≥ 20 MB/s", speed >= GOAL_EVENTS_MBS,
        )


def rss(section: Section, server: PanesServer, rows: int, after: str) -> None:
    assert server.process is not None
    host, pages = processes(server.process.pid)
    host_peak = max((_hwm(pid) for pid in host), default=0)
    pages_peak = [_hwm(pid) for pid in pages]
    section.add(
        f"{label(rows)}: peak RSS after {after}",
        f"host worker {mib(host_peak)}; page workers {', '.join(mib(p) for p in pages_peak)} (VmHWM)",
        "host < 1 GB", bool(host) and host_peak < GOAL_HOST_RSS,
    )


def mixed(section: Section, server: PanesServer, rows: int, figures: SizeFigures, *, quick: bool) -> None:
    name = label(rows)
    duration = 5.0 if quick else 60.0
    readers = 16
    creds = {"acme": credentials(server, "alice", "acme"), "globex": credentials(server, "bob", "globex")}
    work = [
        (company, pipe, pipe_path(pipe, creds[company][pipe], range_params), creds[company][pipe].headers)
        for company in creds for pipe in PIPES for range_name, range_params in RANGES.items()
        if not (pipe in UNDATED and range_params)
    ]
    batch_rows = 20_000
    batches = [ndjson(batch_rows * 85, seed=1000 + i, bad_ratio=0.01) for i in range(int(duration) + 5)]
    before = (count(server, "orders"), count(server, "orders_quarantine"))
    load_at = quiet_start(section, f"{name} part 5 (60 s mixed run)")
    lock = threading.Lock()
    latencies: list[tuple[float, float]] = []
    errors: list[str] = []
    sent = [0, 0]  # lines, bad lines
    answered = [0, 0]  # successful_rows, quarantined_rows
    ingest_errors: list[str] = []
    started = time.monotonic()
    deadline = started + duration

    def reader(index: int) -> None:
        client = pages_client(server)
        rng = random.Random(index)
        while time.monotonic() < deadline:
            company, pipe, path, headers = rng.choice(work)
            at = time.monotonic()
            try:
                status, body = client.request("GET", path, headers=headers)
            except Exception as exc:  # a dropped connection is an error, not a crash
                client.close()
                status, body = 0, repr(exc).encode()
            took = time.monotonic() - at
            with lock:
                latencies.append((at - started, took))
                if status != 200:
                    errors.append(f"{pipe} {status} {body[:120]!r}")
        client.close()

    def ingester() -> None:
        client = pages_client(server)
        for body, lines, bad in batches:
            if time.monotonic() >= deadline:
                break
            at = time.monotonic()
            status, outcome = post_events(client, server, body)
            with lock:
                sent[0] += lines
                sent[1] += bad
                answered[0] += outcome.get("successful_rows", 0)
                answered[1] += outcome.get("quarantined_rows", 0)
                figures.batches.append(time.monotonic() - started)
                if status not in (200, 202):
                    ingest_errors.append(f"{status} {outcome}")
            time.sleep(max(0.0, 1.0 - (time.monotonic() - at)))  # one batch a second
        client.close()

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    threads.append(threading.Thread(target=ingester, daemon=True))
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 120:
        left = deadline - time.monotonic()
        print(f"    {name} mixed run: {len(latencies):,} requests, {len(errors)} errors, {max(0, left):.0f} s left", flush=True)
        time.sleep(min(10.0, max(1.0, left)))
    after = (count(server, "orders"), count(server, "orders_quarantine"))
    rollup = int(sql(server, "SELECT sum(order_count) FROM orders_daily")[0][0])
    stored, quarantined = after[0] - before[0], after[1] - before[1]
    times = [took for _, took in latencies]
    figures.timeline = latencies
    section.add(
        f"{name}: {duration:.0f} s run, 16 readers + 1 ingester",
        f"{len(times):,} reads ({len(times) / duration:.0f}/s), p50 {ms(percentile(times, 50))}, p99 {ms(percentile(times, 99))}; "
        f"{len(errors)} read errors, {len(ingest_errors)} ingest errors (load {load_at})",
        "0 errors", not errors and not ingest_errors,
    )
    section.add(
        f"{name}: {duration:.0f} s run, rows in = stored + quarantined",
        f"{sent[0]:,} lines sent ({sent[1]:,} bad) in {len(figures.batches)} batches of ~{batch_rows:,}; stored {stored:,} + quarantined "
        f"{quarantined:,} = {stored + quarantined:,}; answers said {answered[0]:,} + {answered[1]:,}; rollup counts {rollup:,} = orders {after[0]:,}",
        "equal", sent[0] == stored + quarantined and answered == [stored, quarantined] and rollup == after[0],
    )
    for sample in (errors + ingest_errors)[:5]:
        section.note(f"{name} part 5 error: {sample}")


def setup_time(section: Section) -> None:
    """Part 6: a fresh clone of this repository set up as `make run` does, each step timed."""
    fresh = Path(tempfile.mkdtemp(prefix="panes-fresh-")) / "fresh"
    load_at = quiet_start(section, "part 6 (fresh set-up)")
    # As a person's shell would be: nothing of this run's settings, the clone's own .env.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "DJANGO_", "DATA_DIR", "ANALYTICS_", "DATABASE_URL", "PANES_", "SECRET_KEY"))}
    steps = [
        ("git clone", ["git", "clone", "-q", str(ROOT), str(fresh)], ROOT),
        ("make setup", ["make", "setup"], fresh),
        ("migrate", [str(fresh / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v", "0"], fresh),
        ("manage.py demo (default rows)", [str(fresh / ".venv/bin/python"), "manage.py", "demo"], fresh),
    ]
    total = 0.0
    try:
        for i, (step, command, cwd) in enumerate(steps, 1):
            print(f"    part 6 step {i}/{len(steps)}: {step} (after {total:.0f} s)", flush=True)
            started = time.perf_counter()
            result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
            took = time.perf_counter() - started
            total += took
            if result.returncode:
                section.add(f"fresh set-up: {step}", f"FAILED after {took:.1f} s: {(result.stderr or result.stdout)[-300:]!r}")
                return
            section.add(f"fresh set-up: {step}", f"{took:.1f} s")
        section.add("fresh set-up: total", f"{total:.1f} s (load {load_at}; it was 45 s before chdb joined the venv)")
        section.note("Part 6: on this machine pip installs from local wheels (its find-links folder) and npm from "
                     "its cache (~/.npm); a machine that downloads every package adds that time.")
    finally:
        shutil.rmtree(fresh.parent, ignore_errors=True)


# --- the plot -------------------------------------------------------------------------------------


def draw(all_figures: Sequence[SizeFigures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (bars, timeline) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.1, 1]})
    width = 0.8 / (2 * len(all_figures))
    for i, figures in enumerate(all_figures):
        for j, (route, values) in enumerate((("pages", figures.p50_pages), ("direct", figures.p50_direct))):
            offset = (2 * i + j) * width - 0.4 + width / 2
            bars.bar([k + offset for k in range(len(PIPES))], [values.get(p, 0) * 1000 for p in PIPES], width,
                     label=f"{label(figures.rows)}, {'through the pages' if route == 'pages' else 'direct to the host'}",
                     alpha=1.0 if route == "pages" else 0.55, color=f"C{i}")
    bars.axhline(GOAL_P50 * 1000, color="red", linestyle="--", linewidth=1, label="goal: p50 < 50 ms")
    bars.set_xticks(range(len(PIPES)), [p.replace("_", "\n", 1) for p in PIPES], fontsize=8)
    bars.set_ylabel("p50, ms (tenant JWT, all dates)")
    bars.set_title("Each demo endpoint over HTTP")
    bars.legend(fontsize=7)
    for i, figures in enumerate(all_figures):
        if not figures.timeline:
            continue
        buckets: dict[int, list[float]] = {}
        for at, took in figures.timeline:
            buckets.setdefault(int(at), []).append(took)
        seconds = sorted(buckets)
        timeline.plot(seconds, [percentile(buckets[s], 50) * 1000 for s in seconds], color=f"C{i}", label=f"{label(figures.rows)} p50")
        timeline.plot(seconds, [percentile(buckets[s], 99) * 1000 for s in seconds], color=f"C{i}", linestyle=":", label=f"{label(figures.rows)} p99")
    timeline.axhline(GOAL_P50 * 1000, color="red", linestyle="--", linewidth=1)
    timeline.set_yscale("log")
    timeline.set_xlabel("second of the run (one ingest batch of ~20k rows a second)")
    timeline.set_ylabel("read latency per second, ms")
    timeline.set_title("16 readers while one ingester appends")
    timeline.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- entry point ----------------------------------------------------------------------------------


def run(section: Section, work: Path, *, sizes: Sequence[int], quick: bool = False, setup: bool = True) -> None:
    all_figures = []
    QUIET_WAIT["seconds"] = 0.0 if quick else 90.0
    for rows in sizes:
        name = label(rows)
        print(f"  {name}: a Panes of its own (migrate, collectstatic, demo)", flush=True)
        server = PanesServer(work / f"host-{name}")
        try:
            server.prepare(rows=None)
            load(section, server, rows)
            server.start()
            figures = SizeFigures(rows)
            all_figures.append(figures)
            parts: list[tuple[Callable[[Section], None], str, bool]] = [
                # Chromium's own work lifts the load past LOAD_DISTURBED: that says nothing of others
                (lambda into: browser(into, server, rows, quick=quick), "part 1 (browser)", False),
                (lambda into: pipes(into, server, rows, figures, quick=quick), "part 2 (pipes)", True),
                (lambda into: ingest(into, server, rows, quick=quick), "part 3 (events)", True),
                # its own 17 clients load both cores: the load after it says nothing of others
                (lambda into: mixed(into, server, rows, figures, quick=quick), "part 5 (mixed run)", False),
            ]
            for step, after, rerun in parts:
                for attempt in (1, 2):
                    trial = Section(section.name)
                    try:
                        step(trial)
                    except Exception as exc:  # one broken part must not lose the others' figures
                        import traceback

                        traceback.print_exc()
                        trial.add(f"{name}: {after}", f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                    busy = os.getloadavg()[0]
                    if rerun and not quick and attempt == 1 and busy >= LOAD_DISTURBED:
                        section.note(f"{name} {after} disturbed (load {busy:.2f} at its end), run again; the first run's figures: "
                                     + "; ".join(f"{r.case}: {r.figures}" for r in trial.rows))
                        continue
                    section.rows.extend(trial.rows)
                    section.notes.extend(trial.notes)
                    break
                rss(section, server, rows, after)
        finally:
            server.drop()
            shutil.rmtree(server.data_dir, ignore_errors=True)
    if setup and not quick:
        setup_time(section)
    if all_figures:
        draw(all_figures, PNG)
        section.note(f"![per-endpoint p50 and the mixed run's latency over time]({PNG.name})")
    section.note(
        "Each size: its own Panes under gunicorn (2 page workers, gthread; the host a one-worker gunicorn with "
        "PIPES_HOST_THREADS threads on DATA_DIR/pipes-host.sock), DEBUG off, on a temporary data folder removed "
        "afterwards. 'pages' = HTTP to the pages' gunicorn, forwarded to the host; 'direct' = HTTP on the host's "
        "unix socket. Clients are Python threads in the bench process on the same 2 cores."
    )
    section.note(
        "Peak RSS is each process's VmHWM, which only grows: 'after part N' includes every part before it. "
        "The load's peak RSS is manage.py demo's ru_maxrss (chDB runs in that process)."
    )
    section.note(
        "Part 5: readers pick (tenant, pipe, date range) at random: acme with alice's JWTs, globex with bob's, "
        "the admin token with company_id where no JWT of theirs covers the pipe; the ingester posts one ~1.7 MB "
        "NDJSON batch a second to /v0/events?name=orders with 1% bad lines (half not JSON, half a string amount). "
        "Counts from /v0/sql: orders and orders_quarantine before and after; the rollup check compares "
        "sum(order_count) of orders_daily with count() of orders."
    )


def main() -> None:
    raise SystemExit("run it through bench/run.py: .venv/bin/python bench/run.py host [--100m] [--quick]")


if __name__ == "__main__":
    main()
