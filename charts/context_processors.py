"""Template context: the active tenant and the tenants the user may switch to."""
from __future__ import annotations

from django.http import HttpRequest

from . import tenancy


def tenancy_context(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"active_tenant": tenancy.active_tenant(request), "available_tenants": tenancy.available_tenants(request)}

