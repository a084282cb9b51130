"""Mint the token a member would get for a dashboard, and print its decoded payload and the token.

    manage.py mint_token --user alice --dashboard sales [--tenant acme]

For operators checking what a tenant's tokens carry, or handing a token to a test client. Every
token minted is audited as one TokenGrant, as in the web app. The signing key is never printed.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch

from charts import grants, tokens
from charts.models import Dashboard, DashboardChart, Membership, Tenant


class Command(BaseCommand):
    help = "Mint a dashboard token for a user of a tenant; print its decoded payload and the token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username (or numeric id) of the member")
        parser.add_argument("--dashboard", required=True, help="slug (or numeric id) of the dashboard")
        parser.add_argument("--tenant", help="slug of the tenant; needed only if the user belongs to several")

    def handle(self, *args, user: str, dashboard: str, tenant: str | None, **options) -> None:
        member = self._user(user)
        board = self._dashboard(dashboard)
        memberships = list(
            Membership.objects.filter(user=member, is_active=True, tenant__is_active=True).select_related("tenant")
        )
        chosen = self._tenant(member, board, memberships, tenant)

        charts = [tile.chart for tile in board.tiles.all()]
        if not charts:
            raise CommandError(f"Dashboard {board.slug!r} has no charts: there is nothing to mint a token for.")
        by_workspace: dict[int, list] = {}
        for chart in charts:
            by_workspace.setdefault(chart.workspace_id, []).append(chart)
        rules = grants.tenant_rules(chosen)
        now = datetime.now(timezone.utc)
        for ws_charts in by_workspace.values():
            workspace = ws_charts[0].workspace
            plan = grants.plan_for(
                tenant=chosen, user_id=member.pk, workspace=workspace, charts=ws_charts, rules=rules, now=now
            )
            self.stdout.write(f"Workspace {workspace.name} ({workspace.workspace_id})")
            self.stdout.write("Payload:")
            self.stdout.write(json.dumps(plan.payload, indent=2, sort_keys=True))
            for chart in ws_charts:
                if chart.pk in plan.unconfigured:
                    missing = plan.unconfigured[chart.pk]
                    why = f"no rule for {', '.join(missing)}" if missing else "no tenant params and not marked shared"
                    self.stdout.write(f"Not configured for {chosen.slug}: {chart.title} ({why})")
            if not plan.payload["scopes"]:
                self.stdout.write("No scopes: no token minted for this workspace.")
                continue
            try:
                token = grants.sign_and_record(
                    plan.payload, user=member, tenant=chosen, workspace=workspace, dashboard=board
                )
            except tokens.SigningKeyError as exc:
                raise CommandError(f"Workspace {workspace.name!r}: {exc}") from None
            self.stdout.write("Token:")
            self.stdout.write(token)

    @staticmethod
    def _user(value: str):
        User = get_user_model()
        lookup = {"pk": int(value)} if value.isdigit() else {User.USERNAME_FIELD: value}
        try:
            return User.objects.get(**lookup)
        except User.DoesNotExist:
            raise CommandError(f"No user {value!r}.") from None

    @staticmethod
    def _dashboard(value: str) -> Dashboard:
        tiles = DashboardChart.objects.select_related("chart__workspace").order_by("position", "id")
        queryset = Dashboard.objects.prefetch_related(Prefetch("tiles", queryset=tiles))
        lookup = {"pk": int(value)} if value.isdigit() else {"slug": value}
        try:
            return queryset.get(**lookup)
        except Dashboard.DoesNotExist:
            raise CommandError(f"No dashboard {value!r}.") from None

    @staticmethod
    def _tenant(user, board: Dashboard, memberships: list[Membership], slug: str | None) -> Tenant:
        if slug is not None:
            if not Tenant.objects.filter(slug=slug).exists():
                raise CommandError(f"No tenant {slug!r}.")
            tenant = next((m.tenant for m in memberships if m.tenant.slug == slug), None)
            if tenant is None:
                raise CommandError(f"User {user} is not an active member of tenant {slug!r}.")
        else:
            if not memberships:
                raise CommandError(f"User {user} is not an active member of any tenant.")
            seeing = [m.tenant for m in memberships if Dashboard.objects.visible_to(m.tenant).filter(pk=board.pk).exists()]
            if len(memberships) == 1:
                tenant = memberships[0].tenant
            elif len(seeing) == 1:
                tenant = seeing[0]
            else:
                slugs = ", ".join(sorted(m.tenant.slug for m in memberships))
                raise CommandError(f"User {user} belongs to several tenants ({slugs}); pass --tenant.")
        if not Dashboard.objects.visible_to(tenant).filter(pk=board.pk).exists():
            raise CommandError(f"Dashboard {board.slug!r} is not visible to tenant {tenant.slug!r}.")
        return tenant
