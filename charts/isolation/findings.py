"""What a tenant's token would carry per chart (``Row``), and every configuration under which one
tenant could read another's rows (``Finding``): same-values, shared-and-filtered, unfiltered,
param-unused, param-optional, and the warnings param-guarded, sql-unreadable and pipe-missing.
``audit`` gathers them, errors first.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from ..tokens import MintPlan
from .listing import GUARDED, PipeInfo

FILTERED = "tenant-filtered"
SHARED = "shared on purpose"
NOT_CONFIGURED = "not configured"

ERROR = "error"
WARNING = "warning"


# --- input ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartInfo:
    """What the audit needs to know of a chart."""

    key: int | str  # the chart's id, as in ``MintPlan.unconfigured``
    title: str
    workspace: str  # the workspace's name
    pipe: str  # the pipe's name
    resource: str  # the token scope's resource: the pipe id when set, else its name
    tenant_params: tuple[str, ...]
    shared: bool = False
    # Set on the detail pipe a chart drills into: the drilling chart's key. Its token scope is
    # computed from that chart's params, so the pipe must filter by them as the chart's own does.
    drill_of: int | str | None = None


# --- output ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One chart on one dashboard, as one tenant's token would serve it."""

    dashboard: str
    chart: ChartInfo
    tenant: str
    status: str  # FILTERED | SHARED | NOT_CONFIGURED
    fixed_params: Mapping[str, object] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    note: str = ""

    @property
    def detail(self) -> str:
        if self.note:
            return self.note
        if self.status == FILTERED:
            return format_params(self.fixed_params)
        if self.status == SHARED:
            return "same data for every tenant"
        if self.missing:
            return "no rule for " + ", ".join(self.missing)
        return "no tenant params and not marked shared"


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR | WARNING
    code: str
    workspace: str
    pipe: str
    message: str

    def __str__(self) -> str:
        where = f"{self.workspace}/{self.pipe}" if self.pipe else self.workspace
        return f"{self.severity.upper()} {self.code} [{where}]: {self.message}"


def format_params(params: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(params.items())) or "(none)"


def rows_for(*, dashboard: str, tenant: str, charts: Sequence[ChartInfo], plan: MintPlan) -> list[Row]:
    """The rows of one dashboard's charts on one workspace, for one tenant, from its plan."""
    scopes = {scope["resource"]: scope.get("fixed_params") or {} for scope in plan.payload["scopes"]}
    rows = []
    for chart in charts:
        base: dict[str, Any] = {"dashboard": dashboard, "chart": chart, "tenant": tenant}
        if chart.drill_of is not None and chart.drill_of in plan.no_drill | set(plan.unconfigured):
            note = "drill-through not offered: no scope for its pipe"
            rows.append(Row(**base, status=NOT_CONFIGURED, note=note))
        elif chart.key in plan.unconfigured:
            rows.append(Row(**base, status=NOT_CONFIGURED, missing=tuple(plan.unconfigured[chart.key])))
        elif chart.resource not in scopes:
            # Minting left its pipe out without naming this chart: another chart on the pipe
            # filters by nothing and is not marked shared.
            note = "no scope: another chart on its pipe has no tenant params and is not marked shared"
            rows.append(Row(**base, status=NOT_CONFIGURED, note=note))
        elif scopes[chart.resource]:
            rows.append(Row(**base, status=FILTERED, fixed_params=dict(scopes[chart.resource])))
        else:
            rows.append(Row(**base, status=SHARED if chart.shared else FILTERED))
    return rows


def _comparable(value: object) -> str:
    """A value as a chart host would compare it once coerced: 1, 1.0 and "1" are the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def overlap_findings(rows: Iterable[Row]) -> list[Finding]:
    """Tenants whose tokens fix the same value for every param both fix on the same pipe."""
    fixed_by_pipe: dict[tuple[str, str], dict[str, set[tuple]]] = {}
    for row in rows:
        if row.status == FILTERED and row.fixed_params:
            items = tuple(sorted(row.fixed_params.items()))
            fixed_by_pipe.setdefault((row.chart.workspace, row.chart.pipe), {}).setdefault(row.tenant, set()).add(items)
    findings = []
    for (workspace, pipe), by_tenant in sorted(fixed_by_pipe.items()):
        seen: set[tuple] = set()
        for first, second in combinations(sorted(by_tenant), 2):
            for a in sorted(by_tenant[first], key=repr):
                for b in sorted(by_tenant[second], key=repr):
                    da, db = dict(a), dict(b)
                    common = sorted(set(da) & set(db))
                    if not common or any(_comparable(da[p]) != _comparable(db[p]) for p in common):
                        continue
                    shared_values = {p: da[p] for p in common}
                    key = (first, second, tuple(shared_values.items()))
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append(
                        Finding(
                            ERROR,
                            "same-values",
                            workspace,
                            pipe,
                            f"tenants {first} and {second} both fix {format_params(shared_values)}: "
                            "each can read the other's rows.",
                        )
                    )
    return findings


def shared_findings(rows: Iterable[Row], charts: Iterable[ChartInfo]) -> list[Finding]:
    """Unfiltered reads of pipes that some chart says must be filtered per tenant, and scopes
    without fixed params for charts not marked shared."""
    rows = list(rows)
    filtering: dict[tuple[str, str], dict[str, ChartInfo]] = {}
    for chart in charts:
        if chart.tenant_params and not chart.shared:
            filtering.setdefault((chart.workspace, chart.pipe), {})[chart.title] = chart
    findings = []
    reported: set[tuple] = set()
    for row in rows:
        where = (row.chart.workspace, row.chart.pipe)
        if row.status == SHARED and where in filtering and (where, row.chart.title) not in reported:
            reported.add((where, row.chart.title))
            other = next(iter(sorted(filtering[where])))
            params = ", ".join(filtering[where][other].tenant_params)
            findings.append(
                Finding(
                    ERROR,
                    "shared-and-filtered",
                    *where,
                    f"chart {row.chart.title!r} is marked shared and reads the pipe unfiltered, but chart "
                    f"{other!r} filters it by {params}: the shared chart's token reads every tenant's rows.",
                )
            )
        if row.status == FILTERED and not row.fixed_params and (where, row.chart.title, "u") not in reported:
            reported.add((where, row.chart.title, "u"))
            findings.append(
                Finding(
                    ERROR,
                    "unfiltered",
                    *where,
                    f"chart {row.chart.title!r} is not marked shared but its token would read the pipe "
                    "with no fixed params.",
                )
            )
    return findings


def pipe_findings(charts: Iterable[ChartInfo], listings: Mapping[str, Mapping[str, PipeInfo] | None]) -> list[Finding]:
    """SQL and param checks of every pipe a chart says it filters by tenant params.

    ``listings`` maps a workspace name to its parsed listing, or None when it could not be read
    (the caller reports why, once per workspace).
    """
    needed: dict[tuple[str, str], dict[str, None]] = {}
    resources: dict[tuple[str, str], list[str]] = {}
    for chart in charts:
        if chart.shared or not chart.tenant_params:
            continue
        key = (chart.workspace, chart.pipe)
        needed.setdefault(key, {}).update(dict.fromkeys(chart.tenant_params))
        resources.setdefault(key, []).append(chart.resource)
    findings = []
    for (workspace, name), params in sorted(needed.items()):
        listing = listings.get(workspace)
        if listing is None:
            continue
        pipe = next((listing[r] for r in [*resources[(workspace, name)], name] if r in listing), None)
        if pipe is None:
            findings.append(
                Finding(WARNING, "pipe-missing", workspace, name, "the chart host does not list this pipe; its charts fail.")
            )
            continue
        for node, why in pipe.unreadable():
            findings.append(
                Finding(
                    WARNING,
                    "sql-unreadable",
                    workspace,
                    name,
                    f"node {node}'s SQL does not parse as a template ({why}): its params are not counted as used.",
                )
            )
        for param in params:
            use = pipe.use_of(param)
            if use is None:
                findings.append(
                    Finding(
                        ERROR,
                        "param-unused",
                        workspace,
                        name,
                        f"the pipe ignores its tenant param: its SQL does not use {param} in any node, so the "
                        "fixed value changes nothing and every tenant's rows are returned.",
                    )
                )
            elif use == GUARDED:
                # Optional by construction, so the declared-optional error below would repeat it.
                findings.append(
                    Finding(
                        WARNING,
                        "param-guarded",
                        workspace,
                        name,
                        f"{param} is used only inside {{% if defined({param}) %}}: optional, relies on fixed_params. "
                        "Panes' tokens fix it; a token without it reads every tenant's rows.",
                    )
                )
                continue
            declared = [p.required for p in pipe.declarations(param)]
            if False in declared and True not in declared:
                findings.append(
                    Finding(
                        ERROR,
                        "param-optional",
                        workspace,
                        name,
                        f"the pipe declares its tenant param {param} optional: a token without it "
                        "(or a shared chart's) reads every tenant's rows. Make it required.",
                    )
                )
    return findings


def audit(
    rows: Sequence[Row], charts: Sequence[ChartInfo], listings: Mapping[str, Mapping[str, PipeInfo] | None]
) -> list[Finding]:
    """Every finding, errors first."""
    findings = [*overlap_findings(rows), *shared_findings(rows, charts), *pipe_findings(charts, listings)]
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.workspace, f.pipe, f.code, f.message))
