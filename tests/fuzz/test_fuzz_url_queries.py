"""Fuzzing the query string of every URL Panes serves: never a 5xx, never an exception.

The URLs come from the URL resolver itself (every named pattern, admin included), so a new page
is fuzzed as soon as it is routed; a pattern whose arguments this module cannot fill fails the
collection of this file rather than being skipped. Each URL is requested as a superuser and as an
ordinary viewer (alice, a viewer in Acme); the pipe API gets the workspace admin token and a token
of Acme's instead. Query strings mix the keys each page reads (a changelist's filters, search,
ordering, date hierarchy and admin switches; tenant, theme and filter params on the app's pages;
the pipe's params) with random keys, and values from random text, unicode digits, huge numbers,
NUL bytes, broken percent-encoding and very long strings.

Each URL gets ``examples(50)`` query strings (50 under the "ci" hypothesis profile, 5 under
"dev"), each as one of the personas.
"""
from __future__ import annotations

import datetime
import os
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charts import reports
from charts.models import Dashboard, DashboardChart, IntranetGroupRule, ReportDelivery, ReportSubscription, TokenGrant
from tests.charts.builders import make_chart, make_dashboard, make_tinybird_chart
from tests.support.examples import examples

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the URLs -------------------------------------------------------------------------------------

PIPE_FORMATS = ("json", "csv", "ndjson")


def named_patterns(resolver: URLResolver | None = None, namespace: str = "") -> list[tuple[str, set[str]]]:
    """(name, argument names) of every named pattern, namespaced as ``reverse`` wants it."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            outer = set(pattern.pattern.regex.groupindex)
            found += [(name, args | outer) for name, args in named_patterns(pattern, inner)]
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((namespace + pattern.name, set(pattern.pattern.regex.groupindex)))
    return found


def url_cases() -> list[tuple[str, dict[str, str]]]:
    """(URL name, fixed arguments) to fuzz: one per named pattern, one per pipe data format, and
    the unnamed ones by path."""
    cases = []
    for name, args in sorted(named_patterns()):
        unknown = args - {"id", "object_id", "app_label", "content_type_id", "slug", "chart_id", "pk", "tile_id", "name", "fmt", "lang", "signed"}
        assert not unknown, f"{name}: add how to fill {unknown} to this module"
        if "fmt" in args:
            cases += [(name, {"fmt": fmt}) for fmt in PIPE_FORMATS]
        else:
            cases.append((name, {}))
    # Unnamed: the pipe host's JSON 404 for anything else under /v0/.
    return cases + [("pipes:not_found", {"path": "/v0/no_such_endpoint"}), ("pipes:not_found", {"path": "/v0/pipes/sales.xml"})]


CASES = url_cases()
ARGS = dict(named_patterns())
PERSONAS = ["superuser", "viewer"]


@pytest.fixture
def world(request, workspace, acme, globex, alice, staff):
    """One object of every model the admin shows, a dashboard and a personal one for alice; the
    pipe host's rows only for the pipe host's pages (loading them is the slow part)."""
    name = request.node.callspec.params["name"]
    if name.startswith(("pipes:", "admin:pipes_")):
        request.getfixturevalue("sales")
    panes = make_chart(workspace, "Sales", "sales", filter_params="date_from, city", colors="#112233")
    tinybird = make_tinybird_chart(workspace)
    board = make_dashboard("sales", acme, charts=[panes, tinybird])
    personal = Dashboard.objects.create(title="Mine", slug="alice-mine", owner=alice, owner_tenant=acme)
    tile = DashboardChart.objects.create(dashboard=personal, chart=panes, position=0)
    IntranetGroupRule.objects.create(group="sales", tenant=acme)
    Group.objects.create(name="operators")
    now = timezone.now()
    AccessAttempt.objects.create(username="mallory", ip_address="10.0.0.1", attempt_time=now, failures_since_start=3)
    AccessLog.objects.create(username="alice", ip_address="10.0.0.2", attempt_time=now)
    AccessFailureLog.objects.create(username="mallory", ip_address="10.0.0.1", attempt_time=now)
    TokenGrant.objects.create(
        user=alice, tenant=acme, workspace=workspace, dashboard=board, payload={"name": "x", "scopes": []},
        fingerprint="f" * 64, issued_at=now, expires_at=now,
    )
    subscription = ReportSubscription.objects.create(
        user=alice, tenant=acme, dashboard=board, send_time=datetime.time(8, 0), filters={"city": "Berlin"}
    )
    ReportDelivery.objects.create(subscription=subscription, scheduled_for=now, status="failed", last_error="x")
    path = request.node.callspec.params["fixed"].get("path")
    return {"subscription": subscription, "workspace": workspace, "chart": panes, "dashboard": board, "personal": personal, "tile": tile, "path": path}


def model_of_admin_url(name: str):
    """The model of ``admin:<app>_<model>_<view>``, or None for the site's own pages."""
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def url_for(name: str, fixed: dict[str, str], world: dict) -> str:
    args = ARGS[name]
    kwargs: dict[str, object] = dict(fixed)
    model = model_of_admin_url(name)
    first = model._default_manager.order_by("pk").first() if model is not None else None
    if "object_id" in args and name != "admin:view_on_site":
        kwargs["object_id"] = first.pk
    if "id" in args:  # the user admin's password form
        kwargs["id"] = first.pk
    if name == "admin:view_on_site":
        kwargs["content_type_id"] = ContentType.objects.get_for_model(Dashboard).pk
        kwargs["object_id"] = world["dashboard"].pk
    if "app_label" in args:
        kwargs["app_label"] = "charts"
    if "slug" in args:
        kwargs["slug"] = world["dashboard"].slug
    if "chart_id" in args:
        kwargs["chart_id"] = world["chart"].pk
    if "pk" in args:
        kwargs["pk"] = world["personal"].pk
    if "tile_id" in args:
        kwargs["tile_id"] = world["tile"].pk
    if "name" in args:
        kwargs["name"] = "sales"
    if "lang" in args:  # the scripts' catalogue
        kwargs["lang"] = "de"
    if "signed" in args:  # a report email's unsubscribe link
        kwargs["signed"] = reports.unsubscribe_token(world["subscription"])
    return reverse(name, kwargs={k: str(v) for k, v in kwargs.items()})


# --- the keys each page reads -----------------------------------------------------------------------

ADMIN_KEYS = ["o", "q", "p", "e", "all", "_to_field", "_popup", "_changelist_filters", "_facets"]
APP_KEYS = [
    "tenant", "theme", "bordered", "titled", "controls", "autosize", "date_from", "date_to", "city", "region",
    "company_id", "next", "format", "token", "locale",
]
AUTOCOMPLETE_KEYS = ["term", "app_label", "model_name", "field_name", "page"]
PIPE_KEYS = ["company_id", "city", "date_from", "min_amount", "min_quantity", "paid", "since", "q", "format", "token"]
_changelist_keys: dict[str, list[str]] = {}


def changelist_keys(model, user) -> list[str]:
    """Every parameter the model's changelist filters read, as its filter specs declare them."""
    label = model._meta.label
    if label not in _changelist_keys:
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/")
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        keys = [key for spec in changelist.filter_specs for key in spec.expected_parameters()]
        if changelist.date_hierarchy:
            keys += [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        _changelist_keys[label] = keys
    return _changelist_keys[label]


def keys_for(name: str, user) -> list[str]:
    if name.startswith("pipes:"):
        return PIPE_KEYS
    if name == "admin:autocomplete":
        return AUTOCOMPLETE_KEYS + ADMIN_KEYS
    if name.startswith("admin:"):
        model = model_of_admin_url(name)
        if model is not None and name.endswith("_changelist"):
            return changelist_keys(model, user) + ADMIN_KEYS
        return ADMIN_KEYS + ["tenant", "next", "_changelist_filters"]
    return APP_KEYS


# --- query strings ---------------------------------------------------------------------------------

SPECIAL_VALUES = [
    "", "0", "-1", "1", "2", "12", "13", "31", "32", "9999", "10000", "99999999999", "9" * 400, "-99999999999",
    "1e309", "nan", "inf", "true", "false", "null", "[]", "{}", "²", "٣", "１２", "߄", "Ⅻ", "\x00", "a\x00b",
    "2024-02-30", "9999-12-31", "0001-01-01", "2024-01-01T00:00:00Z", "1.-2.3", "-0", "1..2", ".", "-", "x" * 5000,
    "acme", "globex", "dark", "auto", "'", '"', "<script>", "../../", "%", "a,b", "\u202e", "\U0010ffff",
]
PERCENT_JUNK = ["%", "%%", "%G1", "%zz", "%0", "%00", "%C0%AE", "%FF%FE", "%ED%A0%80", "%E2%82", "%C2%B2", "+", "%26", "%3D"]
VALUES = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.text(max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),  # unicode digits
)


def pair(draw, keys: st.SearchStrategy[str]) -> str:
    key, value = draw(keys), draw(VALUES)
    style = draw(st.sampled_from(["quoted", "quoted", "quoted", "raw", "junk", "bare"]))
    if style == "quoted":
        return quote(key, safe="") + "=" + quote(value, safe="")
    if style == "raw":  # unencoded, as a careless client sends it
        return (key + "=" + value).encode("utf-8", "surrogatepass").decode("latin-1")
    if style == "junk":
        return quote(key, safe="") + "=" + draw(st.sampled_from(PERCENT_JUNK)) + quote(value[:10], safe="")
    return quote(key, safe="")


@st.composite
def date_drill(draw, field: str) -> str:
    """A date hierarchy drill-down (year, month, day), numbers in and out of range."""
    number = st.one_of(st.integers(-2, 10001), st.sampled_from(["9999", "99999999999", "²", "", "0x10", " 1"])).map(str)
    parts = draw(st.lists(st.sampled_from(["year", "month", "day"]), min_size=1, max_size=3, unique=True))
    return "&".join(f"{field}__{part}={quote(draw(number), safe='')}" for part in parts)


@st.composite
def query_strings(draw, page_keys: list[str]) -> str:
    keys = st.one_of(st.sampled_from(page_keys), st.sampled_from(page_keys), st.text(max_size=15))
    pieces = [pair(draw, keys) for _ in range(draw(st.integers(0, 8)))]
    drills = sorted({key.rsplit("__", 1)[0] for key in page_keys if key.endswith("__year")})
    if drills and draw(st.booleans()):
        pieces.append(draw(date_drill(draw(st.sampled_from(drills)))))
    if draw(st.integers(0, 9)) == 0:  # the odd malformed whole
        return draw(st.binary(max_size=100)).decode("latin-1")
    return "&".join(draw(st.permutations(pieces)))


# --- the test ----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def drawn_without_chromium(monkeypatch) -> None:
    """The PDF and PNG exports are drawn by Chromium from a live server (tests/browser/test_exports.py);
    here a stand-in draws them, so what is fuzzed is the views' own handling of the query."""
    from charts import render

    def stand_in(audience, dashboard, query, *, chart_ids=None, pdf=True, **options) -> render.DashboardRender:
        png = b"\x89PNG\r\n\x1a\n" + render._chunk(b"IHDR", bytes(13)) + render._chunk(b"IEND", b"")
        charts = [render.ChartRender(i, "", "ready", png, "", "", "chart.png") for i in chart_ids or []]
        return render.DashboardRender("", "export", "", [], b"%PDF" if pdf else None, charts)

    monkeypatch.setattr(render, "render_dashboard", stand_in)


@pytest.fixture
def personas(client, staff, alice, acme_token) -> dict[str, tuple]:
    """persona -> (user, pipe API token)."""
    return {
        "superuser": (staff, os.environ[django_settings.PIPES_ADMIN_TOKEN_ENV]),
        "viewer": (alice, acme_token),
    }


@pytest.mark.parametrize(("name", "fixed"), CASES, ids=[" ".join([n, *f.values()]) for n, f in CASES])
@FUZZ
@given(persona=st.sampled_from(PERSONAS), data=st.data())
def test_no_query_string_gets_a_server_error(client, personas, world, staff, name, fixed, persona, data) -> None:
    user, token = personas[persona]
    client.force_login(user)
    url = world["path"] or url_for(name, fixed, world)
    query = data.draw(query_strings(keys_for(name, staff)), label="query")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if name.startswith("pipes:") else {}
    response = client.get(url, QUERY_STRING=query, **headers)
    assert response.status_code < 500, f"{persona}: {url}?{query} -> {response.status_code}"
