"""`manage.py demo`: the offline demo — its Tinybird project deployed on the built-in host, orders
generated in ClickHouse, charts, dashboards, tenants and people.

Idempotent: the deploy changes nothing when demo/tinybird/ has not changed, and the orders are
reloaded only when --rows or --seed differ from what the ``demo_load`` datasource says is loaded.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from charts import revisions, routing
from charts.models import Chart, Dashboard, DashboardChart, Membership, Tenant, TenantFilterRule, Workspace
from demo import content
from demo.data import GENERATE_ORDERS, generate_parameters
from pipes import catalogue, endpoint
from pipes.deploy import DeployBusy, DeployError, deploy
from pipes.engine import Engine, EngineError, runtime

WORKSPACE_NAME = "Panes built-in host"
PROJECT = Path(__file__).resolve().parents[2] / "tinybird"
# Rows per INSERT … SELECT: each is one statement ClickHouse runs on every core, and the unit
# progress is reported in.
CHUNK_ROWS = 5_000_000


class Command(BaseCommand):
    help = "Load the offline demo: its Tinybird project, synthetic orders, charts, dashboards, tenants and users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="Orders to generate (default 100,000).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--reload", action="store_true", help="Reload the orders even if already loaded.")

    def handle(self, *args: object, rows: int, seed: int, reload: bool, **options: object) -> None:
        if rows < 0:
            raise CommandError("--rows must be 0 or more.")
        try:
            engine = runtime.engine()
            self._deploy(engine)
            self._load_orders(engine, rows, seed, reload)
        except EngineError as error:
            raise CommandError(f"The built-in host's ClickHouse refused: {error}") from None
        with transaction.atomic():
            workspace = self._workspace()
            charts = self._charts(workspace, self._pipe_ids())
            tenants = self._tenants()
            self._dashboards(charts, tenants)
            self._users(tenants)
        if (problem := routing.variable_problem(workspace.signing_key_env)) is not None:
            # The demo's workspace reads the built-in host's variable, which the default allow-list holds.
            self.stderr.write(self.style.WARNING(f"The demo's charts get no token: {problem} Add it to PANES_SIGNING_KEY_VARIABLES."))
        self.stdout.write(self.style.SUCCESS(f"Demo ready: log in as alice, bob, carol, dave or admin ({content.DEMO_PASSWORD})."))

    def _deploy(self, engine: Engine) -> None:
        try:
            deploy(PROJECT, engine=engine, out=self.stdout.write)
        except DeployError as error:
            raise CommandError("The demo's project does not deploy: " + "; ".join(map(str, error.errors))) from None
        except DeployBusy as error:
            raise CommandError(str(error)) from None

    def _load_orders(self, engine: Engine, rows: int, seed: int, reload: bool) -> None:
        loaded = engine.query("SELECT rows, seed FROM demo_load ORDER BY loaded_at DESC LIMIT 1").data
        if loaded and (int(loaded[0]["rows"]), int(loaded[0]["seed"])) == (rows, seed) and not reload:
            self.stdout.write(f"orders: already loaded ({rows:,} rows, seed {seed})")
            return
        # The marker goes first and comes back last: a load killed half-way is reloaded next time.
        for table in ("demo_load", "orders", "orders_daily"):
            engine.command(f"TRUNCATE TABLE {table}")
        started = time.monotonic()
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            engine.command(GENERATE_ORDERS, generate_parameters(start, count, seed))
            done, elapsed = start + count, time.monotonic() - started
            eta = elapsed / done * (rows - done)
            self.stdout.write(f"  orders: {done:,}/{rows:,} rows ({elapsed:.1f}s, eta {eta:.1f}s)")
        engine.insert("demo_load", ["rows", "seed", "loaded_at"], [(rows, seed, datetime.now(timezone.utc).replace(tzinfo=None))])
        self.stdout.write(f"orders: loaded {rows:,} rows in {time.monotonic() - started:.1f}s")

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

    def _pipe_ids(self) -> dict[str, str]:
        """The deployed endpoints' ids, as the host's listing gives them (tokens may name either)."""
        project = catalogue.current()
        if project is None:
            return {}
        return {name: endpoint.pipe_id(name) for name, pipe in project.pipes.items() if pipe.type == "endpoint"}

    def _charts(self, workspace: Workspace, pipe_ids: dict[str, str]) -> dict[str, Chart]:
        charts = {}
        for key, title, pipe, chart_type, index, categories, extra in content.CHARTS:
            chart, _ = Chart.objects.update_or_create(
                workspace=workspace,
                title=title,
                defaults={
                    "kind": Chart.Kind.PANES,
                    "pipe_name": pipe,
                    "pipe_id": pipe_ids.get(pipe, ""),
                    "chart_type": chart_type,
                    "index_column": index,
                    "category_columns": categories,
                    "stacked": extra.get("stacked", False),
                    "unit": extra.get("unit", ""),
                    "is_shared": extra.get("shared", False),
                    "height": 140 if chart_type == Chart.ChartType.KPI else 320,
                    "filter_params": content.FILTER_PARAMS.get(pipe, ""),
                    "cross_filter_param": extra.get("cross_filter", ""),
                    "drill_pipe": extra["drill"][0] if "drill" in extra else "",
                    "drill_params": extra["drill"][1] if "drill" in extra else "",
                    "title_translations": content.TITLES.get(key, {}),
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
                slug=slug,
                defaults={
                    "title": title,
                    "description": description,
                    "visible_to_all": visible_to_all,
                    "title_translations": content.TITLES.get(slug, {}),
                },
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
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": username.title(), "email": f"{username}@{content.EMAIL_DOMAIN}"},
            )
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
