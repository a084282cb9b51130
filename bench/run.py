"""Panes' benchmarks: print a table of figures and write it to bench/RESULTS.md.

    .venv/bin/python bench/run.py                    # everything (about 10 minutes; 10M rows: --10m)
    .venv/bin/python bench/run.py mint token page    # a subset: mint token page pipe browser
    .venv/bin/python bench/run.py --quick            # smoke run: short, small, no PostgreSQL 1M+

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

from _common import Section, machine, markdown, save_json  # noqa: E402

BENCHES = ("mint", "token", "page", "pipe", "browser")
TITLES = {
    "mint": "1. Minting",
    "token": "2. Token endpoint",
    "page": "3. Dashboard page",
    "pipe": "4. Pipe API",
    "browser": "5. Browser",
}
WEB_ROWS = 100_000  # orders behind the token, page and browser benchmarks (the demo's default)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benches", nargs="*", metavar="BENCH", help=f"any of {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short loads, 100k rows, SQLite only for pipes")
    parser.add_argument("--10m", dest="ten_million", action="store_true", help="also run the pipe benchmark at 10M rows (slow)")
    parser.add_argument("--no-postgres", action="store_true", help="pipe benchmark on SQLite only")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md", help="where to write the table")
    parser.add_argument("--note", default="", help="a line put at the top of the results file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folders")
    args = parser.parse_args(argv)
    unknown = [b for b in args.benches if b not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHES)}")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    # A SIGTERM (or SIGINT to a background job, which ignores it) still stops the servers and
    # drops the bench databases: raise, so every `finally` runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = [b for b in BENCHES if b in (args.benches or BENCHES)]
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
                elif name == "pipe":
                    import pipe_bench

                    sizes = [100_000] if args.quick else [100_000, 1_000_000] + ([10_000_000] if args.ten_million else [])
                    databases = ["sqlite"] if args.quick or args.no_postgres else ["sqlite", "postgres"]
                    pipe_bench.run(section, work, sizes=sizes, databases=databases, quick=args.quick)
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
    text = markdown(sections, info, command, preamble=args.note) + _history(args.output)
    print("\n" + text)
    args.output.write_text(text)
    save_json(BENCH_DIR / "out" / f"{args.output.stem}.json", sections, info)
    print(f"written to {args.output}")
    return 1 if failures else 0


def _history(path: Path) -> str:
    """The "## History" section of the previous results file, kept from run to run."""
    try:
        previous = path.read_text()
    except OSError:
        return ""
    start = previous.find("\n## History\n")
    return "" if start < 0 else previous[start:]


def _web_server(work: Path):
    from _server import PanesServer

    print(f"  (starting Panes under gunicorn with the demo, {WEB_ROWS:,} orders, on SQLite)", flush=True)
    server = PanesServer(work / "web")
    server.prepare(rows=WEB_ROWS)
    server.start()
    return server


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
