"""A database counter of configuration changes, so cached token answers know when to give way.

Every save or delete of a model that shapes a token (workspaces, tenants, memberships, rules,
charts, dashboards, their tiles and tenants, users) bumps the counter in the same transaction.
The counter lives in the database, not in a per-process cache, so every app server sees a bump at
once. Bulk operations that send no signals (``QuerySet.update``, ``bulk_create``) must call
``bump()`` themselves.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    Chart,
    ConfigRevision,
    Dashboard,
    DashboardChart,
    Membership,
    Tenant,
    TenantFilterRule,
    Workspace,
)

ROW = 1


def current() -> int:
    return ConfigRevision.objects.filter(pk=ROW).values_list("value", flat=True).first() or 0


def bump(**_signal_kwargs) -> None:
    if ConfigRevision.objects.filter(pk=ROW).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            ConfigRevision.objects.create(pk=ROW, value=1)
    except IntegrityError:  # another request created it first
        ConfigRevision.objects.filter(pk=ROW).update(value=F("value") + 1)


def _user_saved(update_fields=None, **kwargs) -> None:
    # Every sign-in saves last_login; that changes nothing a token carries.
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    bump()


def connect() -> None:
    """Called once from ChartsConfig.ready()."""
    for model in (Workspace, Tenant, Membership, TenantFilterRule, Chart, Dashboard, DashboardChart):
        post_save.connect(bump, sender=model, dispatch_uid=f"panes-revision-save-{model._meta.label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"panes-revision-delete-{model._meta.label}")
    user = get_user_model()
    post_save.connect(_user_saved, sender=user, dispatch_uid="panes-revision-save-user")
    post_delete.connect(bump, sender=user, dispatch_uid="panes-revision-delete-user")
    m2m_changed.connect(bump, sender=Dashboard.tenants.through, dispatch_uid="panes-revision-dashboard-tenants")
