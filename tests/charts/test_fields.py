"""Comma-separated fields (charts.fields): parsed once into a tuple, stored as "a, b", validated in
the field with the bad item named, and a value stored around validation still loads."""
from __future__ import annotations

import pickle

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from charts.fields import COLOR, COLUMN, PARAM, CommaList
from charts.forms import ChartAdminForm
from charts.models import Chart, Tenant, Workspace
from tests.charts.builders import make_chart


def stored(model, pk: int, column: str) -> str:
    """The text in the database, read past the field."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def store(model, pk: int, column: str, text: str) -> None:
    """Write text past the field and its validation, as an old row or a raw fix would."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [text, pk])


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("company_id, region", ("company_id", "region")),
        ("  company_id ,,region , company_id,  ", ("company_id", "region")),  # spacing, blanks, a duplicate
        ("", ()),
        (" , ,", ()),
        (None, ()),
    ],
)
def test_param_lists_are_stripped_without_blanks_or_duplicates(text, items) -> None:
    value = PARAM.parse(text)
    assert value == items and isinstance(value, CommaList)
    assert value.rejected == ()


def test_a_bad_item_is_kept_apart_and_named() -> None:
    value = PARAM.parse("company_id, 1bad, region, a-b")
    assert value == ("company_id", "region")
    assert value.rejected == ("1bad", "a-b")
    with pytest.raises(ValidationError) as caught:
        value.validated()
    assert [str(m) for m in caught.value.messages] == [
        f"'1bad' is not {PARAM.noun}.",
        f"'a-b' is not {PARAM.noun}.",
    ]


def test_colours_split_at_commas_outside_parentheses() -> None:
    value = COLOR.parse("#0F766E, rgb(1, 2, 3), teal, red;background:url(x), hsl(10deg 50% 50%), </style>, #12")
    assert value == ("#0F766E", "rgb(1, 2, 3)", "teal", "hsl(10deg 50% 50%)")
    assert value.rejected == ("red;background:url(x)", "</style>", "#12")


def test_columns_are_identifiers() -> None:
    assert COLUMN.parse("revenue, orders_2024") == ("revenue", "orders_2024")
    assert COLUMN.parse("revenue, count()").rejected == ("count()",)


def test_a_list_pickles_with_its_kind_and_rejected_items() -> None:
    value = COLOR.parse("#111, url(x)")
    copy = pickle.loads(pickle.dumps(value))
    assert copy == value and copy.rejected == ("url(x)",) and copy.kind is COLOR


# --- the model field ----------------------------------------------------------------------------------


def test_an_assigned_string_reads_back_as_the_list() -> None:
    chart = Chart(tenant_params="company_id ,region", colors="#111111,#222222", category_columns="a, b")
    assert chart.tenant_params == ("company_id", "region")
    assert chart.colors == ("#111111", "#222222")
    assert chart.category_columns == ("a", "b")
    assert Workspace().default_tenant_params == ("company_id",)  # the default, parsed too


@pytest.mark.django_db
def test_a_list_is_stored_as_comma_space_text_and_reads_back(workspace) -> None:
    chart = make_chart(workspace, tenant_params=["company_id", " region", "company_id"], filter_params="date_from,date_to")
    assert stored(Chart, chart.pk, "tenant_params") == "company_id, region"
    assert stored(Chart, chart.pk, "filter_params") == "date_from, date_to"
    fresh = Chart.objects.get(pk=chart.pk)
    assert fresh.tenant_params == ("company_id", "region") and fresh.filter_params == ("date_from", "date_to")
    assert Chart.objects.filter(pk=chart.pk).values_list("tenant_params", flat=True).get() == ("company_id", "region")


@pytest.mark.django_db
def test_existing_rows_with_odd_spacing_and_duplicates_load(workspace, acme) -> None:
    chart = make_chart(workspace)
    store(Chart, chart.pk, "tenant_params", " company_id,,region ,company_id ")
    store(Chart, chart.pk, "category_columns", "revenue ,orders,")
    store(Tenant, acme.pk, "brand_colors", "#111111 ,  rgb(1,2,3),")
    chart = Chart.objects.get(pk=chart.pk)
    assert chart.tenant_param_names == ("company_id", "region")
    assert chart.category_columns == ("revenue", "orders")
    assert Tenant.objects.get(pk=acme.pk).brand_colors == ("#111111", "rgb(1,2,3)")
    chart.full_clean()
    chart.save()
    assert stored(Chart, chart.pk, "tenant_params") == "company_id, region"


@pytest.mark.django_db
def test_a_bad_stored_value_loads_fails_closed_and_survives_a_save(workspace) -> None:
    chart = make_chart(workspace, tenant_params="company_id")
    store(Chart, chart.pk, "tenant_params", "company_id, re;gion")
    chart = Chart.objects.get(pk=chart.pk)
    assert chart.tenant_params == ("company_id",) and chart.tenant_params.rejected == ("re;gion",)
    # Not "company_id only", nor the workspace's default: the chart's params are unknown.
    with pytest.raises(ValidationError):
        chart.tenant_param_names
    with pytest.raises(ValidationError) as caught:
        chart.full_clean()
    assert "'re;gion' is not" in str(caught.value.message_dict["tenant_params"])
    chart.title = "Renamed"
    chart.save()  # the bad name is written back as it was, not dropped
    assert stored(Chart, chart.pk, "tenant_params") == "company_id, re;gion"


@pytest.mark.django_db
def test_a_bad_stored_workspace_default_fails_its_charts_closed(workspace) -> None:
    chart = make_chart(workspace)
    store(Workspace, workspace.pk, "default_tenant_params", "company_id, 9lives")
    with pytest.raises(ValidationError):
        Chart.objects.select_related("workspace").get(pk=chart.pk).tenant_param_names


@pytest.mark.django_db
def test_max_length_counts_the_stored_text(workspace) -> None:
    chart = make_chart(workspace)
    chart.filter_params = [f"p{i:03d}" for i in range(60)]  # 60 items, 358 characters
    with pytest.raises(ValidationError) as caught:
        chart.full_clean()
    assert "at most 255 characters" in str(caught.value.message_dict["filter_params"])


# --- the form field -----------------------------------------------------------------------------------


def chart_form_data(workspace: Workspace, **fields) -> dict:
    return {
        "workspace": workspace.pk, "title": "Sales", "kind": "panes", "pipe_name": "sales", "height": "320",
        "chart_type": "line", "index_column": "day", "category_columns": "total", **fields,
    }


@pytest.mark.django_db
def test_the_form_names_each_bad_item(workspace) -> None:
    form = ChartAdminForm(
        data=chart_form_data(workspace, tenant_params="company_id, 1bad", colors="#111, url(x)", category_columns="a, b c")
    )
    assert not form.is_valid()
    assert form.errors["tenant_params"] == [f"'1bad' is not {PARAM.noun}."]
    assert form.errors["colors"] == [f"'url(x)' is not {COLOR.noun}."]
    assert form.errors["category_columns"] == [f"'b c' is not {COLUMN.noun}."]


@pytest.mark.django_db
def test_the_form_saves_a_typed_list_cleaned(workspace) -> None:
    form = ChartAdminForm(data=chart_form_data(workspace, tenant_params=" company_id,region ,", colors="rgb(1, 2, 3),#fff"))
    assert form.is_valid(), form.errors
    chart = form.save()
    assert stored(Chart, chart.pk, "tenant_params") == "company_id, region"
    assert stored(Chart, chart.pk, "colors") == "rgb(1, 2, 3), #fff"


@pytest.mark.django_db
def test_the_admin_shows_a_list_as_text_and_a_bad_stored_item_with_it(staff_client, workspace) -> None:
    chart = make_chart(workspace, tenant_params="company_id,region")
    store(Chart, chart.pk, "colors", "#111111, url(x)")
    response = staff_client.get(reverse("admin:charts_chart_change", args=[chart.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="tenant_params" value="company_id, region"' in html
    assert 'name="colors" value="#111111, url(x)"' in html


# --- the migration ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_0006_keeps_every_stored_text_as_it_was() -> None:
    before, after = [("charts", "0005_workspace_routing")], [("charts", "0006_comma_lists")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        migrate_over_stored_rows(after)
    finally:  # the other tests need the latest schema, whatever happened here
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_over_stored_rows(target: list[tuple[str, str]]) -> None:
    """Rows with odd, duplicate and bad items written before ``target``; read back after it."""
    texts = {
        "default_tenant_params": " company_id,,company_id ", "tenant_params": "a ,b,", "category_columns": "x,x, y",
        "colors": "rgb(1,2,3) ,#fff", "filter_params": "1bad, date_from", "brand_colors": "url(x), teal",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO charts_workspace (name, workspace_id, api_host, signing_key_env, default_tenant_params) "
            "VALUES ('W', 'w', '', 'W_KEY', %s)", [texts["default_tenant_params"]],
        )
        cursor.execute("SELECT id FROM charts_workspace WHERE name = 'W'")
        workspace_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO charts_chart (workspace_id, title, description, kind, pipe_name, pipe_id, tenant_params, is_shared, "
            "height, embed_host, embed_region, chart_type, index_column, category_columns, colors, stacked, filter_params) "
            "VALUES (%s, 'C', '', 'panes', 'p', '', %s, %s, 320, '', '', 'line', 'd', %s, %s, %s, %s)",
            [workspace_id, texts["tenant_params"], False, texts["category_columns"], texts["colors"], False, texts["filter_params"]],
        )
        cursor.execute(
            "INSERT INTO charts_tenant (name, slug, is_active, brand_colors) VALUES ('T', 't', %s, %s)", [True, texts["brand_colors"]]
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    with connection.cursor() as cursor:
        cursor.execute("SELECT default_tenant_params FROM charts_workspace WHERE name = 'W'")
        assert cursor.fetchone()[0] == texts["default_tenant_params"]
        cursor.execute("SELECT tenant_params, category_columns, colors, filter_params FROM charts_chart WHERE title = 'C'")
        assert cursor.fetchone() == (texts["tenant_params"], texts["category_columns"], texts["colors"], texts["filter_params"])
        cursor.execute("SELECT brand_colors FROM charts_tenant WHERE slug = 't'")
        assert cursor.fetchone()[0] == texts["brand_colors"]
    # The schema stands at ``target``: read only the columns it has (later migrations add others).
    chart = Chart.objects.only("tenant_params", "category_columns", "colors", "filter_params", "workspace").get(title="C")
    assert chart.tenant_params == ("a", "b") and chart.category_columns == ("x", "y")
    assert chart.colors == ("rgb(1,2,3)", "#fff") and chart.filter_params.rejected == ("1bad",)
    assert chart.workspace.default_tenant_params == ("company_id",)
    assert Tenant.objects.only("brand_colors").get(slug="t").brand_colors == ("teal",)
