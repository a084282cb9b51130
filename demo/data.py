"""Deterministic synthetic orders for the demo and the benchmarks.

The same seed and row count always give the same rows, so figures in tests and screenshots are
stable. Dates run over a fixed year (not relative to today).
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

ORDER_COLUMNS = [
    ("date", "Date"),
    ("company_id", "String"),
    ("city", "String"),
    ("product", "String"),
    ("amount", "Float"),
]
# Initech has orders too: its tenant simply has no filter rule, so it must see none of them.
COMPANIES = {"acme": 0.45, "globex": 0.35, "initech": 0.20}
CITIES = ["Berlin", "Lisbon", "Madrid", "Paris", "Rome", "Vienna", "Warsaw", "Dublin"]
PRODUCTS = {
    "Anvil": 120.0,
    "Rocket skates": 340.0,
    "Giant magnet": 89.0,
    "Portable hole": 55.0,
    "Tornado seeds": 12.5,
    "Earthquake pills": 23.0,
    "Jet-propelled pogo": 210.0,
    "Bird seed": 4.75,
}
FIRST_DAY = date(2026, 1, 1)
DAYS = 365


def order_rows(count: int, seed: int = 42) -> Iterator[tuple]:
    """``count`` orders as (date, company_id, city, product, amount) tuples."""
    rng = random.Random(seed)
    companies = list(COMPANIES)
    weights = list(COMPANIES.values())
    products = list(PRODUCTS)
    # Each company has its own favourite cities, so tenants' charts look different.
    city_weights = {c: [rng.random() ** 2 + 0.05 for _ in CITIES] for c in companies}
    for _ in range(count):
        company = rng.choices(companies, weights)[0]
        city = rng.choices(CITIES, city_weights[company])[0]
        product = products[min(int(rng.expovariate(0.45)), len(products) - 1)]
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        amount = round(PRODUCTS[product] * rng.uniform(0.6, 1.8) * rng.randint(1, 4), 2)
        yield (day.isoformat(), company, city, product, amount)
