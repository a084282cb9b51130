"""A token that expires mid-session is replaced without a reload, and the charts keep working."""
from __future__ import annotations

import time

import pytest

from .conftest import login, start_server, stop_server
from .test_demo_isolation import chart_frames, jwt_claims, kpi_value

TTL, MARGIN = 12, 6


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory):
    """A server whose tokens live 12 s, with the KPI chart redrawing every 5 s like a wall screen."""
    server = start_server(
        tmp_path_factory.mktemp("short"),
        PANES_TOKEN_TTL_SECONDS=str(TTL),
        PANES_TOKEN_REFRESH_MARGIN_SECONDS=str(MARGIN),
    )
    server.manage("shell", "-c", "from charts.models import Chart; Chart.objects.filter(title='Orders').update(refresh_seconds=5)")
    yield server
    stop_server(server)


def test_expired_token_is_replaced_without_reload(context, short_lived) -> None:
    page = login(context, short_lived, "alice")
    page.goto(f"{short_lived.page_origin}/d/sales-overview/")
    calls, reloads = [], []
    page.on("response", lambda r: calls.append((time.time(), r)) if "/v0/pipes/kpi_totals" in r.url else None)
    page.on("framenavigated", lambda f: reloads.append(f.url) if f == page.main_frame else None)
    frame = chart_frames(page)["Orders"]
    before = kpi_value(frame)
    page.wait_for_timeout(5500)  # the next wall-screen redraw, still with the first token
    first_exp = jwt_claims(calls[0][1].request.headers["authorization"].removeprefix("Bearer "))["exp"]

    # Wait until the first token has expired, and a little more for the next 5 s redraw.
    page.wait_for_timeout(max(0, (first_exp - time.time()) * 1000) + 6000)

    late = [r for at, r in calls if at > first_exp]
    assert late, "the wall-screen chart made no request after the first token expired"
    assert all(r.status == 200 for r in late)
    late_exp = {jwt_claims(r.request.headers["authorization"].removeprefix("Bearer "))["exp"] for r in late}
    assert min(late_exp) > first_exp
    assert reloads == [], "the page reloaded"
    assert frame.evaluate("document.body.dataset.state") == "ready"
    assert int(frame.evaluate("document.body.dataset.tokenUpdates || 0")) >= 1
    assert kpi_value(frame) == before
