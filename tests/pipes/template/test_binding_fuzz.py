"""Injection-proofing, by property: whatever a request sends, the SQL text is the same; the
values only ever reach ClickHouse as bound parameters."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipes.template import TemplateError, render
from tests.support.examples import examples

# Text that has broken SQL renderers: quotes, backslashes, braces and our own placeholder
# syntax, comment openers, NUL and other control characters, newlines, non-BMP Unicode.
NASTY = st.sampled_from(
    ["'", '"', "`", "\\", "\\'", "}", "{", "}}", "{{", "{%", "%}", "{p_1:String}", "--", "/*", "*/", ";", "\0", "\n", "\r",
     "\t", "\x1b", "é", "😀", "\u2028", "' OR 1=1 --", "') UNION SELECT 1 --", "$$", "%", "_"]
)
TEXT = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=5)), min_size=1, max_size=8).map("".join)

TEMPLATE = """%
SELECT {{ columns(cols, 'a,b') }}, {{ String(label, 'x') }} AS label
FROM t
WHERE tenant = {{ String(tenant_id, required=True) }}
  AND name = {{ name }}
  AND c IN {{ Array(cities, 'String', default='Rome') }}
  AND n >= {{ Int64(n, 0) }} AND f < {{ Float64(f, 1.5) }}
  {% if defined(q) %} AND title LIKE {{ '%' + String(q) + '%' }} {% end %}
  {% for tag in split_to_array(tags, 'a') %} AND has(tags, {{ tag }}) {% end %}
  AND {{ sql_and(kind__in=Array(kinds, 'String', defined=False)) }}
ORDER BY {{ column(order_by, 'date') }}
LIMIT {{ Int32(page, 0) * Int32(page_size, 20) }}, {{ Int32(page_size, 20) }}
"""

BASELINE = {
    "tenant_id": "acme", "name": "n", "label": "l", "cities": "a,b", "n": "1", "f": "2.5", "q": "x",
    "tags": "t1,t2", "kinds": "k", "page": "1", "page_size": "10",
}
BASELINE_SQL = render(TEMPLATE, BASELINE).sql


def _commas_free(text: str) -> str:
    return text.replace(",", ";") or "x"


@settings(max_examples=examples(1000))
@given(
    tenant_id=TEXT,
    name=TEXT,
    label=TEXT,
    cities=st.tuples(TEXT, TEXT).map(lambda p: _commas_free(p[0]) + "," + _commas_free(p[1])),
    n=st.integers(-(2**63), 2**63 - 1).map(str),
    f=st.floats(allow_nan=False, allow_infinity=False).map(repr),
    q=TEXT,
    tags=st.tuples(TEXT, TEXT).map(lambda p: "x" + _commas_free(p[0]).strip() + ",y" + _commas_free(p[1]).strip()),
    kinds=TEXT,
    page=st.integers(0, 10_000).map(str),
    page_size=st.integers(0, 10_000).map(str),
)
def test_the_sql_text_never_depends_on_the_values(**values):
    rendered = render(TEMPLATE, values)
    assert rendered.sql == BASELINE_SQL
    # every value reached the parameters intact
    bound = list(rendered.parameters.values())
    assert values["tenant_id"] in bound
    assert values["name"] in bound
    assert "%" + values["q"] + "%" in bound
    for name, ch_type in rendered.types.items():
        assert f"{{{name}:{ch_type}}}" in rendered.sql


@settings(max_examples=examples(500))
@given(TEXT)
def test_a_bare_placeholder_value_is_always_bound(value):
    rendered = render("SELECT 1 WHERE c = {{ company_id }}", {"company_id": value})
    assert rendered.sql == "SELECT 1 WHERE c = {p_1:String}"
    assert rendered.parameters == {"p_1": value}


@settings(max_examples=examples(500))
@given(TEXT)
def test_identifiers_are_plausible_and_quoted_or_refused(value):
    try:
        sql = render("ORDER BY {{ column(c) }}", {"c": value}).sql
    except TemplateError as exc:
        assert exc.param == "c"
        return
    assert re.fullmatch(r"ORDER BY `[A-Za-z_][A-Za-z0-9_]*`(\.`[A-Za-z_][A-Za-z0-9_]*`)*", sql)


@given(st.text(alphabet=st.characters(blacklist_characters="{"), max_size=200))
def test_sql_without_tags_passes_through(text):
    assert render(text).sql == text


@given(TEXT.filter(lambda text: "%}" not in text))  # a tag ends at the first %}, as in Tornado
def test_template_constants_are_escaped_literals(value):
    # A constant of the template itself is inlined: check the literal is one closed string.
    sql = render("{% set c = " + repr(value) + " %}SELECT {{ c }}").sql
    body = sql[len("SELECT ") :]
    assert body.startswith("'") and body.endswith("'")
    inner = body[1:-1]
    assert "\n" not in inner and "\0" not in inner and "\r" not in inner
    assert re.fullmatch(r"(?:[^'\\]|\\.)*", inner, re.S)


# Every way a value can travel through an expression; none may write it into the SQL text.
CANARY_TEMPLATES = [
    "{{ v }}",
    "{{ String(v) }}",
    "{{ String(v) + 'x' }}",
    "{{ 'x' + v }}",
    "{{ v * 2 }}",
    "{{ [v, 'a'] }}",
    "{{ (v, 1) }}",
    "{{ {'k': v}['k'] }}",
    "{{ v if defined(v) else 'z' }}",
    "{{ v or 'z' }}",
    "{{ 'z' and v }}",
    "{{ v[0:100] }}",
    "{{ v[0] }}",
    "{{ str(v) }}",
    "{{ min(v, 'zzzz') }}",
    "{{ max([v, 'a']) }}",
    "{{ Array(v, 'String') }}",
    "{{ split_to_array(v) }}",
    "{{ split_to_array(v)[0] }}",
    "{% for x in split_to_array(v) %}{{ x }}{% end %}",
    "{% for x in Array(v) %}{{ x }}{% end %}",
    "{% for x in [v, v] %}{{ x }}{% end %}",
    "{% for c in String(v) %}{{ c }}{% end %}",
    "{% set w = v %}{{ w }}",
    "{% set w = String(v) %}{{ String(w) }}",
    "{{ sql_unescape(String(v), '%') }}",
    "{{ sql_and(a__eq=String(v), b__in=Array(v, 'String')) }}",
    "{{ tb_secret('S') }}",
    "{{ String(u, v) }}",
    "{{ Array(u, 'String', default=v) }}",
]


@settings(max_examples=examples(300))
@given(st.sampled_from(CANARY_TEMPLATES), TEXT)
def test_a_request_value_never_reaches_the_sql_text(template, noise):
    canary = "§¤" + noise  # characters no template here writes itself
    rendered = render(template, {"v": canary}, secrets=lambda name: canary)
    assert "§" not in rendered.sql and "¤" not in rendered.sql  # not even character by character
    assert rendered.parameters
