"""What the demo contains: pipes on the built-in host, charts, dashboards, tenants and people.

This app is the only place that knows both `charts` and `pipes`; it only writes rows into each.
"""
from __future__ import annotations

from typing import TypedDict

DEMO_PASSWORD = "panes-demo"

# A pipe param: (name, type, required, default).
Param = tuple[str, str, bool, str]


class PipeSpec(TypedDict):
    description: str
    sql: str
    params: list[Param]


TENANT_FILTER: list[Param] = [("company_id", "String", True, "")]
DATE_RANGE: list[Param] = [("date_from", "Date", False, ""), ("date_to", "Date", False, "")]
_DATES = "({{ date_from }} IS NULL OR date >= {{ date_from }}) AND ({{ date_to }} IS NULL OR date <= {{ date_to }})"

PIPES: dict[str, PipeSpec] = {
    "sales_by_day": {
        "description": "Orders and revenue per day for one company.",
        "sql": "SELECT date, COUNT(*) AS orders, SUM(amount) AS revenue FROM orders "
        "WHERE company_id = {{ company_id }} AND " + _DATES + " GROUP BY date ORDER BY date",
        "params": TENANT_FILTER + DATE_RANGE,
    },
    "sales_by_city": {
        "description": "Revenue and orders per city for one company.",
        "sql": "SELECT city, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders "
        "WHERE company_id = {{ company_id }} AND " + _DATES + " GROUP BY city ORDER BY revenue DESC",
        "params": TENANT_FILTER + DATE_RANGE,
    },
    "top_products": {
        "description": "The ten best-selling products of one company.",
        "sql": "SELECT product, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders "
        "WHERE company_id = {{ company_id }} AND " + _DATES + " GROUP BY product ORDER BY revenue DESC LIMIT 10",
        "params": TENANT_FILTER + DATE_RANGE,
    },
    "kpi_totals": {
        "description": "Total revenue, orders and average order value of one company.",
        "sql": "SELECT SUM(amount) AS revenue, COUNT(*) AS orders, AVG(amount) AS avg_order FROM orders "
        "WHERE company_id = {{ company_id }} AND " + _DATES,
        "params": TENANT_FILTER + DATE_RANGE,
    },
    "sales_by_month": {
        "description": "Revenue per month and product for one company.",
        "sql": "SELECT SUBSTR(CAST(date AS TEXT), 1, 7) AS month, "
        "SUM(CASE WHEN product = 'Anvil' THEN amount ELSE 0 END) AS anvils, "
        "SUM(CASE WHEN product = 'Rocket skates' THEN amount ELSE 0 END) AS rocket_skates, "
        "SUM(CASE WHEN product NOT IN ('Anvil', 'Rocket skates') THEN amount ELSE 0 END) AS other "
        "FROM orders WHERE company_id = {{ company_id }} AND " + _DATES + " GROUP BY 1 ORDER BY 1",
        "params": TENANT_FILTER + DATE_RANGE,
    },
    "product_catalogue": {
        "description": "Products on sale: the same for every company.",
        "sql": "SELECT product, COUNT(DISTINCT city) AS cities FROM orders GROUP BY product ORDER BY product",
        "params": [],
    },
}

# (key, title, pipe, type, index, categories, extra)
CHARTS = [
    ("revenue_by_day", "Revenue by day", "sales_by_day", "line", "date", "revenue", {}),
    ("orders_by_day", "Orders by day", "sales_by_day", "area", "date", "orders", {}),
    ("revenue_by_city", "Revenue by city", "sales_by_city", "bar", "city", "revenue", {}),
    ("top_products", "Top products", "top_products", "bar_list", "product", "revenue", {}),
    ("city_share", "Share of revenue by city", "sales_by_city", "donut", "city", "revenue", {}),
    ("product_mix", "Orders by product", "top_products", "pie", "product", "orders", {}),
    ("total_revenue", "Total revenue", "kpi_totals", "kpi", "", "revenue", {}),
    ("total_orders", "Orders", "kpi_totals", "kpi", "", "orders", {}),
    ("city_table", "Cities", "sales_by_city", "table", "city", "revenue,orders", {}),
    ("monthly_mix", "Monthly revenue by product", "sales_by_month", "bar", "month", "anvils,rocket_skates,other", {"stacked": True}),
    ("catalogue", "Product catalogue", "product_catalogue", "table", "product", "cities", {"shared": True}),
]

# Viewer-settable params (the dashboard's date range) of every chart on a pipe with a date range.
FILTER_PARAMS = {name: "date_from,date_to" for name, spec in PIPES.items() if DATE_RANGE[0] in spec["params"]}

# (slug, title, description, visible_to_all, tenant slugs, [(chart key, width)])
DASHBOARDS = [
    (
        "sales-overview",
        "Sales overview",
        "Revenue, orders, cities and products for your organisation.",
        True,
        [],
        [
            ("total_revenue", 3),
            ("total_orders", 3),
            ("top_products", 6),
            ("revenue_by_day", 12),
            ("revenue_by_city", 6),
            ("city_share", 6),
            ("orders_by_day", 6),
            ("product_mix", 6),
        ],
    ),
    (
        "acme-operations",
        "Acme operations",
        "Monthly product mix and city detail, for Acme only.",
        False,
        ["acme"],
        [("monthly_mix", 12), ("city_table", 6), ("catalogue", 6)],
    ),
]

# (slug, name, company_id or None: Initech has no rule, to show failing closed)
TENANTS = [("acme", "Acme", "acme"), ("globex", "Globex", "globex"), ("initech", "Initech", None)]

# Brand palettes for Panes-rendered charts that set no colours of their own (blank: Panes' own).
BRAND_COLORS = {"globex": "#0f766e,#0ea5e9,#f59e0b,#84cc16,#e11d48,#6366f1,#14b8a6,#a16207"}

# username -> tenant slugs
USERS = {"alice": ["acme"], "bob": ["globex"], "carol": ["acme", "globex"], "dave": ["initech"]}
