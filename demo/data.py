"""Deterministic synthetic orders for the demo and the benchmarks, generated inside ClickHouse.

``INSERT INTO orders SELECT … FROM numbers(start, count)``: every value is a hash of the row
number and the seed, so the same seed and row count always give the same rows, whichever chunks
they are loaded in, and nothing crosses from Python to ClickHouse but a few parameters. Dates run
over a fixed year (not relative to today), so figures in tests and screenshots are stable.

The shape: acme 45% of the orders, globex 35%, initech 20% (its tenant has no filter rule, so
it must see none of them); each company has its own favourite cities, drawn from the seed; an
exponential product mix over a price list; an amount of price × 0.6–1.8 × 1–4 items.
"""
from __future__ import annotations

import random
from datetime import date

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
PRODUCT_RATE = 0.45  # of the exponential product mix: the first products sell most

# u(k): a uniform [0, 1) from the row number and the seed, one independent stream per k.
_U = "(cityHash64(number, {{seed:Int64}}, {k}) / 18446744073709551616.0)"

GENERATE_ORDERS = f"""
INSERT INTO orders (date, company_id, city, product, amount)
SELECT date, company_id, city, product, amount
FROM
(
    SELECT
        arrayFirstIndex(x -> x > {_U.format(k=1)}, {{company_cumulative:Array(Float64)}}) AS company_index,
        {{companies:Array(String)}}[company_index] AS company_id,
        {{cities:Array(String)}}[arrayFirstIndex(
            x -> x > {_U.format(k=2)}, {{city_cumulative:Array(Array(Float64))}}[company_index]
        )] AS city,
        least(toUInt8(floor(-log(1 - {_U.format(k=3)}) / {PRODUCT_RATE})), {len(PRODUCTS) - 1}) AS product_index,
        {{products:Array(String)}}[1 + product_index] AS product,
        {{prices:Array(Float64)}}[1 + product_index] AS price,
        toDate({{first_day:String}}) + toUInt16(floor({_U.format(k=4)} * {DAYS})) AS date,
        round(price * (0.6 + 1.2 * {_U.format(k=5)}) * (1 + floor({_U.format(k=6)} * 4)), 2) AS amount
    FROM numbers({{start:UInt64}}, {{count:UInt64}})
)
"""


def _cumulative(weights: list[float]) -> list[float]:
    """Cumulative shares ending at exactly 1.0, so every uniform [0, 1) finds an index."""
    total = sum(weights)
    running, shares = 0.0, []
    for weight in weights:
        running += weight
        shares.append(running / total)
    shares[-1] = 1.0
    return shares


def generate_parameters(start: int, count: int, seed: int = 42) -> dict[str, object]:
    """The query parameters of ``GENERATE_ORDERS`` for rows ``start`` … ``start + count - 1``."""
    rng = random.Random(seed)
    # Each company has its own favourite cities, so tenants' charts look different.
    city_weights = [[rng.random() ** 2 + 0.05 for _ in CITIES] for _ in COMPANIES]
    return {
        "seed": seed,
        "companies": list(COMPANIES),
        "company_cumulative": _cumulative(list(COMPANIES.values())),
        "cities": CITIES,
        "city_cumulative": [_cumulative(weights) for weights in city_weights],
        "products": list(PRODUCTS),
        "prices": list(PRODUCTS.values()),
        "first_day": FIRST_DAY.isoformat(),
        "start": start,
        "count": count,
    }
