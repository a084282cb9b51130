"""The dashboards app's pages: list, dashboard, embed, token refresh, chart frame, tenant switch."""
from __future__ import annotations

from django.urls import path

from . import i18n_views, personal_views, views
from . import export_views
from . import preferences
from . import report_views

app_name = "charts"

urlpatterns = [
    path("", views.dashboard_list, name="dashboard_list"),
    path("d/<slug:slug>/", views.dashboard, name="dashboard"),
    path("d/<slug:slug>/token.json", views.dashboard_token, name="dashboard_token"),
    # Exports: the print page, and the PDF and chart PNGs Chromium draws from it (charts.render).
    path("d/<slug:slug>/print/", export_views.print_page, name="print"),
    path("d/<slug:slug>/export.pdf", export_views.dashboard_pdf, name="dashboard_pdf"),
    path("d/<slug:slug>/charts/<int:chart_id>.png", export_views.chart_png, name="chart_png"),
    path("embed/chart/<int:chart_id>/", views.chart_embed, name="chart_embed"),
    path("embed/chart/<int:chart_id>/token.json", views.chart_embed_token, name="chart_embed_token"),
    path("embed/<slug:slug>/", views.embed, name="embed"),
    path("frame/<int:chart_id>/", views.chart_frame, name="frame"),
    path("frame/<int:chart_id>/drill/", views.drill_frame, name="drill_frame"),
    path("tenant/", views.switch_tenant, name="switch_tenant"),
    # The scripts' translations (djangojs), one cacheable catalogue per language.
    path("jsi18n/<str:lang>/", i18n_views.javascript_catalog, name="jsi18n"),
    # Personal dashboards: addressed by id, only ever the signed-in person's own in the active tenant.
    path("my/", personal_views.personal_list, name="personal_list"),
    path("my/new/", personal_views.personal_create, name="personal_create"),
    path("my/<int:pk>/", personal_views.personal_dashboard, name="personal_dashboard"),
    path("my/<int:pk>/token.json", personal_views.personal_token, name="personal_token"),
    path("my/<int:pk>/edit/", personal_views.personal_edit, name="personal_edit"),
    path("my/<int:pk>/rename/", personal_views.personal_rename, name="personal_rename"),
    path("my/<int:pk>/delete/", personal_views.personal_delete, name="personal_delete"),
    path("my/<int:pk>/charts/", personal_views.personal_add_tile, name="personal_add_tile"),
    path("my/<int:pk>/charts/<int:tile_id>/", personal_views.personal_tile, name="personal_tile"),
    path("my/<int:pk>/order/", personal_views.personal_order, name="personal_order"),
    # The person's language and time zone.
    path("settings/", preferences.preferences, name="preferences"),
    # Report emails: subscribe to a dashboard, the person's subscriptions, the email's signed unsubscribe.
    path("d/<slug:slug>/subscribe/", report_views.subscribe, name="report_subscribe"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/<int:pk>/cancel/", report_views.report_cancel, name="report_cancel"),
    path("reports/unsubscribe/<str:signed>/", report_views.unsubscribe, name="report_unsubscribe"),
]
