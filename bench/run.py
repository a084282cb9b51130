"""Panes' benchmarks: print a table of figures and write it to bench/RESULTS.md.

    .venv/bin/python bench/run.py                    # everything but the engine
    .venv/bin/python bench/run.py mint token page    # a subset: mint token page browser
    .venv/bin/python bench/run.py --quick            # smoke run: short and small
    .venv/bin/python bench/run.py engine --100m      # ClickHouse (chDB) at 1M, 10M and 100M rows
    .venv/bin/python bench/run.py host --100m        # the built-in host over HTTP at 10M and 100M rows

The engine and host benchmarks are opt-in (not part of "everything") and each has a section of
its own in the results file, kept when other benchmarks run; a run of them alone keeps the
others' table.

Every benchmark measures; none asserts a time. Goals are printed beside the figures as met or
MISSED. Run it on a quiet machine: other work on the same cores changes every figure.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))
os.environ.setdefault("PANES_ENV_FILE", "")

from _common import Section, machine, markdown, markdown_section, save_json  # noqa: E402

BENCHES = ("mint", "token", "page", "browser", "engine", "host")
DEFAULT_BENCHES = ("mint", "token", "page", "browser")
TITLES = {
    "mint": "1. Minting",
    "token": "2. Token endpoint",
    "page": "3. Dashboard page",
    "browser": "5. Browser",
    "engine": "Engine (ClickHouse, chDB)",
    "host": "Host (the built-in Tinybird over HTTP)",
}
OWN_SECTIONS = ("engine", "host")  # each kept in RESULTS.md under its own heading
HEADINGS = {name: f"\n## {TITLES[name]}\n" for name in OWN_SECTIONS}
HISTORY_HEADING = "\n## History\n"
WEB_ROWS = 100_000  # orders behind the token, page and browser benchmarks (the demo's default)
HOST_ROWS = 10_000_000  # the host benchmark's size; --100m adds 100M, --quick uses WEB_ROWS


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benches", nargs="*", metavar="BENCH", help=f"any of {', '.join(BENCHES)} (default: all but engine)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short loads, 100k rows")
    parser.add_argument("--rows", default="1000000,10000000", help="engine benchmark: row counts, comma-separated")
    parser.add_argument("--100m", dest="hundred_million", action="store_true", help="engine and host benchmarks: add 100M rows")
    parser.add_argument("--no-setup", dest="setup", action="store_false", help="host benchmark: skip timing a fresh clone's make setup")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md", help="where to write the table")
    parser.add_argument("--note", default="", help="a line put at the top of the results file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folders")
    args = parser.parse_args(argv)
    unknown = [b for b in args.benches if b not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHES)}")
    try:
        args.engine_rows = sorted({int(n.replace("_", "")) for n in args.rows.split(",") if n.strip()} | (
            {100_000_000} if args.hundred_million else set()))
    except ValueError:
        parser.error(f"--rows takes whole numbers separated by commas, not {args.rows!r}")
    args.host_rows = [WEB_ROWS] if args.quick else [HOST_ROWS] + ([100_000_000] if args.hundred_million else [])
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    # A SIGTERM (or SIGINT to a background job, which ignores it) still stops the servers and
    # drops the bench databases: raise, so every `finally` runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = [b for b in BENCHES if b in (args.benches or DEFAULT_BENCHES)]
    info = machine()
    print("Panes benchmarks on " + ", ".join(f"{k}: {v}" for k, v in info.items() if k in ("CPU", "Cores", "Memory", "Python")))
    started = time.perf_counter()
    sections: list[Section] = []
    failures = 0
    work = Path(tempfile.mkdtemp(prefix="panes-bench-"))
    web_server = None
    try:
        for name in chosen:
            section = Section(TITLES[name])
            sections.append(section)
            print(f"\n{section.name}", flush=True)
            try:
                if name == "mint":
                    import mint_bench

                    mint_bench.run(section, quick=args.quick)
                elif name == "engine":
                    import engine_bench

                    engine_bench.run(section, work / "engine", sizes=args.engine_rows, results_md=args.output)
                elif name == "host":
                    import host_bench

                    host_bench.run(section, work / "host", sizes=args.host_rows, quick=args.quick, setup=args.setup)
                else:
                    if web_server is None:
                        web_server = _web_server(work)
                    module = __import__(f"{name}_bench")
                    module.run(section, web_server, quick=args.quick)
            except Exception as exc:  # one broken benchmark must not lose the others' figures
                failures += 1
                traceback.print_exc()
                section.add("FAILED", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    finally:
        if web_server is not None:
            web_server.drop()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"data kept in {work}")

    elapsed = time.perf_counter() - started
    info["Total bench time"] = f"{elapsed / 60:.1f} min"
    shown = [a for i, a in enumerate(argv) if a != "--note" and (i == 0 or argv[i - 1] != "--note") and not a.startswith("--note=")]
    command = ".venv/bin/python bench/run.py" + ("" if not shown else " " + shlex.join(shown))
    text = _results_file(sections, info, command, args.note, args.output)
    print("\n" + text)
    args.output.write_text(text)
    save_json(BENCH_DIR / "out" / f"{args.output.stem}.json", sections, info)
    print(f"written to {args.output}")
    return 1 if failures else 0


def _results_file(sections: list[Section], info: dict[str, str], command: str, note: str, path: Path) -> str:
    """This run's figures, with what it did not measure kept from the previous file: the main
    table when only the engine or host ran, their sections when they did not, and the History."""
    try:
        previous = path.read_text()
    except OSError:
        previous = ""
    own = {name: s for name in OWN_SECTIONS for s in sections if s.name == TITLES[name]}
    others = [s for s in sections if s not in own.values()]
    every_heading = (*HEADINGS.values(), HISTORY_HEADING)
    if others or not own:
        text = markdown(others, info, command, preamble=note)
    else:
        text = _part(previous, "", *every_heading)
    text = text.rstrip("\n") + "\n"
    for name, heading in HEADINGS.items():
        if name in own:
            text += "\n" + markdown_section(own[name], info, command)
        else:
            text += _part(previous, heading, *(h for h in every_heading if h != heading))
    return text + _part(previous, HISTORY_HEADING)


def _part(text: str, start: str, *ends: str) -> str:
    """``text`` from ``start`` (the beginning when empty) to the first of ``ends`` that follows
    it (the end when none does); empty when ``start`` is not in it."""
    begin = text.find(start) if start else 0
    if begin < 0:
        return ""
    stops = [i for i in (text.find(end, begin + 1) for end in ends) if i >= 0]
    return text[begin:min(stops)] if stops else text[begin:]


def _web_server(work: Path):
    from _server import PanesServer

    print(f"  (starting Panes under gunicorn with the demo, {WEB_ROWS:,} orders, on SQLite)", flush=True)
    server = PanesServer(work / "web")
    server.prepare(rows=WEB_ROWS)
    server.start()
    return server


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
