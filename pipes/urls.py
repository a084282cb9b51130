"""The built-in host's API, mounted at ``/v0/`` like Tinybird's."""
from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "pipes"

urlpatterns = [
    path("pipes", views.pipe_list, name="pipe_list"),
    re_path(r"^pipes/(?P<name>[A-Za-z0-9_]+)\.(?P<fmt>json|csv|ndjson|parquet)$", views.pipe_data, name="pipe_data"),
    path("events", views.events, name="events"),
    path("sql", views.sql, name="sql"),
    re_path(r"^(?P<rest>.*)$", views.not_found),  # anything else under /v0/: a JSON 404
]
