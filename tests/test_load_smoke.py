"""bench/load.py for a few seconds: every route answers, no errors, no tenant sees another's rows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import load  # noqa: E402  (bench/load.py)

ACME = load.Figures(kpi=(100.5, 3), cities={"Berlin": (40.0, 2), "Paris": (60.5, 1)})


def test_the_checker_counts_rows_that_are_not_the_tenants_own() -> None:
    """The smoke test below would pass with a checker that never objects: this one shows it does."""
    assert load.cross_tenant("kpi_totals", [{"revenue": 100.5, "orders": 3}], ACME) == 0
    assert load.cross_tenant("kpi_totals", [{"revenue": 999.0, "orders": 7}], ACME) == 1
    own = [{"city": "Berlin", "revenue": 40.0, "orders": 2}, {"city": "Paris", "revenue": 60.5, "orders": 1}]
    assert load.cross_tenant("sales_by_city", own, ACME) == 0
    assert load.cross_tenant("sales_by_city", [*own, {"city": "Rome", "revenue": 5.0, "orders": 1}], ACME) == 1


@pytest.mark.slow
def test_five_seconds_of_load_have_no_errors_and_no_cross_tenant_rows() -> None:
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--duration", "5", "--concurrency", "4", "--rows", "2000", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["cross_tenant_rows"] == 0
    assert all(route["requests"] > 0 for route in figures["routes"].values()), figures["routes"]
