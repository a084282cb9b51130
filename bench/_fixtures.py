"""Bench dashboards in a bench server's database, and SQL queries counted per page.

Run by the benchmarks with the server's environment (its settings and databases)::

    python bench/_fixtures.py dashboards 1 10 12 30   # bench-1, bench-10, ... (idempotent)
    python bench/_fixtures.py queries bench-1 bench-30 # JSON: queries of a first and a repeat visit

Like ``demo``, this script knows both apps: it copies the demo's tenant-filtered charts (their
pipes and tenant params) into as many charts as a dashboard needs.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from charts.models import Chart, Dashboard, DashboardChart  # noqa: E402

PREFIX = "Bench chart"


@transaction.atomic
def dashboards(sizes: list[int]) -> None:
    templates = list(Chart.objects.filter(is_shared=False).exclude(title__startswith=PREFIX).order_by("pk"))
    if not templates:
        raise SystemExit("no demo charts: run `manage.py demo` first")
    needed = max(sizes)
    charts = list(Chart.objects.filter(title__startswith=PREFIX).order_by("pk"))
    for i in range(len(charts), needed):
        chart = Chart.objects.get(pk=templates[i % len(templates)].pk)
        chart.pk = None
        chart.title = f"{PREFIX} {i + 1:02d}: {chart.title}"
        chart.save()
        charts.append(chart)
    for size in sizes:
        board, _ = Dashboard.objects.update_or_create(
            slug=f"bench-{size}", defaults={"title": f"Bench, {size} charts", "visible_to_all": True}
        )
        board.tiles.all().delete()
        DashboardChart.objects.bulk_create(
            DashboardChart(dashboard=board, chart=chart, position=i, width=6) for i, chart in enumerate(charts[:size])
        )
    print(json.dumps({"charts": len(charts), "dashboards": [f"bench-{s}" for s in sizes]}))


def queries(slugs: list[str], username: str = "alice") -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    result = {}
    for slug in slugs:
        visits = []
        for _ in range(2):  # the first visit mints and audits a token; the second reuses it
            with CaptureQueriesContext(connections["default"]) as default:
                response = client.get(f"/d/{slug}/")
            if response.status_code != 200:
                raise SystemExit(f"/d/{slug}/ answered {response.status_code}")
            visits.append(
                {
                    "default": len(default.captured_queries),
                    "sql": [q["sql"][:160] for q in default.captured_queries],
                }
            )
        result[slug] = {"first": visits[0], "repeat": visits[1]}
    print(json.dumps(result))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "dashboards":
        dashboards([int(a) for a in args])
    elif command == "queries":
        queries(args)
    else:
        raise SystemExit(f"unknown command {command}")
