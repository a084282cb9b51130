"""6. The engine: the demo's pipes on ClickHouse (chDB, in this process) at 1M, 10M (and 100M) rows.

    .venv/bin/python bench/engine_bench.py                         # 1M and 10M rows
    .venv/bin/python bench/engine_bench.py --100m                   # and 100M
    .venv/bin/python bench/engine_bench.py --rows 1000000           # other sizes
    .venv/bin/python bench/run.py engine --100m                     # the same, from run.py

A chDB folder of its own in a temporary directory (one process owns a folder; the app's data
folder is never opened). The demo's orders table is made the ClickHouse way (MergeTree sorted by
tenant then date, LowCardinality strings, a partition per month) and filled inside ClickHouse by the
demo's own ``INSERT … SELECT … FROM numbers(N)`` (``demo.data``): hashes of the row number give the same rows every run,
with the demo's shape (acme 45%, globex 35%, initech 20%, each with its favourite cities, an
exponential product mix, one year of dates). The pipes are Tinybird templates rendered by
``pipes.template.render`` with a fixed company_id, as a token's fixed_params give it; each is
timed in this process around ``render`` + ``query`` (p50, p99), and rows_read is ClickHouse's.
Printed, never asserted; goals are shown beside the figures.
"""
from __future__ import annotations

import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))

from _common import Section, ms, percentile  # noqa: E402

from demo.data import GENERATE_ORDERS, generate_parameters  # noqa: E402

COMPANY = "acme"  # the largest tenant: 45% of the rows
GOAL_MS = 50
GOAL_RSS_BYTES = 1 << 30
DEFAULT_ROWS = (1_000_000, 10_000_000)
HUNDRED_MILLION = 100_000_000
PNG = BENCH_DIR / "engine_p50.png"

# The demo's tables and pipes, written for ClickHouse.
CREATE_ORDERS = """
CREATE TABLE orders
(
    date Date,
    company_id LowCardinality(String),
    city LowCardinality(String),
    product LowCardinality(String),
    amount Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (company_id, date, city, product)
"""
_TENANT = "company_id = {{ String(company_id, required=True) }}"
_DATES = """
{% if defined(date_from) %} AND date >= {{ Date(date_from) }} {% end %}
{% if defined(date_to) %} AND date <= {{ Date(date_to) }} {% end %}"""
PIPES: dict[str, str] = {
    "kpi_totals": f"""%
SELECT sum(amount) AS revenue, count() AS orders, avg(amount) AS avg_order
FROM orders WHERE {_TENANT} {_DATES}""",
    "sales_by_city": f"""%
SELECT city, sum(amount) AS revenue, count() AS orders
FROM orders WHERE {_TENANT} {_DATES}
GROUP BY city ORDER BY revenue DESC""",
    "sales_by_month": f"""%
SELECT toStartOfMonth(date) AS month,
       sumIf(amount, product = 'Anvil') AS anvils,
       sumIf(amount, product = 'Rocket skates') AS rocket_skates,
       sumIf(amount, product NOT IN ('Anvil', 'Rocket skates')) AS other
FROM orders WHERE {_TENANT} {_DATES}
GROUP BY month ORDER BY month""",
}
# (label, pipe, request params); company_id is the token's fixed param, not the request's.
CASES: list[tuple[str, str, dict[str, str]]] = [
    ("kpi_totals", "kpi_totals", {}),
    ("sales_by_city", "sales_by_city", {}),
    ("sales_by_month", "sales_by_month", {}),
    ("kpi_totals, one month", "kpi_totals", {"date_from": "2026-03-01", "date_to": "2026-03-31"}),
]
FULL_SCAN_CASE = "full scan, all tenants"
FULL_SCAN = """
SELECT company_id, city, sum(amount) AS revenue, count() AS orders
FROM orders GROUP BY company_id, city ORDER BY company_id, revenue DESC"""


@dataclass
class Timing:
    """One case at one size: seconds per request, and what ClickHouse said it read."""

    times: list[float]
    rows_read: int
    bytes_read: int

    @property
    def p50(self) -> float:
        return percentile(self.times, 50)

    @property
    def p99(self) -> float:
        return percentile(self.times, 99)


@dataclass
class SizeFigures:
    rows: int
    load_seconds: float
    merge_seconds: float
    parts: int
    disk_bytes: int
    rss_bytes: int
    cases: dict[str, Timing] = field(default_factory=dict)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux gives KiB


def label(rows: int) -> str:
    return f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows // 1000}k"


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:.2f} GB"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _time_case(engine: Any, template: str | None, params: dict[str, str], *, count: int, budget: float) -> Timing:
    """Up to ``count`` sequential runs (at least 5, at most ``budget`` seconds) after 2 warm-ups."""
    from pipes.template import render

    def once() -> Any:
        if template is None:
            return engine.query(FULL_SCAN)
        rendered = render(template, {**params, "company_id": COMPANY})
        return engine.query(rendered.sql, rendered.parameters)

    result = once()
    once()
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < count and (len(times) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return Timing(times, result.statistics.rows_read, result.statistics.bytes_read)


def _load(engine: Any, rows: int) -> tuple[float, float]:
    engine.command("DROP TABLE IF EXISTS orders SYNC")
    engine.command(CREATE_ORDERS)
    started = time.perf_counter()
    engine.command(GENERATE_ORDERS, generate_parameters(0, rows))
    loaded = time.perf_counter() - started
    # Merge the insert's parts now, so every size is timed in the same settled state rather
    # than racing background merges.
    started = time.perf_counter()
    engine.command("OPTIMIZE TABLE orders FINAL")
    return loaded, time.perf_counter() - started


def measure(work: Path, sizes: Sequence[int]) -> list[SizeFigures]:
    from pipes.engine import ChdbEngine

    engine = ChdbEngine(work / "chdb", database="bench")
    figures: list[SizeFigures] = []
    try:
        for rows in sizes:
            print(f"  ({label(rows)}: generating {rows:,} orders in ClickHouse; load average {load_average()})", flush=True)
            loaded, merged = _load(engine, rows)
            parts = engine.query(
                "SELECT count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts "
                "WHERE database = currentDatabase() AND table = 'orders' AND active"
            ).data[0]
            size = SizeFigures(rows, loaded, merged, int(parts["parts"]), int(parts["bytes"]), 0)
            count = 50 if rows <= 10_000_000 else 20
            for case, pipe, params in CASES:
                size.cases[case] = _time_case(engine, PIPES[pipe], params, count=count, budget=20)
            size.cases[FULL_SCAN_CASE] = _time_case(engine, None, {}, count=10, budget=20)
            size.rss_bytes = peak_rss_bytes()
            figures.append(size)
        engine.command("DROP TABLE IF EXISTS orders SYNC")
    finally:
        engine.close()
    return figures


def sqlite_reference(previous: Section | None, results_md: Path) -> tuple[str, dict[str, dict[int, float]]]:
    """The legacy SQLite p50s of the pipe benchmark (covering index) by case and rows: from this
    run's pipe section when it ran, else from the Results table of the previous RESULTS.md."""
    lines: list[str] = []
    source = ""
    if previous is not None:
        lines = [f"| {r.bench} | {r.case} | {r.figures} |" for r in previous.rows]
        source = "this run"
    else:
        try:
            text = results_md.read_text()
        except OSError:
            return "", {}
        lines = text.splitlines()
        date = re.search(r"^\| Date \| (.+?) \|", text, re.M)
        source = f"bench/RESULTS.md of {date.group(1)}" if date else "bench/RESULTS.md"
    pattern = re.compile(r"\| 4\. Pipe API \| sqlite (\d+(?:\.\d+)?)(k|M), covering index: ([^|]+?) \| p50 ([\d.]+) (ms|s),")
    found: dict[str, dict[int, float]] = {}
    for line in lines:
        match = pattern.search(line)
        if match:
            number, unit, case, value, value_unit = match.groups()
            rows = int(float(number) * (1_000 if unit == "k" else 1_000_000))
            seconds = float(value) / (1000 if value_unit == "ms" else 1)
            found.setdefault(case, {})[rows] = seconds
    return source, found


def draw(figures: list[SizeFigures], sqlite: dict[str, dict[int, float]], sqlite_source: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    cases = [case for case, _, _ in CASES] + [FULL_SCAN_CASE]
    colours = dict(zip(cases, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for case in cases:
        xs = [f.rows for f in figures]
        ys = [f.cases[case].p50 * 1000 for f in figures]
        ax.plot(xs, ys, marker="o", color=colours[case], label=f"chDB: {case}")
    for case, points in sorted(sqlite.items()):
        xs = sorted(points)
        ax.plot(xs, [points[x] * 1000 for x in xs], marker="s", linestyle="--", color=colours.get(case, "grey"),
                label=f"SQLite: {case}")
    ax.axhline(GOAL_MS, color="red", linewidth=0.8, linestyle=":", label=f"goal: tenant pipe p50 < {GOAL_MS} ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("orders (rows)")
    ax.set_ylabel("p50 (ms)")
    title = f"Pipe p50 against rows, tenant {COMPANY} (45%)"
    if sqlite:
        title += f"\nSQLite: covering index, HTTP round trip ({sqlite_source})"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run(section: Section, work: Path, *, sizes: Sequence[int], pipe_section: Section | None = None,
        results_md: Path = BENCH_DIR / "RESULTS.md") -> None:
    import chdb

    before = load_average()
    started = time.perf_counter()
    figures = measure(work, sizes)
    after = load_average()
    for size in figures:
        name = label(size.rows)
        section.add(
            f"chDB {name}: load",
            f"{size.rows:,} rows generated in {size.load_seconds:.1f} s ({size.rows / size.load_seconds / 1e6:.1f}M rows/s), "
            f"merged in {size.merge_seconds:.1f} s; {mb(size.disk_bytes)} on disk "
            f"({size.disk_bytes / size.rows:.1f} B/row, {size.parts} parts)",
        )
        for case, timing in size.cases.items():
            tenant = case != FULL_SCAN_CASE
            section.add(
                f"chDB {name}: {case}",
                f"p50 {ms(timing.p50)}, p99 {ms(timing.p99)} ({len(timing.times)} runs; rows_read {timing.rows_read:,}, "
                f"{mb(timing.bytes_read)} read)",
                f"p50 < {GOAL_MS} ms" if tenant else "",
                (timing.p50 * 1000 < GOAL_MS) if tenant else None,
            )
        section.add(f"chDB {name}: peak RSS", f"{mb(size.rss_bytes)} (this process so far)", "< 1 GB",
                    size.rss_bytes < GOAL_RSS_BYTES)
    sqlite_source, sqlite = sqlite_reference(pipe_section, results_md)
    draw(figures, sqlite, sqlite_source, PNG)
    section.note(f"![p50 against rows, log-log](engine_p50.png) ({PNG.name}: one line per pipe; chDB solid"
                 + (f", SQLite dashed, from {sqlite_source})" if sqlite else ")"))
    section.note(
        f"chDB {chdb.__version__}, in this process, on a temporary folder; one table `orders` MergeTree "
        "PARTITION BY toYYYYMM(date) ORDER BY (company_id, date, city, product), LowCardinality(String) "
        "company_id/city/product; rows from `INSERT … SELECT … FROM numbers(N)`, then OPTIMIZE FINAL (timed as 'merged')."
    )
    section.note(
        f"Tenant pipes: Tinybird templates through pipes.template.render with company_id={COMPANY} (45% of the rows), "
        "timed around render + query in this process, sequential; no HTTP, no Django. rows_read and bytes read are "
        "ClickHouse's statistics: the sorting key prunes to the tenant's granules (and the month's, for one month)."
    )
    section.note(
        "Peak RSS is resource.getrusage's ru_maxrss of the whole process, which generated and merged the rows too; "
        "it only grows, so each size's figure includes the sizes before it."
    )
    section.note(f"Load average {before} before, {after} after ({(time.perf_counter() - started) / 60:.1f} min); "
                 "the figure after counts this process's own ClickHouse threads, and other agents share this 2-core "
                 "machine, so every figure carries their load.")


def main(argv: list[str]) -> int:
    import run as bench_run

    return bench_run.main(["engine", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
