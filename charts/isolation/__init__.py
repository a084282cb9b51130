"""The isolation audit behind ``manage.py check_isolation``: pure logic over plain data.

Given, for every tenant and every dashboard it sees, the charts and the token plan Panes would
mint (``tokens.MintPlan``), and each workspace's pipe listing (Tinybird's ``GET /v0/pipes``
document, with each pipe's nodes, their SQL and params), this package says per chart and tenant
what the token carries, and finds every configuration under which one tenant could read
another's rows:

- ``same-values``: two tenants' tokens fix the same values on the same pipe (for every param
  both fix), so each reads the other's rows;
- ``param-unused``: no node of a pipe uses a param it is supposed to filter tenants by, so the
  fixed value changes nothing;
- ``param-optional``: a pipe declares a tenant param optional (and does not merely guard its
  uses, see ``param-guarded``), so any token without it (or a shared chart's) reads every
  tenant's rows;
- ``shared-and-filtered``: a chart marked "same data for every tenant" reads, unfiltered, a pipe
  another chart says must be filtered per tenant;
- ``unfiltered``: a chart that is not marked shared would get a scope without fixed params.

Warnings (not isolation failures): ``param-guarded``, a tenant param used only inside
``{% if defined(p) %}`` (optional, relies on fixed_params: Panes' tokens fix it, a token without
it reads every tenant's rows); ``sql-unreadable``, a node's template that does not parse; a
listing that cannot be read, a pipe the host does not list, a chart whose saved tenant params
are invalid. No ORM, no HTTP, no settings here: the command gathers the data, so every rule is
testable on its own.

The package: ``listing`` parses a workspace's pipe listing and reads its SQL with
``lib.tinybird_template``; ``findings`` holds the rows and every check; ``report`` prints them.
Callers import from ``charts.isolation``.
"""
from __future__ import annotations

from .findings import (
    ERROR,
    FILTERED,
    NOT_CONFIGURED,
    SHARED,
    WARNING,
    ChartInfo,
    Finding,
    Row,
    audit,
    overlap_findings,
    pipe_findings,
    rows_for,
    shared_findings,
)
from .listing import GUARDED, UNGUARDED, ListingError, NodeInfo, ParamInfo, PipeInfo, parse_listing
from .report import finding_table, row_table, table

__all__ = [
    "ERROR",
    "FILTERED",
    "GUARDED",
    "NOT_CONFIGURED",
    "SHARED",
    "UNGUARDED",
    "WARNING",
    "ChartInfo",
    "Finding",
    "ListingError",
    "NodeInfo",
    "ParamInfo",
    "PipeInfo",
    "Row",
    "audit",
    "finding_table",
    "overlap_findings",
    "parse_listing",
    "pipe_findings",
    "row_table",
    "rows_for",
    "shared_findings",
    "table",
]
