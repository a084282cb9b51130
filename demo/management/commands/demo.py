"""`manage.py demo`: the offline demo — orders on the built-in host, charts, dashboards, people.

Idempotent: running it again changes nothing unless --rows or --seed differ from what is loaded.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from charts import revisions, routing
from charts.models import Chart, Dashboard, DashboardChart, Membership, Tenant, TenantFilterRule, Workspace
from demo import content
from demo.data import ORDER_COLUMNS, order_rows
from pipes.loading import load_rows
from pipes.models import Datasource, Pipe, PipeParam

WORKSPACE_NAME = "Panes built-in host"
ORDERS_INDEX = ("company_id", "date", "amount", "city", "product")


class Command(BaseCommand):
    help = "Load the offline demo: synthetic orders, pipes, charts, dashboards, tenants and users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="Orders to generate (default 100,000).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--reload", action="store_true", help="Reload the orders even if already loaded.")

    def handle(self, *args, rows: int, seed: int, reload: bool, **options) -> None:
        self._load_orders(rows, seed, reload)
        with transaction.atomic():
            pipes = self._pipes()
            workspace = self._workspace()
            charts = self._charts(workspace, pipes)
            tenants = self._tenants()
            self._dashboards(charts, tenants)
            self._users(tenants)
        if (problem := routing.variable_problem(workspace.signing_key_env)) is not None:
            # The demo's workspace reads the built-in host's variable, which the default allow-list holds.
            self.stderr.write(self.style.WARNING(f"The demo's charts get no token: {problem} Add it to PANES_SIGNING_KEY_VARIABLES."))
        self.stdout.write(self.style.SUCCESS(f"Demo ready: log in as alice, bob, carol, dave or admin ({content.DEMO_PASSWORD})."))

    def _load_orders(self, rows: int, seed: int, reload: bool) -> None:
        marker = f"orders rows={rows} seed={seed}"
        loaded = Datasource.objects.filter(name="orders", description=marker).exists()
        if loaded and not reload:
            self.stdout.write(f"orders: already loaded ({rows:,} rows)")
            return
        started = time.perf_counter()
        # Covering: every demo pipe filters by company and reads only these columns, so it scans
        # its tenant's slice of the index and never the table (bench/RESULTS.md: ~10x faster, at
        # the cost of an index about the size of the table).
        load_rows("orders", ORDER_COLUMNS, order_rows(rows, seed), indexes=[ORDERS_INDEX])
        Datasource.objects.filter(name="orders").update(description=marker)
        self.stdout.write(f"orders: loaded {rows:,} rows in {time.perf_counter() - started:.1f}s")

    def _pipes(self) -> dict[str, Pipe]:
        pipes = {}
        for name, spec in content.PIPES.items():
            pipe, _ = Pipe.objects.update_or_create(
                name=name, defaults={"description": spec["description"], "sql": spec["sql"]}
            )
            declared = set()
            for param, kind, required, default in spec["params"]:
                PipeParam.objects.update_or_create(
                    pipe=pipe, name=param, defaults={"type": kind, "required": required, "default": default}
                )
                declared.add(param)
            pipe.params.exclude(name__in=declared).delete()
            pipes[name] = pipe
        return pipes

    def _workspace(self) -> Workspace:
        workspace, _ = Workspace.objects.update_or_create(
            name=WORKSPACE_NAME,
            defaults={
                "workspace_id": settings.PIPES_WORKSPACE_ID,
                "api_host": "",
                "signing_key_env": settings.PIPES_ADMIN_TOKEN_ENV,
                "default_tenant_params": "company_id",
            },
        )
        return workspace

    def _charts(self, workspace: Workspace, pipes: dict[str, Pipe]) -> dict[str, Chart]:
        charts = {}
        for key, title, pipe, chart_type, index, categories, extra in content.CHARTS:
            chart, _ = Chart.objects.update_or_create(
                workspace=workspace,
                title=title,
                defaults={
                    "kind": Chart.Kind.PANES,
                    "pipe_name": pipe,
                    "pipe_id": pipes[pipe].pipe_id,
                    "chart_type": chart_type,
                    "index_column": index,
                    "category_columns": categories,
                    "stacked": extra.get("stacked", False),
                    "is_shared": extra.get("shared", False),
                    "height": 140 if chart_type == Chart.ChartType.KPI else 320,
                    "filter_params": content.FILTER_PARAMS.get(pipe, ""),
                },
            )
            charts[key] = chart
        return charts

    def _tenants(self) -> dict[str, Tenant]:
        tenants = {}
        for slug, name, company_id in content.TENANTS:
            tenant, _ = Tenant.objects.update_or_create(
                slug=slug, defaults={"name": name, "is_active": True, "brand_colors": content.BRAND_COLORS.get(slug, "")}
            )
            if company_id:
                TenantFilterRule.objects.update_or_create(
                    tenant=tenant, param="company_id", chart=None, defaults={"value": company_id, "value_type": "string"}
                )
            tenants[slug] = tenant
        return tenants

    def _dashboards(self, charts: dict[str, Chart], tenants: dict[str, Tenant]) -> None:
        for slug, title, description, visible_to_all, tenant_slugs, tiles in content.DASHBOARDS:
            dashboard, _ = Dashboard.objects.update_or_create(
                slug=slug, defaults={"title": title, "description": description, "visible_to_all": visible_to_all}
            )
            dashboard.tenants.set([tenants[s] for s in tenant_slugs])
            dashboard.tiles.all().delete()
            DashboardChart.objects.bulk_create(  # sends no signals: bump below
                DashboardChart(dashboard=dashboard, chart=charts[key], position=i, width=width)
                for i, (key, width) in enumerate(tiles)
            )
        revisions.bump()

    def _users(self, tenants: dict[str, Tenant]) -> None:
        User = get_user_model()
        for username, slugs in content.USERS.items():
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": username.title()})
            if created:
                user.set_password(content.DEMO_PASSWORD)
                user.save()
            for slug in slugs:
                Membership.objects.get_or_create(user=user, tenant=tenants[slug])
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "Admin"}
        )
        if created:
            admin.set_password(content.DEMO_PASSWORD)
            admin.save()
