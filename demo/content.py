"""What the demo contains: charts, dashboards, tenants and people over the endpoints of its
Tinybird project (demo/tinybird/, deployed on the built-in host).

This app is the only place that knows both `charts` and `pipes`; it only writes rows into each.
"""
from __future__ import annotations

from typing import Any

DEMO_PASSWORD = "panes-demo"

# The project's endpoints, and those a viewer may narrow by date (date_from, date_to).
PIPES = (
    "sales_by_day", "sales_by_city", "top_products", "kpi_totals", "sales_by_month", "product_catalogue", "orders_detail"
)
SHARED_PIPES = ("product_catalogue",)
DATE_RANGE = "date_from,date_to"
# Pipes that also take a city: the receivers of the city cross-filter.
CITY_PIPES = ("sales_by_day", "top_products", "kpi_totals", "sales_by_month")
# The detail table a click on a product or a city opens.
DETAIL_PIPE = "orders_detail"

# (key, title, pipe, type, index, categories, extra: stacked, shared, unit, cross_filter, drill)
# drill: (detail pipe, drill params in order)
CHARTS: list[tuple[str, str, str, str, str, str, dict[str, Any]]] = [
    ("revenue_by_day", "Revenue by day", "sales_by_day", "line", "date", "revenue", {"unit": "EUR"}),
    ("orders_by_day", "Orders by day", "sales_by_day", "area", "date", "orders", {}),
    ("revenue_by_city", "Revenue by city", "sales_by_city", "bar", "city", "revenue", {"unit": "EUR", "cross_filter": "city"}),
    (
        "top_products", "Top products", "top_products", "bar_list", "product", "revenue",
        {"unit": "EUR", "drill": (DETAIL_PIPE, "product,city")},
    ),
    (
        "city_share", "Share of revenue by city", "sales_by_city", "donut", "city", "revenue",
        {"unit": "EUR", "cross_filter": "city"},
    ),
    ("product_mix", "Orders by product", "top_products", "pie", "product", "orders", {}),
    ("total_revenue", "Total revenue", "kpi_totals", "kpi", "", "revenue", {"unit": "EUR"}),
    ("total_orders", "Orders", "kpi_totals", "kpi", "", "orders", {}),
    ("city_table", "Cities", "sales_by_city", "table", "city", "revenue,orders", {"drill": (DETAIL_PIPE, "city,product")}),
    ("monthly_mix", "Monthly revenue by product", "sales_by_month", "bar", "month", "anvils,rocket_skates,other", {"stacked": True, "unit": "EUR"}),
    ("catalogue", "Product catalogue", "product_catalogue", "table", "product", "cities", {"shared": True}),
]

# The charts' and dashboards' titles in the other languages (the admin's "Title (Deutsch)" fields).
TITLES: dict[str, dict[str, str]] = {
    "revenue_by_day": {"de": "Umsatz pro Tag", "pl": "Przychód dziennie"},
    "orders_by_day": {"de": "Bestellungen pro Tag", "pl": "Zamówienia dziennie"},
    "revenue_by_city": {"de": "Umsatz nach Stadt", "pl": "Przychód według miast"},
    "top_products": {"de": "Top-Produkte", "pl": "Najlepsze produkty"},
    "city_share": {"de": "Umsatzanteil nach Stadt", "pl": "Udział miast w przychodzie"},
    "product_mix": {"de": "Bestellungen nach Produkt", "pl": "Zamówienia według produktów"},
    "total_revenue": {"de": "Gesamtumsatz", "pl": "Przychód łącznie"},
    "total_orders": {"de": "Bestellungen", "pl": "Zamówienia"},
    "city_table": {"de": "Städte", "pl": "Miasta"},
    "monthly_mix": {"de": "Monatsumsatz nach Produkt", "pl": "Przychód miesięczny według produktów"},
    "catalogue": {"de": "Produktkatalog", "pl": "Katalog produktów"},
    "sales-overview": {"de": "Verkaufsübersicht", "pl": "Przegląd sprzedaży"},
    "acme-operations": {"de": "Acme-Betrieb", "pl": "Operacje Acme"},
}

# Viewer-settable params of every chart on a pipe: the dashboard's date range, and the city
# cross-filter where the pipe takes it.
FILTER_PARAMS = {
    name: DATE_RANGE + (",city" if name in CITY_PIPES else "")
    for name in PIPES
    if name not in SHARED_PIPES and name != DETAIL_PIPE
}

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

# Where report emails go: a reserved domain, nothing is ever delivered there.
EMAIL_DOMAIN = "example.org"

# username -> tenant slugs
USERS = {"alice": ["acme"], "bob": ["globex"], "carol": ["acme", "globex"], "dave": ["initech"]}
