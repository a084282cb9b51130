"""Audit tenant isolation: what every tenant's tokens would carry, and where one tenant could
read another's rows.

    manage.py check_isolation [--api-origin http://127.0.0.1:8000] [--timeout 10]

For every active tenant and every dashboard it sees, it computes the payload Panes would mint
(``grants.plan_for``; nothing is signed or recorded) and prints one row per chart, and one per
chart's drill-through pipe: tenant-filtered with its fixed params, shared on purpose, or not
configured with the params that have no rule.
It reads each workspace's pipe listing (``GET /v0/pipes`` with the workspace's admin token, as
Tinybird serves it) to check every pipe's SQL and params; the built-in host is asked in-process
through Django's URL routing unless ``--api-origin`` names a running server.

Exits non-zero (naming each problem) when tenants could see each other's rows; see
``charts.isolation`` for the checks. An unreachable host is a warning. Keys are never printed.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch

from charts import filters, grants, isolation
from charts.models import Chart, Dashboard, DashboardChart, Tenant, TenantFilterRule, Workspace
from charts.pipe_listing import ListingRefused, ListingUnavailable, read_listing


class Command(BaseCommand):
    help = "Show what every tenant's tokens would carry per dashboard chart; fail where tenants could see each other's rows."
    # It diagnoses configuration, a missing key included: it must run when system checks fail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--api-origin",
            help="Origin of a running Panes server to read the built-in host's pipe listing from "
            "(default: ask it in-process, no server needed).",
        )
        parser.add_argument("--timeout", type=float, default=10.0, help="Seconds to wait for a chart host (default 10).")

    def handle(self, *args, api_origin: str | None, timeout: float, **options) -> None:
        if api_origin is not None and not api_origin.startswith(("http://", "https://")):
            raise CommandError("--api-origin must start with http:// or https://")
        rows, charts, workspaces, findings = self._rows()
        listings: dict[str, dict | None] = {}
        for workspace in workspaces:
            try:
                listings[workspace.name] = self._listing(workspace, api_origin=api_origin, timeout=timeout)
            except ListingRefused as exc:
                listings[workspace.name] = None
                findings.append(isolation.Finding(isolation.ERROR, "workspace-not-allowed", workspace.name, "", str(exc)))
            except ListingUnavailable as exc:
                listings[workspace.name] = None
                findings.append(
                    isolation.Finding(
                        isolation.WARNING, "listing-unavailable", workspace.name, "", f"{str(exc).rstrip('.')}; pipe checks skipped."
                    )
                )
        findings = isolation.audit(rows, charts, listings) + sorted(findings, key=str)
        errors = [f for f in findings if f.severity == isolation.ERROR]

        self.stdout.write("\n".join(isolation.row_table(rows)))
        counts = {s: sum(r.status == s for r in rows) for s in (isolation.FILTERED, isolation.SHARED, isolation.NOT_CONFIGURED)}
        self.stdout.write(
            f"\n{len(rows)} chart rows: {counts[isolation.FILTERED]} tenant-filtered, "
            f"{counts[isolation.SHARED]} shared on purpose, {counts[isolation.NOT_CONFIGURED]} not configured."
        )
        if findings:
            self.stdout.write("\n" + "\n".join(isolation.finding_table(findings)))
        if errors:
            summary = "\n".join(f"  - {f}" for f in errors)
            raise CommandError(f"{len(errors)} isolation problem(s): a tenant could read another tenant's rows.\n{summary}")
        self.stdout.write(self.style.SUCCESS("\nNo isolation problems found."))

    # --- what each tenant's tokens would carry ---------------------------------------------------

    def _rows(
        self,
    ) -> tuple[list[isolation.Row], list[isolation.ChartInfo], list[Workspace], list[isolation.Finding]]:
        """Rows by dashboard, then chart (in tile order), then tenant; the charts and workspaces
        on dashboards; warnings about charts that cannot be planned."""
        tiles = DashboardChart.objects.select_related("chart__workspace").order_by("position", "id")
        dashboards = Dashboard.objects.prefetch_related(Prefetch("tiles", queryset=tiles)).order_by("title")
        rules = TenantFilterRule.objects.select_related("chart__workspace")
        tenants = list(
            Tenant.objects.filter(is_active=True).prefetch_related(Prefetch("filter_rules", queryset=rules)).order_by("name")
        )
        # The model's own definition of who sees what: one query per tenant.
        visible = {t.pk: set(Dashboard.objects.visible_to(t).values_list("pk", flat=True)) for t in tenants}
        now = datetime.now(timezone.utc)
        rows: list[isolation.Row] = []
        infos: dict[int, isolation.ChartInfo] = {}
        drills: dict[int, isolation.ChartInfo] = {}  # chart id -> its drill-through's pipe
        workspaces: dict[int, Workspace] = {}
        findings: list[isolation.Finding] = []
        for dashboard in dashboards:
            charts = []
            for chart in {tile.chart.pk: tile.chart for tile in dashboard.tiles.all()}.values():
                if chart.pk not in infos and (info := self._info(chart, findings)) is not None:
                    infos[chart.pk] = info
                    if (drill := self._drill_info(info, chart)) is not None:
                        drills[chart.pk] = drill
                if chart.pk in infos:
                    charts.append(chart)
                    workspaces[chart.workspace_id] = chart.workspace
            by_workspace: dict[int, list[Chart]] = {}
            for chart in charts:
                by_workspace.setdefault(chart.workspace_id, []).append(chart)
            board_rows: list[isolation.Row] = []
            for tenant in tenants:
                if dashboard.pk not in visible[tenant.pk]:
                    continue
                tenant_rules = list(tenant.filter_rules.all())
                for ws_charts in by_workspace.values():
                    plan = grants.plan_for(
                        tenant=tenant, user_id=0, workspace=ws_charts[0].workspace, charts=ws_charts, rules=tenant_rules, now=now
                    )
                    read = [infos[c.pk] for c in ws_charts] + [drills[c.pk] for c in ws_charts if c.pk in drills]
                    board_rows.extend(isolation.rows_for(dashboard=dashboard.slug, tenant=tenant.slug, charts=read, plan=plan))
            # A drill-through's rows follow its chart's.
            position: dict[int | str, float] = {chart.pk: i for i, chart in enumerate(charts)}
            position.update({drills[c.pk].key: position[c.pk] + 0.5 for c in charts if c.pk in drills})
            tenant_order = {t.slug: i for i, t in enumerate(tenants)}
            rows.extend(sorted(board_rows, key=lambda r: (position[r.chart.key], tenant_order[r.tenant])))
        return rows, [*infos.values(), *drills.values()], list(workspaces.values()), findings

    @staticmethod
    def _drill_info(info: isolation.ChartInfo, chart: Chart) -> isolation.ChartInfo | None:
        """The detail pipe ``chart`` drills into, audited like a chart with its tenant params."""
        spec = filters.chart_spec(chart)
        if spec.detail_resource is None:
            return None
        return replace(
            info,
            key=f"{chart.pk}:drill",
            title=f"{chart.title} (drill-through)",
            pipe=chart.drill_pipe,
            resource=spec.detail_resource,
            drill_of=chart.pk,
        )

    @staticmethod
    def _info(chart: Chart, findings: list[isolation.Finding]) -> isolation.ChartInfo | None:
        try:
            params = chart.tenant_param_names
        except ValidationError:
            findings.append(
                isolation.Finding(
                    isolation.WARNING,
                    "bad-tenant-params",
                    chart.workspace.name,
                    chart.pipe_name,
                    f"chart {chart.title!r} has invalid tenant params saved; fix them in the admin.",
                )
            )
            return None
        return isolation.ChartInfo(
            key=chart.pk,
            title=chart.title,
            workspace=chart.workspace.name,
            pipe=chart.pipe_name,
            resource=chart.scope_resource,
            tenant_params=params,
            shared=chart.is_shared,
        )

    # --- the pipe listing, over the HTTP contract ------------------------------------------------

    def _listing(self, workspace: Workspace, *, api_origin: str | None, timeout: float) -> dict:
        # The built-in host: at api_origin if given, else asked in-process.
        origin = api_origin.rstrip("/") if api_origin else None
        return read_listing(workspace, origin=origin, timeout=timeout)
