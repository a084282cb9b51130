"""The dashboards product: who belongs to which organisation, what they may see, and the audit of
every token Panes mints for them.

Signing keys are never stored here: a workspace holds only the NAME of the environment variable
that holds its admin token.
"""
from __future__ import annotations

import re
import uuid
import zoneinfo
from functools import cache
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from . import fields
from .tokens import RuleSpec

PARAM_NAME_RE = fields.PARAM_NAME_RE  # one pattern for rules' params and listed params
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
PIPE_ID_RE = re.compile(r"^t_[0-9a-f]{32}$")

param_name_validator = RegexValidator(PARAM_NAME_RE, "Use letters, digits and underscores; start with a letter.")
env_name_validator = RegexValidator(ENV_NAME_RE, "An environment variable name: A-Z, 0-9 and _.")
pipe_id_validator = RegexValidator(PIPE_ID_RE, "A pipe id is t_ followed by 32 lowercase hex digits.")
pipe_name_validator = RegexValidator(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", "A pipe name: letters, digits, _.")


def validate_param_list(text: str) -> None:
    """Kept for migrations 0001 and 0002, which name it; the fields validate themselves now."""
    fields.PARAM.parse(text).validated()


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this machine knows: the one list a stored or chosen zone must be in."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(name: str) -> None:
    if name and name not in time_zones():
        raise ValidationError(f"{name!r} is not a time zone name such as Europe/Warsaw or America/New_York.")


class TitleTranslations(models.Model):
    """A title given per language in the admin ({"de": "Umsatz", "pl": "Sprzedaż"}); the English
    ``title`` is the fallback for any language without one."""

    title_translations = models.JSONField(_("titles in other languages"), default=dict, blank=True)

    class Meta:
        abstract = True

    def title_in(self, language: str | None) -> str:
        """The title for ``language`` ("de", "de-at", "pl"), else the English one."""
        translations = self.title_translations if isinstance(self.title_translations, dict) else {}
        code = (language or "").lower()
        for key in (code, code.split("-")[0]):
            value = translations.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return getattr(self, "title")


def builtin_signing_key_env() -> str:
    """The built-in host's variable: a new workspace's signing-key variable until someone with
    the routing permission picks another."""
    return settings.PIPES_ADMIN_TOKEN_ENV


class Workspace(models.Model):
    """A chart host workspace: Tinybird's, or Panes' built-in host (API host left blank)."""

    name = models.CharField(max_length=100, unique=True)
    workspace_id = models.CharField(
        _("workspace id"), max_length=64, help_text=_("The workspace UUID the host expects in tokens.")
    )
    api_host = models.URLField(
        _("API host"),
        blank=True,
        help_text=_("e.g. https://api.tinybird.co, one of the hosts the operator allows "
        "(PANES_ALLOWED_API_HOSTS). Blank: Panes' built-in host on this server."),
    )
    signing_key_env = models.CharField(
        _("signing key variable"),
        max_length=128,
        validators=[env_name_validator],
        default=builtin_signing_key_env,
        help_text=_("NAME of the environment variable holding the workspace's admin token, one of "
        "those the operator allows (PANES_SIGNING_KEY_VARIABLES). The key itself is never stored."),
    )
    default_tenant_params = fields.CommaSeparatedField(
        max_length=255,
        blank=True,
        default="company_id",
        kind="param",
        help_text=_("Comma-separated params that filter rows per tenant, for charts that set none."),
    )

    class Meta:
        ordering = ["name"]
        permissions = [("change_workspace_routing", "Can change a workspace's API host and signing-key variable")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return not self.api_host

    @property
    def tenant_param_names(self) -> tuple[str, ...]:
        """ValidationError if a stored name is not valid: a chart must not take part of a list."""
        return self.default_tenant_params.validated()


class Tenant(models.Model):
    """An organisation whose members share dashboards and see only their own rows."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit_rps = models.PositiveIntegerField(
        _("requests per second"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Optional per-user limit, put in tokens as limits.rps."),
    )
    brand_colors = fields.CommaSeparatedField(
        _("brand palette"),
        max_length=500,
        blank=True,
        kind="color",
        help_text=_("Comma-separated CSS colours for Panes-rendered charts. Blank: Panes' palette."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("e.g. Europe/Berlin: dates and report schedules of members who set none. Blank: the server's (TIME_ZONE)."),
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="tenants")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        EDITOR = "editor", "Editor"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    class Source(models.TextChoices):
        ADMIN = "admin", "Added by an administrator"
        SSO = "sso", "Intranet group (single sign-on)"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(
        max_length=10,
        choices=Source.choices,
        default=Source.ADMIN,
        help_text=_("Single sign-on adds and removes its own memberships with the person's intranet "
        "groups; it never touches those an administrator added."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="unique_membership")]
        ordering = ["tenant__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant}"


class Chart(TitleTranslations):
    class Kind(models.TextChoices):
        TINYBIRD = "tinybird", "Tinybird-hosted chart (iframe)"
        PANES = "panes", "Panes-rendered chart"

    class ChartType(models.TextChoices):
        LINE = "line", "Line"
        AREA = "area", "Area"
        BAR = "bar", "Bar"
        BAR_LIST = "bar_list", "Horizontal bar list"
        DONUT = "donut", "Donut"
        PIE = "pie", "Pie"
        TABLE = "table", "Table"
        KPI = "kpi", "Single number (KPI)"

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="charts")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PANES)
    pipe_name = models.CharField(max_length=128, validators=[pipe_name_validator])
    pipe_id = models.CharField(
        _("pipe id"),
        max_length=34,
        blank=True,
        validators=[pipe_id_validator],
        help_text=_("Optional t_… id; used as the token scope resource when set."),
    )
    tenant_params = fields.CommaSeparatedField(
        max_length=255,
        blank=True,
        kind="param",
        help_text=_("Comma-separated params this pipe filters tenants by. Blank: the workspace's."),
    )
    is_shared = models.BooleanField(
        _("same data for every tenant"),
        default=False,
        help_text=_("Tick only if this chart's data is identical for every tenant: it gets no tenant filter."),
    )
    height = models.PositiveIntegerField(default=320, validators=[MinValueValidator(80), MaxValueValidator(2000)])
    # Tinybird-hosted: parsed from the pasted iframe snippet or URL.
    embed_host = models.URLField(blank=True, help_text=_("Tinybird UI origin, parsed from the snippet."))
    embed_region = models.CharField(max_length=100, blank=True, help_text=_("Region path, e.g. gcp/europe-west3."))
    embed_chart_uuid = models.UUIDField(null=True, blank=True)
    # Panes-rendered.
    chart_type = models.CharField(max_length=10, choices=ChartType.choices, default=ChartType.LINE)
    index_column = models.CharField(max_length=128, blank=True)
    category_columns = fields.CommaSeparatedField(
        max_length=500, blank=True, kind="column", help_text=_("Comma-separated columns to plot.")
    )
    colors = fields.CommaSeparatedField(max_length=500, blank=True, kind="color", help_text=_("Comma-separated CSS colours."))
    stacked = models.BooleanField(default=False)
    unit = models.CharField(
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^(%|[A-Z]{3}|[^\sA-Z0-9<>&\"'][^\s<>&\"']{0,11})$", "A currency code (EUR), % or a short unit (ms, kg).")],
        help_text=_("How numbers read: a currency code (EUR, USD), % (the values are percentages already), "
        "a short unit (ms, kg) written after them, or blank."),
    )
    filter_params = fields.CommaSeparatedField(
        max_length=255,
        blank=True,
        kind="param",
        help_text=_("Comma-separated pipe params viewers may set from the dashboard's filters "
        "(e.g. date_from, date_to). Params fixed by tenant rules are never settable."),
    )
    refresh_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(5)], help_text=_("Redraw every N seconds (wall screens).")
    )
    # Clicks on the chart's marks (Panes-rendered charts other than KPIs).
    drill_pipe = models.CharField(
        _("drill-through pipe"),
        max_length=128,
        blank=True,
        validators=[pipe_name_validator],
        help_text=_("The pipe whose rows open in a detail table when a viewer clicks a bar, point, slice "
        "or row: this chart's own pipe name, or another pipe that takes the clicked value as a param. "
        "Blank: clicking opens nothing."),
    )
    drill_params = fields.CommaSeparatedField(
        _("drill-through params"),
        max_length=255,
        blank=True,
        kind="param",
        help_text=_("Comma-separated params a click sets, in order: the first gets the clicked mark's "
        "value, each next one the value of that column in the row clicked in the detail table "
        "(e.g. product, city)."),
    )
    cross_filter_param = models.CharField(
        _("cross-filter param"),
        max_length=63,
        blank=True,
        validators=[param_name_validator],
        help_text=_("Clicking a mark sets this dashboard filter to the clicked value, and every other "
        "chart on the page that takes this param is filtered by it (e.g. city). Blank: none."),
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_resource(self) -> str:
        return self.pipe_id or self.pipe_name

    @property
    def tenant_param_names(self) -> tuple[str, ...]:
        """The params that must be fixed for a tenant: none for shared charts."""
        if self.is_shared:
            return ()
        return self.tenant_params.validated() or self.workspace.tenant_param_names

    @property
    def required_tenant_params(self) -> tuple[str, ...]:
        """What a token must fix for this chart, for minting and the filter bar; never raises.

        Like ``tenant_param_names``, but a stored name that is not valid (saved around the form)
        stays in the list instead of raising: no rule can ever name it, so the chart fails closed
        ("Not configured for your organisation") instead of breaking its whole dashboard.
        """
        if self.is_shared:
            return ()
        own = (*self.tenant_params, *self.tenant_params.rejected)
        workspace = self.workspace.default_tenant_params
        return own or (*workspace, *workspace.rejected)

    @property
    def has_drill(self) -> bool:
        """A drill-through is configured (whether a tenant is offered it is filters.drill_offered's)."""
        return bool(self.drill_pipe and self.drill_params)

    @property
    def detail_resource(self) -> str | None:
        """The scope resource a drill reads: the chart's own resource when it drills into its own pipe."""
        if not self.has_drill:
            return None
        return self.scope_resource if self.drill_pipe == self.pipe_name else self.drill_pipe

    @property
    def clickable(self) -> bool:
        """Only Panes-rendered charts that draw marks can be clicked: not a KPI's single number."""
        return self.kind == self.Kind.PANES and self.chart_type != self.ChartType.KPI

    def _click_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.drill_pipe and not self.drill_params:
            errors["drill_params"] = "Name the param a click sets on the drill-through pipe."
        if self.drill_params and not self.drill_pipe:
            errors["drill_pipe"] = "Name the pipe the drill-through opens (this chart's own pipe name is fine)."
        if (self.drill_pipe or self.drill_params or self.cross_filter_param) and not self.clickable:
            what = "A single number (KPI)" if self.kind == self.Kind.PANES else "A Tinybird-hosted chart"
            field = "cross_filter_param" if self.cross_filter_param else "drill_pipe"
            errors[field] = f"{what} has no marks to click: it cannot drill through or cross-filter."
        if self.is_shared and self.drill_pipe and self.drill_pipe != self.pipe_name:
            errors["drill_pipe"] = (
                "A chart with the same data for every tenant can drill only into its own pipe: "
                "another pipe would be read with no tenant filter."
            )
        tenant = set(self.tenant_params)
        if not tenant and not self.is_shared and self.workspace_id is not None:
            tenant = set(self.workspace.default_tenant_params)
        if tenant_drills := [p for p in self.drill_params if p in tenant]:
            what = "is a tenant param" if len(tenant_drills) == 1 else "are tenant params"
            errors["drill_params"] = f"{', '.join(tenant_drills)} {what}: a click can never set it."
        if self.cross_filter_param and self.cross_filter_param in tenant:
            errors["cross_filter_param"] = f"{self.cross_filter_param} is a tenant param: a click can never set it."
        return errors

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.is_shared and self.tenant_params:
            errors["tenant_params"] = "A chart shared with every tenant cannot also filter by tenant params."
        if self.kind == self.Kind.TINYBIRD and not self.embed_chart_uuid:
            errors["kind"] = "A Tinybird-hosted chart needs its iframe snippet or URL."
        if self.kind == self.Kind.PANES and self.chart_type != self.ChartType.TABLE:
            if not self.category_columns:
                errors["category_columns"] = "Name at least one column to draw."
            if self.chart_type != self.ChartType.KPI and not self.index_column:
                errors["index_column"] = "Name the column for the x axis or the slices."
        errors = {**self._click_errors(), **errors}
        if errors:
            raise ValidationError(errors)


class TenantFilterRule(models.Model):
    """A value a tenant's tokens fix for a pipe param (tenant-wide, or for one chart's pipe)."""

    class ValueType(models.TextChoices):
        STRING = "string", "String"
        INTEGER = "integer", "Integer"
        FLOAT = "float", "Float"
        BOOLEAN = "boolean", "Boolean"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="filter_rules")
    param = models.CharField(max_length=63, validators=[param_name_validator])
    value = models.CharField(max_length=255)
    value_type = models.CharField(max_length=10, choices=ValueType.choices, default=ValueType.STRING)
    chart = models.ForeignKey(
        Chart,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="filter_rules",
        help_text=_("Leave blank to apply to every pipe; set to override for this chart's pipe."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "param"], condition=Q(chart__isnull=True), name="unique_tenant_wide_rule"
            ),
            models.UniqueConstraint(
                fields=["tenant", "param", "chart"], condition=Q(chart__isnull=False), name="unique_chart_rule"
            ),
        ]
        ordering = ["tenant__name", "param"]

    def __str__(self) -> str:
        where = f" on {self.chart}" if self.chart_id else ""
        return f"{self.param}={self.value}{where}"

    @property
    def typed_value(self) -> str | int | float | bool:
        return coerce_rule_value(self.value, self.value_type)

    def spec(self, *, typed: bool = True) -> RuleSpec:
        """The rule as minting's plain data. ``typed=False`` keeps the stored text, for callers
        that only ask which params are fixed (a bad stored value must not break them); select
        ``chart`` with the rules, or this costs a query each."""
        resource = self.chart.scope_resource if self.chart else None
        return RuleSpec(param=self.param, value=self.typed_value if typed else self.value, resource=resource)

    def clean(self) -> None:
        try:
            coerce_rule_value(self.value, self.value_type)
        except ValueError as exc:
            raise ValidationError({"value": str(exc)}) from exc


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def coerce_rule_value(raw: str, value_type: str) -> str | int | float | bool:
    """The typed value of a rule; ValueError with a message a person understands."""
    text = (raw or "").strip()
    if value_type == TenantFilterRule.ValueType.STRING:
        if not text:
            raise ValueError("A string value cannot be empty.")
        return text
    if value_type == TenantFilterRule.ValueType.INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number.") from None
    if value_type == TenantFilterRule.ValueType.FLOAT:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("The number must be finite.")
        return number
    if value_type == TenantFilterRule.ValueType.BOOLEAN:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{text!r} is not true or false.")
    raise ValueError(f"Unknown value type {value_type!r}.")


class IntranetGroupRule(models.Model):
    """Members of an intranet group (asserted by single sign-on) belong to a tenant."""

    group = models.CharField(
        _("intranet group"), max_length=150, help_text=_("Group name as the sign-on proxy sends it; case does not matter.")
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="group_rules")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("group"), "tenant", name="unique_group_rule")]
        ordering = ["group", "tenant__name"]
        verbose_name = _("intranet group rule")

    def __str__(self) -> str:
        return f"{self.group} → {self.tenant}"

    def save(self, *args, **kwargs) -> None:
        self.group = self.group.strip()
        super().save(*args, **kwargs)


class DashboardQuerySet(models.QuerySet["Dashboard"]):
    def shared(self) -> Self:
        """Dashboards administrators publish; never anyone's personal one."""
        return self.filter(owner__isnull=True)

    def visible_to(self, tenant: Tenant) -> Self:
        return self.shared().filter(Q(visible_to_all=True) | Q(tenants=tenant)).distinct()

    def personal_to(self, user, tenant: Tenant) -> Self:
        """One person's own dashboards in one tenant."""
        return self.filter(owner=user, owner_tenant=tenant)


class Dashboard(TitleTranslations):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    visible_to_all = models.BooleanField(_("visible to every tenant"), default=False)
    tenants = models.ManyToManyField(Tenant, blank=True, related_name="dashboards", help_text=_("Who else may see it."))
    charts = models.ManyToManyField(Chart, through="DashboardChart", related_name="dashboards")
    # A personal dashboard belongs to one person in one tenant; shared dashboards have neither.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_dashboards",
        help_text=_("Set only on a person's own dashboard."),
    )
    owner_tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="personal_dashboards"
    )
    refresh_seconds = models.PositiveIntegerField(
        _("refresh every (seconds)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(10)],
        help_text=_("For wall screens: every chart refetches its rows this often (at least 10 s), "
        "paused while the tab is hidden. Blank: no auto-refresh."),
    )

    objects = DashboardQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("preview_dashboard", "Can preview a dashboard as any tenant")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True, owner_tenant__isnull=True)
                | Q(owner__isnull=False, owner_tenant__isnull=False),
                name="dashboard_owner_with_tenant",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(visible_to_all=False), name="personal_dashboard_not_for_all"
            ),
        ]

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None

    def clean(self) -> None:
        if (self.owner_id is None) != (self.owner_tenant_id is None):
            raise ValidationError("A personal dashboard needs both its owner and the owner's tenant.")
        if self.owner_id is not None and self.visible_to_all:
            raise ValidationError({"visible_to_all": "A personal dashboard cannot be shown to every tenant."})

    def __str__(self) -> str:
        return self.title


class DashboardChart(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="tiles")
    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="tiles")
    position = models.PositiveIntegerField(default=0)
    width = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(12)], help_text=_("Columns of 12.")
    )
    height = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(80), MaxValueValidator(2000)], help_text=_("Blank: the chart's.")
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("dashboard chart")

    def __str__(self) -> str:
        return f"{self.dashboard} #{self.position}: {self.chart}"

    @property
    def effective_height(self) -> int:
        return self.height or self.chart.height


class TokenGrantQuerySet(models.QuerySet["TokenGrant"]):
    def expired_before(self, moment) -> Self:
        return self.filter(expires_at__lt=moment)


class TokenGrant(models.Model):
    """Audit of one minted token: its payload and a fingerprint, never the token or the key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="token_grants")
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, related_name="token_grants")
    workspace = models.ForeignKey(Workspace, on_delete=models.SET_NULL, null=True, related_name="token_grants")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.SET_NULL, null=True, blank=True, related_name="token_grants")
    payload = models.JSONField()
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of the token, to match logs."))
    issued_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = TokenGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.payload.get('name', '?')} @ {self.issued_at:%Y-%m-%d %H:%M:%S}"


class ConfigRevision(models.Model):
    """One row counting changes to anything that shapes a token (see charts.revisions).

    The token endpoint serves a session's cached answer only while this number is unchanged, so a
    rule, membership, chart or dashboard edit takes effect at the next refresh.
    """

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"revision {self.value}"


class PersonSettings(models.Model):
    """One person's language and time zone; blank fields follow the browser and the tenant."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panes_settings")
    language = models.CharField(
        max_length=10, blank=True, choices=settings.LANGUAGES, help_text=_("Blank: the browser's language.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Blank: the organisation's time zone."),
    )

    class Meta:
        verbose_name = _("person's settings")
        verbose_name_plural = _("people's settings")

    def __str__(self) -> str:
        return f"settings of {self.user}"


class ReportSubscriptionQuerySet(models.QuerySet["ReportSubscription"]):
    def active(self) -> Self:
        return self.filter(is_active=True)

    def of(self, user, tenant: Tenant) -> Self:
        """One person's subscriptions in one tenant: the only ones they see and cancel."""
        return self.filter(user=user, tenant=tenant)


class ReportSubscription(models.Model):
    """A person's scheduled email of one dashboard, drawn for them: their token, tenant, filters."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="report_subscriptions")
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="report_subscriptions")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(6)], help_text=_("Weekly: 0 is Monday, 6 Sunday.")
    )
    day_of_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(28)], help_text=_("Monthly: 1 to 28.")
    )
    send_time = models.TimeField(help_text=_("In the person's time zone."))
    filters = models.JSONField(
        default=dict, blank=True, help_text=_("The dashboard's query: filter values, period and comparison.")
    )
    include_csv = models.BooleanField(_("attach a CSV per chart"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    paused_reason = models.CharField(
        max_length=300, blank=True, help_text=_("Why sending stopped, when Panes paused it (e.g. membership gone).")
    )
    next_run_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text=_("The next time it is due (UTC); set by send_reports.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["dashboard__title", "id"]
        verbose_name = _("report subscription")

    def __str__(self) -> str:
        return f"{self.dashboard} to {self.user} ({self.get_frequency_display()})"


class ReportDelivery(models.Model):
    """One due send of a subscription: unique per slot, so a second run of send_reports sends nothing twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        GAVE_UP = "gave_up", "Failed (gave up)"
        SKIPPED = "skipped", "Skipped"

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="deliveries")
    scheduled_for = models.DateTimeField(help_text=_("The slot this send is for (UTC)."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text=_("A run working on it holds it until then; another run leaves it alone.")
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "scheduled_for"], name="unique_delivery_slot")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} for {self.scheduled_for:%Y-%m-%d %H:%M} UTC: {self.get_status_display()}"
