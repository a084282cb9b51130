"""The operator's side of Panes: every model, the gaps that make tiles fail closed, and a preview
of a dashboard as any tenant sees it.

Signing keys never appear here: a workspace shows only whether its variable holds a usable key.
Token grants are an audit trail, so their admin is read-only.

- ``widgets``: autocomplete widgets that turn a tampered id into a form error
- ``gaps``: configuration-gap reports on changelists and change forms
- ``preview``: "Preview as tenant" for dashboards
- ``host_rows``: tenant rules against the built-in host's rows (empty values, values held)
- ``workspaces``, ``tenants`` (and users with their memberships), ``charts``, ``dashboards`` (with
  the layout editor), ``audit``, ``reports`` (report subscriptions and deliveries): the registrations
"""
from __future__ import annotations

from . import audit, charts, dashboards, reports, tenants, workspaces  # noqa: F401 - registers the admins
from .preview import PREVIEW_PERMISSION

__all__ = ["PREVIEW_PERMISSION"]
