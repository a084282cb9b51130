"""charts.isolation: the pure checks behind check_isolation, on plain data (no database, no HTTP)."""
from __future__ import annotations

import ast
from datetime import datetime, timezone

import pytest

from charts import isolation, tokens
from charts.isolation import ChartInfo, Finding, NodeInfo, ParamInfo, PipeInfo
from tests.test_boundaries import ROOT, imported_modules

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
SALES = ChartInfo(key=1, title="Sales", workspace="ws", pipe="sales", resource="sales", tenant_params=("company_id",))
CATALOGUE = ChartInfo(key=2, title="Catalogue", workspace="ws", pipe="catalogue", resource="catalogue", tenant_params=(), shared=True)


def plan(tenant: str, charts: list[ChartInfo], rules: list[tokens.RuleSpec]) -> tokens.MintPlan:
    specs = [tokens.ChartSpec(key=c.key, resource=c.resource, tenant_params=c.tenant_params, shared=c.shared) for c in charts]
    return tokens.build_payload(
        workspace_id="w", tenant_slug=tenant, user_id=0, charts=specs, rules=rules, now=NOW, ttl_seconds=60
    )


def rows(tenant: str, charts: list[ChartInfo], **values: object) -> list[isolation.Row]:
    rules = [tokens.RuleSpec(param=p, value=v) for p, v in values.items()]
    return isolation.rows_for(dashboard="board", tenant=tenant, charts=charts, plan=plan(tenant, charts, rules))


def pipe(name: str, sql: str, *params: ParamInfo) -> PipeInfo:
    return PipeInfo(id=f"t_{name}", name=name, nodes=(NodeInfo(name=f"{name}_0", sql=sql, params=params),), params=params)


COMPANY = ParamInfo("company_id", "String", required=True)


# --- rows -----------------------------------------------------------------------------------------


def test_rows_say_filtered_shared_or_not_configured_with_the_details() -> None:
    acme = rows("acme", [SALES, CATALOGUE], company_id="acme")
    assert [(r.status, r.detail) for r in acme] == [
        (isolation.FILTERED, 'company_id="acme"'),
        (isolation.SHARED, "same data for every tenant"),
    ]
    [initech, _] = rows("initech", [SALES, CATALOGUE])
    assert (initech.status, initech.detail) == (isolation.NOT_CONFIGURED, "no rule for company_id")


def test_a_chart_without_params_not_marked_shared_is_not_configured() -> None:
    bare = ChartInfo(key=3, title="Bare", workspace="ws", pipe="p", resource="p", tenant_params=())
    [row] = rows("acme", [bare], company_id="acme")
    assert row.status == isolation.NOT_CONFIGURED
    assert row.detail == "no tenant params and not marked shared"


def test_a_shared_chart_whose_pipe_got_no_scope_is_not_configured() -> None:
    bare = ChartInfo(key=3, title="Bare", workspace="ws", pipe="catalogue", resource="catalogue", tenant_params=())
    shared_row = rows("acme", [bare, CATALOGUE], company_id="acme")[1]
    assert shared_row.status == isolation.NOT_CONFIGURED
    assert "no scope" in shared_row.detail


# --- same values ----------------------------------------------------------------------------------


def test_two_tenants_with_the_same_value_on_a_pipe_are_an_error_naming_both() -> None:
    found = isolation.overlap_findings(rows("acme", [SALES], company_id="acme") + rows("globex", [SALES], company_id="acme"))
    [finding] = found
    assert (finding.severity, finding.code, finding.pipe) == (isolation.ERROR, "same-values", "sales")
    assert "acme and globex" in finding.message and 'company_id="acme"' in finding.message


def test_different_values_do_not_overlap() -> None:
    assert isolation.overlap_findings(rows("acme", [SALES], company_id="acme") + rows("globex", [SALES], company_id="globex")) == []


@pytest.mark.parametrize(("a", "b"), [(1, "1"), (1, 1.0), (True, "true")])
def test_values_a_host_would_coerce_alike_overlap(a: object, b: object) -> None:
    assert isolation.overlap_findings(rows("acme", [SALES], company_id=a) + rows("globex", [SALES], company_id=b))


def test_tenants_sharing_one_of_two_params_do_not_overlap_but_agreeing_on_both_do() -> None:
    regional = ChartInfo(key=5, title="Regional", workspace="ws", pipe="r", resource="r", tenant_params=("company_id", "region"))
    split = rows("acme", [regional], company_id="acme", region="eu") + rows("globex", [regional], company_id="globex", region="eu")
    assert isolation.overlap_findings(split) == []
    same = rows("acme", [regional], company_id="acme", region="eu") + rows("globex", [regional], company_id="acme", region="eu")
    assert len(isolation.overlap_findings(same)) == 1


def test_a_tenant_filtered_by_fewer_params_overlaps_one_filtered_by_more() -> None:
    regional = ChartInfo(key=5, title="Regional", workspace="ws", pipe="sales", resource="sales", tenant_params=("company_id", "region"))
    found = isolation.overlap_findings(
        rows("acme", [SALES], company_id="acme") + rows("acme-eu", [regional], company_id="acme", region="eu")
    )
    assert [f.code for f in found] == ["same-values"]


def test_the_same_pipe_on_two_workspaces_is_two_pipes() -> None:
    other = ChartInfo(key=9, title="Sales", workspace="other", pipe="sales", resource="sales", tenant_params=("company_id",))
    assert isolation.overlap_findings(rows("acme", [SALES], company_id="x") + rows("globex", [other], company_id="x")) == []


# --- shared and filtered --------------------------------------------------------------------------


def test_a_shared_chart_reading_a_pipe_others_filter_is_an_error() -> None:
    shared_sales = ChartInfo(key=7, title="All sales", workspace="ws", pipe="sales", resource="sales", tenant_params=(), shared=True)
    found = isolation.shared_findings(rows("acme", [shared_sales]), [SALES, shared_sales])
    assert [(f.code, f.pipe) for f in found] == [("shared-and-filtered", "sales")]
    assert "'All sales'" in found[0].message and "company_id" in found[0].message


def test_shared_charts_on_their_own_pipes_are_fine() -> None:
    assert isolation.shared_findings(rows("acme", [SALES, CATALOGUE], company_id="acme"), [SALES, CATALOGUE]) == []


# --- pipes ----------------------------------------------------------------------------------------

FILTERING_SQL = "SELECT * FROM orders WHERE company_id = {{ company_id }}"


def test_a_pipe_that_uses_its_required_tenant_param_passes() -> None:
    listing = {"sales": pipe("sales", FILTERING_SQL, COMPANY)}
    assert isolation.pipe_findings([SALES], {"ws": listing}) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders",
        "SELECT * FROM orders -- WHERE company_id = {{ company_id }}",
        "SELECT * FROM orders /* WHERE company_id = {{ company_id }} */",
        "SELECT * FROM orders {# WHERE company_id = {{ company_id }} #}",
        "SELECT * FROM orders WHERE company_id = {{ company_id_old }}",
        "SELECT 'company_id' AS company_id FROM orders",
    ],
)
def test_a_pipe_whose_sql_does_not_use_the_param_is_an_error(sql: str) -> None:
    listing = {"sales": pipe("sales", sql, COMPANY)}
    [finding] = isolation.pipe_findings([SALES], {"ws": listing})
    assert (finding.severity, finding.code, finding.pipe) == (isolation.ERROR, "param-unused", "sales")
    assert "company_id" in finding.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE company_id = {{String(company_id, 'x', required=True)}}",
        "SELECT * FROM orders WHERE note = '--' AND company_id = {{ company_id }}",
        "SELECT * FROM orders WHERE company_id = '{{ company_id }}'",
        "SELECT * FROM orders WHERE 1 {% if defined(company_id) %} AND company_id = {{ company_id }} {% end %}",
    ],
)
def test_template_uses_count_wherever_they_are_outside_comments(sql: str) -> None:
    assert pipe("sales", sql).uses("company_id")


def test_a_param_named_only_in_a_templates_string_does_not_count() -> None:
    assert not pipe("sales", "SELECT {{ Int(limit, description='company_id') }}").uses("company_id")


def test_an_optional_tenant_param_is_an_error() -> None:
    listing = {"sales": pipe("sales", FILTERING_SQL, ParamInfo("company_id", "String", required=False))}
    [finding] = isolation.pipe_findings([SALES], {"ws": listing})
    assert finding.code == "param-optional" and "company_id" in finding.message


def test_a_param_whose_requiredness_is_unknown_is_not_called_optional() -> None:
    listing = {"sales": pipe("sales", FILTERING_SQL, ParamInfo("company_id", "String", required=None))}
    assert isolation.pipe_findings([SALES], {"ws": listing}) == []


def test_a_pipe_is_found_by_its_id_when_the_chart_uses_it() -> None:
    by_id = ChartInfo(key=1, title="Sales", workspace="ws", pipe="renamed", resource="t_sales", tenant_params=("company_id",))
    listing = isolation.parse_listing({"pipes": [{"id": "t_sales", "name": "sales", "nodes": [{"name": "n", "sql": "SELECT 1", "params": []}]}]})
    assert [f.code for f in isolation.pipe_findings([by_id], {"ws": listing})] == ["param-unused"]


def test_a_pipe_the_host_does_not_list_is_a_warning_and_an_unread_listing_is_skipped() -> None:
    [finding] = isolation.pipe_findings([SALES], {"ws": {}})
    assert (finding.severity, finding.code) == (isolation.WARNING, "pipe-missing")
    assert isolation.pipe_findings([SALES], {"ws": None}) == []


def test_shared_charts_are_not_checked_against_their_pipes() -> None:
    listing = {"catalogue": pipe("catalogue", "SELECT 1")}
    assert isolation.pipe_findings([CATALOGUE], {"ws": listing}) == []


# --- templated pipes, as a Tinybird listing document shows them ---------------------------------


def templated(*sqls: str, required: bool | None = False) -> dict:
    """A ``GET /v0/pipes`` document with one pipe ``sales`` whose nodes have these SQL texts
    (``%`` first lines, as Tinybird lists templated nodes) and which declares company_id."""
    declared = [{"name": "company_id", "type": "String", "required": required, "default": None}]
    nodes = [{"name": f"sales_{i}", "sql": sql, "params": declared if "company_id" in sql else []} for i, sql in enumerate(sqls)]
    return {"pipes": [{"id": "t_sales", "name": "sales", "type": "endpoint", "params": declared, "nodes": nodes}]}


def audited(document: dict) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in isolation.pipe_findings([SALES], {"ws": isolation.parse_listing(document)})]


REQUIRED = "{{ String(company_id, required=True) }}"
GUARDED_USE = "{% if defined(company_id) %} AND company_id = {{ String(company_id) }} {% end %}"


def test_a_tenant_param_used_unconditionally_in_a_template_passes() -> None:
    assert audited(templated(f"%\nSELECT * FROM orders WHERE company_id = {REQUIRED}", required=True)) == []


def test_a_tenant_param_used_only_under_defined_is_a_warning_that_it_relies_on_fixed_params() -> None:
    document = templated(f"%\nSELECT * FROM orders WHERE 1 {GUARDED_USE}")
    assert audited(document) == [(isolation.WARNING, "param-guarded")]  # not also param-optional
    [finding] = isolation.pipe_findings([SALES], {"ws": isolation.parse_listing(document)})
    assert "optional, relies on fixed_params" in finding.message and "company_id" in finding.message


def test_sql_and_with_defined_false_is_guarded_and_without_it_is_a_use() -> None:
    guarded = "%\nSELECT * FROM orders WHERE {{ sql_and(company_id__in=Array(company_id, 'String', defined=False)) }}"
    assert audited(templated(guarded)) == [(isolation.WARNING, "param-guarded")]
    used = "%\nSELECT * FROM orders WHERE {{ sql_and(company_id__in=Array(company_id, 'String', required=True)) }}"
    assert audited(templated(used, required=True)) == []


@pytest.mark.parametrize(
    "sql",
    [
        "%\nSELECT * FROM orders {% if defined(date_from) %} WHERE date >= {{ Date(date_from) }} {% end %}",
        "%\nSELECT * FROM orders {% if defined(company_id) %} WHERE 1 {% end %}",  # tested, never written
        f"%\nSELECT * FROM orders -- WHERE company_id = {REQUIRED}",
        f"%\nSELECT * FROM orders /* WHERE 1 {GUARDED_USE} */",
        f"%\nSELECT * FROM orders {{# WHERE company_id = {REQUIRED} #}}",
        "%\nSELECT 'company_id' AS company_id, {{ Int32(limit, 10, description='company_id') }} AS n FROM orders",
    ],
)
def test_a_template_that_never_writes_the_tenant_param_ignores_it(sql: str) -> None:
    assert audited(templated(sql)) == [(isolation.ERROR, "param-unused"), (isolation.ERROR, "param-optional")]
    assert audited(templated(sql, required=None)) == [(isolation.ERROR, "param-unused")]


def test_comment_markers_and_the_name_inside_strings_do_not_hide_a_use() -> None:
    sql = f"%\nSELECT 'company_id -- /*' AS c FROM orders WHERE note != '*/' AND company_id = {REQUIRED} -- done"
    assert audited(templated(sql, required=True)) == []


def test_a_use_in_an_earlier_node_counts_for_the_pipe() -> None:
    document = templated(
        f"%\nSELECT * FROM orders WHERE company_id = {REQUIRED}",
        "SELECT city, sum(amount) AS total FROM sales_0 GROUP BY city",
        required=True,
    )
    assert audited(document) == []


def test_one_unguarded_use_in_any_node_makes_the_param_required_in_effect() -> None:
    document = templated(
        f"%\nSELECT * FROM orders WHERE 1 {GUARDED_USE}",
        f"%\nSELECT * FROM sales_0 WHERE company_id = {REQUIRED}",
        required=True,
    )
    assert audited(document) == []


def test_a_node_that_does_not_parse_is_a_warning_and_uses_nothing() -> None:
    unclosed = "%\nSELECT * FROM orders {% if defined(company_id) %} WHERE company_id = {{ company_id }}"
    document = templated(unclosed, required=None)
    assert audited(document) == [(isolation.WARNING, "sql-unreadable"), (isolation.ERROR, "param-unused")]


def test_plain_sql_is_not_read_as_a_template() -> None:
    # no "%" line and no tag: ClickHouse's own {name:Type} and "{#" in a string are SQL
    document = templated("SELECT * FROM orders WHERE company_id = {company_id:String} AND note != '{#'", required=None)
    assert audited(document) == [(isolation.ERROR, "param-unused")]


# --- listing --------------------------------------------------------------------------------------


def test_parse_listing_reads_tinybirds_shape_leniently() -> None:
    document = {
        "pipes": [
            {
                "id": "t_1",
                "name": "sales",
                "nodes": [
                    {"name": "sales_0", "sql": FILTERING_SQL, "params": [{"name": "company_id", "type": "String", "required": True, "default": None}, "junk"]},
                    "junk",
                ],
            },
            {"name": 5},
            "junk",
        ]
    }
    listing = isolation.parse_listing(document)
    assert set(listing) == {"sales", "t_1"}
    assert listing["sales"].declarations("company_id") == [ParamInfo("company_id", "String", True, None)]
    assert listing["sales"].uses("company_id")


@pytest.mark.parametrize("document", [None, [], {"data": []}, {"pipes": {}}, "pipes"])
def test_parse_listing_refuses_what_is_not_a_listing(document: object) -> None:
    with pytest.raises(isolation.ListingError):
        isolation.parse_listing(document)


# --- audit and tables -----------------------------------------------------------------------------


def test_audit_lists_errors_before_warnings() -> None:
    all_rows = rows("acme", [SALES], company_id="x") + rows("globex", [SALES], company_id="x")
    listing = {"other": pipe("other", "SELECT 1")}
    found = isolation.audit(all_rows, [SALES], {"ws": listing})
    assert [f.severity for f in found] == [isolation.ERROR, isolation.WARNING]


def test_tables_pad_columns() -> None:
    lines = isolation.table(["A", "BB"], [("xxx", "y")])
    assert lines == ["A    BB", "---  --", "xxx  y"]
    assert str(Finding("error", "same-values", "ws", "p", "m")) == "ERROR same-values [ws/p]: m"


def test_the_listing_reader_needs_nothing_else_of_charts() -> None:
    """Parsing a listing and scanning SQL stand alone (no tokens, no findings), so they can move
    to the neutral package the day pipes needs the same scanner."""
    tree = ast.parse((ROOT / "charts" / "isolation" / "listing.py").read_text())
    assert {n for n in imported_modules(tree, ("charts", "isolation")) if n.split(".")[0] == "charts"} == set()


def test_the_package_exports_what_callers_use() -> None:
    assert {name for name in isolation.__all__ if getattr(isolation, name, None) is None} == set()
    assert isolation.ChartInfo is isolation.findings.ChartInfo and isolation.table is isolation.report.table
