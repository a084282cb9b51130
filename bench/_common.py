"""Shared pieces of the benchmarks: figures, the machine's details, and the results table."""
from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass
class Row:
    """One line of the results table."""

    bench: str
    case: str
    figures: str  # what was measured, formatted
    goal: str = ""
    verdict: str = ""  # "met", "missed", "" (information only)


@dataclass
class Section:
    """A benchmark's rows and the notes that explain them."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, case: str, figures: str, goal: str = "", verdict: str | bool | None = None) -> None:
        if isinstance(verdict, bool):
            verdict = "met" if verdict else "MISSED"
        self.rows.append(Row(self.name, case, figures, goal, verdict or ""))
        print(f"  {case:<44} {figures}" + (f"   [{goal}: {verdict}]" if goal else ""), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation), as load generators report it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def kb(size: float) -> str:
    return f"{size / 1000:.1f} KB"


# --- the machine --------------------------------------------------------------------------------


def _first_line(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _command(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    mem_kb = _first_line("/proc/meminfo", "MemTotal").split()[0]
    try:
        memory = f"{int(mem_kb) / 1024 / 1024:.1f} GiB"
    except ValueError:
        memory = "unknown"
    pg = _command(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"])
    wrk = _command([WRK, "-v"]) or _command([WRK, "--version"])
    try:
        import django
        import jwt

        versions = f"Django {django.__version__}, PyJWT {jwt.__version__}"
    except ImportError:
        versions = ""
    chromium = _command(["/usr/bin/chromium", "--version"])
    return {
        "Date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": _first_line("/proc/cpuinfo", "model name"),
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": (pg.split()[0] if pg else "not reachable on 127.0.0.1:5432"),
        "Libraries": versions,
        "wrk": (wrk.splitlines()[0] if wrk else "not installed"),
        "Chromium": chromium or "not installed",
        "Load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- RESULTS.md ----------------------------------------------------------------------------------


def markdown(sections: list[Section], info: dict[str, str], command: str, preamble: str = "") -> str:
    lines = ["# Panes benchmark results", ""]
    if preamble:
        lines += [preamble, ""]
    lines += [f"Command: `{command}`", "", "## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "## Results", "", "| Benchmark | Case | Figures | Goal | Verdict |", "| --- | --- | --- | --- | --- |"]
    for section in sections:
        for row in section.rows:
            lines.append(f"| {row.bench} | {row.case} | {row.figures} | {row.goal} | {row.verdict} |")
    for section in sections:
        if section.notes:
            lines += ["", f"### {section.name}", ""]
            lines += [f"- {note}" for note in section.notes]
    return "\n".join(lines) + "\n"


def markdown_section(section: Section, info: dict[str, str], command: str) -> str:
    """One benchmark as a section of its own ("## name"), with when and how it was measured."""
    lines = [f"## {section.name}", "", f"Command: `{command}`", ""]
    lines += [f"{k}: {info[k]}." for k in ("Date", "CPU", "Cores", "Memory", "Load average at start", "Total bench time") if k in info]
    lines += ["", "| Case | Figures | Goal | Verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {row.case} | {row.figures} | {row.goal} | {row.verdict} |" for row in section.rows]
    if section.notes:
        lines += [""] + [f"- {note}" for note in section.notes]
    return "\n".join(lines) + "\n"


def save_json(path: Path, sections: list[Section], info: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": info,
        "sections": [
            {"name": s.name, "rows": [r.__dict__ for r in s.rows], "notes": s.notes} for s in sections
        ],
    }
    path.write_text(json.dumps(data, indent=2))
