"""Chart.drill_pipe / drill_params / cross_filter_param and Dashboard.refresh_seconds: what clean() refuses."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from charts.models import Chart, Dashboard
from tests.charts.builders import make_chart


def errors_of(model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        model.full_clean()
    return caught.value.message_dict


def test_a_drill_pipe_needs_its_params_and_params_need_a_pipe(workspace) -> None:
    chart = make_chart(workspace, drill_pipe="orders_detail")
    assert "drill_params" in errors_of(chart)
    chart.drill_pipe, chart.drill_params = "", "product"
    assert "drill_pipe" in errors_of(chart)
    chart.drill_pipe = "orders_detail"
    chart.full_clean()
    assert chart.has_drill and chart.detail_resource == "orders_detail"


def test_a_chart_drilling_into_its_own_pipe_reads_its_own_resource(workspace) -> None:
    chart = make_chart(workspace, pipe="sales", pipe_id="t_" + "a" * 32, drill_pipe="sales", drill_params="day")
    assert chart.detail_resource == "t_" + "a" * 32
    assert make_chart(workspace).detail_resource is None


def test_a_drill_or_cross_filter_param_may_not_be_a_tenant_param(workspace) -> None:
    chart = make_chart(workspace, drill_pipe="orders_detail", drill_params="product, company_id")
    assert "company_id" in errors_of(chart)["drill_params"][0]  # the workspace's default tenant param
    chart = make_chart(workspace, tenant_params="region", cross_filter_param="region")
    assert "tenant param" in errors_of(chart)["cross_filter_param"][0]
    make_chart(workspace, tenant_params="region", cross_filter_param="company_id").full_clean()


def test_a_kpi_or_a_tinybird_chart_cannot_be_clicked(workspace) -> None:
    kpi = make_chart(workspace, chart_type=Chart.ChartType.KPI, cross_filter_param="city")
    assert "no marks to click" in errors_of(kpi)["cross_filter_param"][0]
    kpi = make_chart(workspace, chart_type=Chart.ChartType.KPI, drill_pipe="sales", drill_params="day")
    assert "no marks to click" in errors_of(kpi)["drill_pipe"][0]


def test_a_shared_chart_drills_only_into_its_own_pipe(workspace) -> None:
    chart = make_chart(workspace, pipe="catalogue", is_shared=True, drill_pipe="orders_detail", drill_params="product")
    assert "only into its own pipe" in errors_of(chart)["drill_pipe"][0]
    chart.drill_pipe = "catalogue"
    chart.full_clean()


def test_bad_names_are_refused(workspace) -> None:
    chart = make_chart(workspace, drill_pipe="not a pipe", drill_params="1x", cross_filter_param="a-b")
    assert {"drill_pipe", "drill_params", "cross_filter_param"} <= set(errors_of(chart))


@pytest.mark.parametrize(("seconds", "ok"), [(None, True), (10, True), (300, True), (9, False)])
def test_a_dashboard_refreshes_every_ten_seconds_at_most(db, seconds, ok) -> None:
    board = Dashboard(title="Wall", slug="wall", refresh_seconds=seconds)
    if ok:
        board.full_clean()
    else:
        assert "refresh_seconds" in errors_of(board)
