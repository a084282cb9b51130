"""Personal dashboards as data: kept apart from shared ones, per person and tenant, fail closed."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from charts import personal
from charts.models import Dashboard, DashboardChart
from tests.charts.builders import make_chart, make_dashboard


@pytest.fixture
def charts(workspace, acme, globex):
    sales = make_chart(workspace, "Sales", "sales")
    stock = make_chart(workspace, "Stock", "stock")
    secret = make_chart(workspace, "Globex only", "globex_only")
    make_dashboard("sales", acme, globex, charts=[sales])
    make_dashboard("ops", acme, charts=[stock])
    make_dashboard("globex-ops", globex, charts=[secret])
    return {"sales": sales, "stock": stock, "secret": secret}


def test_available_charts_are_those_on_the_shared_dashboards_the_tenant_sees(charts, acme, globex) -> None:
    assert list(personal.available_charts(acme)) == [charts["sales"], charts["stock"]]
    assert list(personal.available_charts(globex)) == [charts["secret"], charts["sales"]]


def test_a_chart_on_someones_personal_dashboard_does_not_become_available(charts, alice, acme, globex) -> None:
    board = personal.create_dashboard(alice, acme, "Mine")
    DashboardChart.objects.create(dashboard=board, chart=charts["secret"])  # as if forged into the table
    assert charts["secret"] not in personal.available_charts(acme)


def test_personal_dashboards_are_never_visible_to_a_tenant(charts, alice, acme) -> None:
    board = personal.create_dashboard(alice, acme, "Mine")
    assert board not in Dashboard.objects.visible_to(acme)
    assert set(Dashboard.objects.shared().values_list("slug", flat=True)) == {"sales", "ops", "globex-ops"}


def test_an_owner_needs_a_tenant_and_a_tenant_an_owner(alice, acme) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Dashboard.objects.create(title="x", slug="x", owner=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dashboard.objects.create(title="y", slug="y", owner_tenant=acme)


def test_a_personal_dashboard_cannot_be_shown_to_every_tenant(alice, acme) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Dashboard.objects.create(title="x", slug="x", owner=alice, owner_tenant=acme, visible_to_all=True)


def test_tiles_of_charts_the_tenant_no_longer_sees_drop_out(rf, charts, alice, acme) -> None:
    board = personal.create_dashboard(alice, acme, "Mine")
    personal.add_tile(board, charts["sales"])
    personal.add_tile(board, charts["stock"])
    Dashboard.objects.get(slug="ops").tiles.all().delete()  # the admin takes Stock away from Acme

    request = rf.get("/")
    request.user = alice
    request.session = {}
    loaded = personal.dashboard_for(request, board.pk)
    assert [t.chart for t in loaded.tiles.all()] == [charts["sales"]]
    assert DashboardChart.objects.filter(dashboard=board).count() == 2  # kept, in case it comes back


def test_dashboard_for_is_the_owners_own_in_the_active_tenant_only(rf, charts, alice, bob, carol, acme, globex) -> None:
    board = personal.create_dashboard(carol, acme, "Carol's")
    for user, tenant_pk in ((bob, None), (carol, globex.pk)):
        request = rf.get("/")
        request.user = user
        request.session = {"panes.tenant_id": tenant_pk} if tenant_pk else {}
        with pytest.raises(Http404):
            personal.dashboard_for(request, board.pk)


def test_move_renumbers_and_stops_at_the_ends(rf, charts, alice, acme) -> None:
    board = personal.create_dashboard(alice, acme, "Mine")
    first = personal.add_tile(board, charts["sales"])
    second = personal.add_tile(board, charts["stock"])
    DashboardChart.objects.filter(dashboard=board).update(position=5)  # ties are mended too
    board = Dashboard.objects.prefetch_related("tiles").get(pk=board.pk)
    assert personal.move_tile(board, second, -1) == [second.pk, first.pk]
    board = Dashboard.objects.prefetch_related("tiles").get(pk=board.pk)
    assert personal.move_tile(board, second, -1) == [second.pk, first.pk]
    assert list(DashboardChart.objects.filter(dashboard=board).values_list("pk", "position")) == [(second.pk, 0), (first.pk, 1)]


def test_reorder_needs_every_tile_exactly_once(charts, alice, acme) -> None:
    board = personal.create_dashboard(alice, acme, "Mine")
    a = personal.add_tile(board, charts["sales"])
    b = personal.add_tile(board, charts["stock"])
    board = Dashboard.objects.prefetch_related("tiles").get(pk=board.pk)
    for bad in ([a.pk], [a.pk, a.pk], [a.pk, b.pk, 999]):
        with pytest.raises(ValueError):
            personal.reorder(board, bad)
    assert personal.reorder(board, [b.pk, a.pk]) == [b.pk, a.pk]


def test_limits_are_enforced(monkeypatch, charts, alice, acme) -> None:
    monkeypatch.setattr(personal, "MAX_TILES", 1)
    monkeypatch.setattr(personal, "MAX_DASHBOARDS", 1)
    board = personal.create_dashboard(alice, acme, "Mine")
    personal.add_tile(board, charts["sales"])
    with pytest.raises(personal.LimitReached):
        personal.add_tile(board, charts["stock"])
    with pytest.raises(personal.LimitReached):
        personal.create_dashboard(alice, acme, "Another")


def test_deleting_the_owner_deletes_their_dashboards(charts, alice, acme) -> None:
    personal.create_dashboard(alice, acme, "Mine")
    alice.delete()
    assert not Dashboard.objects.filter(owner__isnull=False).exists()


def test_the_dashboard_admin_lists_only_shared_dashboards(admin_client, charts, alice, acme) -> None:
    from django.urls import reverse

    board = personal.create_dashboard(alice, acme, "Alice private board")
    response = admin_client.get(reverse("admin:charts_dashboard_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Globex Ops" in html and "Alice private board" not in html
    assert admin_client.get(reverse("admin:charts_dashboard_change", args=[board.pk])).status_code == 302
