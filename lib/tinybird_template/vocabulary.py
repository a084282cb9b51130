"""The names of Tinybird's template language: its typed functions and every function a template
may call. The renderer (``pipes.template.functions``) implements exactly these; the analysis
(``declared``) reads templates with them.
"""
from __future__ import annotations

INT_RANGES: dict[str, tuple[int, int]] = {}
for _bits in (8, 16, 32, 64, 128, 256):
    INT_RANGES[f"Int{_bits}"] = (-(2 ** (_bits - 1)), 2 ** (_bits - 1) - 1)
    INT_RANGES[f"UInt{_bits}"] = (0, 2**_bits - 1)

FLOAT_TYPES = {"Float32": 3.4028234663852886e38, "Float64": 1.7976931348623157e308}

# The ClickHouse type each Tinybird function binds its value as.
SCALAR_TYPES: dict[str, str] = {
    "String": "String",
    "Boolean": "Bool",
    "Date": "Date",
    "DateTime": "DateTime",
    "DateTime64": "DateTime64(6)",
    **{name: name for name in INT_RANGES},
    **{name: name for name in FLOAT_TYPES},
}

# The typed functions, which declare a param of their type.
TYPED_FUNCTIONS = frozenset({*SCALAR_TYPES, "Array"})

# Functions whose first argument is a param name.
NAME_FUNCTIONS = frozenset({*TYPED_FUNCTIONS, "defined", "column", "columns", "split_to_array"})

# Every function a template may call (a name among these is never a param).
FUNCTION_NAMES = frozenset(
    {
        *NAME_FUNCTIONS,
        *("symbol", "sql_unescape", "sql_and", "day_diff", "error", "custom_error", "tb_secret", "tb_var"),
        *(f"date_diff_in_{unit}" for unit in ("seconds", "minutes", "hours", "days")),
        *("len", "min", "max", "abs", "round", "int", "float", "str", "bool", "sum", "range"),
    }
)
