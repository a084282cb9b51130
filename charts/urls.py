"""The dashboards app's pages: list, dashboard, embed, token refresh, chart frame, tenant switch."""
from __future__ import annotations

from django.urls import path

from . import views

app_name = "charts"

urlpatterns = [
    path("", views.dashboard_list, name="dashboard_list"),
    path("d/<slug:slug>/", views.dashboard, name="dashboard"),
    path("d/<slug:slug>/token.json", views.dashboard_token, name="dashboard_token"),
    path("embed/<slug:slug>/", views.embed, name="embed"),
    path("frame/<int:chart_id>/", views.chart_frame, name="frame"),
    path("tenant/", views.switch_tenant, name="switch_tenant"),
]
