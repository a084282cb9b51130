"""The isolation audit as plain text tables, for ``manage.py check_isolation``."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .findings import Finding, Row


def table(headers: Sequence[str], lines: Iterable[Sequence[str]]) -> list[str]:
    """A plain text table, columns padded to their widest cell."""
    lines = [tuple(str(cell) for cell in line) for line in lines]
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*headers).rstrip(), fmt.format(*("-" * w for w in widths)).rstrip()]
    out.extend(fmt.format(*line).rstrip() for line in lines)
    return out


def row_table(rows: Iterable[Row]) -> list[str]:
    return table(
        ["DASHBOARD", "CHART", "TENANT", "STATUS", "DETAILS"],
        ((r.dashboard, r.chart.title, r.tenant, r.status, r.detail) for r in rows),
    )


def finding_table(findings: Iterable[Finding]) -> list[str]:
    return table(
        ["SEVERITY", "PROBLEM", "WORKSPACE", "PIPE", "DETAILS"],
        ((f.severity, f.code, f.workspace, f.pipe or "-", f.message) for f in findings),
    )
