"""Fuzzing what an admin pastes for a Tinybird chart: ``parse_chart_snippet`` and the Chart admin
form. Every input gives a parsed chart on a Tinybird UI host or a clear SnippetError / form
error: never another exception, never a 500, and the token a paste carries never comes back."""
from __future__ import annotations

import re
import uuid

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from charts.forms import ChartAdminForm
from charts.models import Chart, Workspace
from charts.snippets import UI_HOST_RE, ParsedChart, SnippetError, chart_iframe_url, parse_chart_snippet
from tests.support.examples import examples

SECRET = "SECRETtok3n"  # the token pasted in a snippet's query string; must never come back
CHART_ID = "4d21283f-b85c-4ed5-8341-e2625f0e3080"
PASTED_TOKEN = re.compile(rf"(?i)[?&](amp;)?token=(amp;)?{SECRET}")

SCHEMES = st.one_of(st.just("https://"), st.just("https://"), st.just("https://"), st.sampled_from(["http://", "HTTPS://", "javascript:", "data:text/html,", "//", "", "https:/", "ftp://"]))
GOOD_HOSTS = st.sampled_from(["app.tinybird.co", "ui.tinybird.co", "app.us-east.tinybird.co", "app.eu-central-1.aws.tinybird.co"])
HOSTS = st.one_of(
    GOOD_HOSTS,
    GOOD_HOSTS,
    GOOD_HOSTS,
    st.sampled_from(
        [
            "APP.TINYBIRD.CO",
            "app.tinybird.co.",
            "api.tinybird.co",
            "api.us-east.tinybird.co",
            "evil.com",
            "app.tinybird.co.evil.com",
            "app.tinybird.co@evil.com",
            "user:pw@app.tinybird.co",
            "app.tinybird.co:443",
            "app.tinybird.co:8443",
            "app.tinybird.co:99999",
            "app.tinybird.co:x",
            "[::1]",
            "[app.tinybird.co",
            "app.tinybird.co\\@evil.com",
            "app.tіnybird.co",  # a Cyrillic і
            "app.tinybird.co%2F@evil.com",
            "app.-x-.tinybird.co",
            "app..tinybird.co",
            "",
        ]
    ),
    st.text(max_size=30),
)
SEGMENTS = st.one_of(
    st.sampled_from(
        ["gcp", "aws", "azure", "GCP", "europe-west3", "us-east-1", "endpoints", "charts", "sales_by_city", CHART_ID,
         CHART_ID.upper(), "..", ".", "", "%2e%2e", "endpoints%2F", "x" * 200, "9pipe", "pipe-name", "ünïcode", "\u212a"]
    ),
    st.text(max_size=12),
)
GOOD_TAILS = st.sampled_from(["", "/", "?", f"?token={SECRET}", f"?token={SECRET}&refresh=1", f"?a=1&token={SECRET}", f"?TOKEN={SECRET}"])
TAILS = st.one_of(
    GOOD_TAILS,
    GOOD_TAILS,
    st.sampled_from(["", "/", "?", f"?token={SECRET}", f"?token={SECRET}&refresh=1", f"?a=1&token={SECRET}", f"?TOKEN={SECRET}"]),
    st.sampled_from([f"?token={SECRET}#x", "#frag", "//", " ", "\n", "\t", "\x00", f"?token={SECRET}&amp;x=1"]),
)


@st.composite
def chart_urls(draw) -> str:
    valid_path = ["gcp", "europe-west3", "endpoints", "sales_by_city", "charts", CHART_ID]
    path = draw(st.one_of(st.just(valid_path), st.just(valid_path), st.just(valid_path[2:]), st.lists(SEGMENTS, max_size=8)))
    if draw(st.integers(0, 3)) == 0 and path:  # mutate one segment of an otherwise good path
        path = list(path)
        path[draw(st.integers(0, len(path) - 1))] = draw(SEGMENTS)
    return draw(SCHEMES) + draw(HOSTS) + "/" + "/".join(path) + draw(TAILS)


@st.composite
def snippets(draw) -> str:
    url = draw(chart_urls())
    quote = draw(st.sampled_from(['"', "'", ""]))
    attrs = draw(st.sampled_from(['', ' width="100%"', ' height="200px" style="border: none;"', " src=''", ' SRC="x"', " srcdoc='<b>'"]))
    tag = draw(st.one_of(st.just("iframe"), st.sampled_from(["iframe", "IFRAME", "iframe ", "ifram", "script", "img"])))
    body = f"<{tag}{attrs} src={quote}{url}{quote}{attrs}></{tag.strip()}>"
    extra = draw(st.sampled_from(["", "", "", "", "<iframe src='x'></iframe>", "text", "<!-- c -->", "<b>", "</iframe>", "&amp;", "<", "\x00"]))
    return draw(st.sampled_from([body, body + extra, extra + body, f"\n  {body}\n", body.replace("&", "&amp;")]))


PASTES = st.one_of(
    chart_urls(), chart_urls(), chart_urls(), chart_urls(), snippets(), snippets(), snippets(), st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))
)


def check_parsed(parsed: ParsedChart) -> None:
    """A parsed chart is safe to put a signed token on: a Tinybird UI host over https."""
    assert re.fullmatch(r"https://[a-z0-9.-]+", parsed.host)
    assert UI_HOST_RE.match(parsed.host.removeprefix("https://"))
    assert parsed.region == "" or re.fullmatch(r"(gcp|aws|azure)/[a-z0-9-]+", parsed.region)
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", parsed.pipe_name)
    assert isinstance(parsed.chart_uuid, uuid.UUID)


@settings(max_examples=examples(2000), deadline=None)
@given(text=PASTES)
@example(text=f"https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/{CHART_ID}?token={SECRET}")
@example(text="https://app.tinybird.co:99999/endpoints/p/charts/" + CHART_ID)
@example(text="<iframe src='https://[::1/endpoints/p/charts/x'></iframe>")
def test_a_paste_parses_to_a_tinybird_chart_or_a_snippet_error(text: str) -> None:
    try:
        parsed = parse_chart_snippet(text)
    except SnippetError as exc:
        message = str(exc)
        assert message and len(message) < 500
        assert SECRET not in message
        event("SnippetError: " + message[:45])
        return
    event("parsed")
    check_parsed(parsed)
    assert SECRET not in repr(parsed)
    # What is rebuilt with a token parses back to the same chart.
    rebuilt = chart_iframe_url(
        host=parsed.host, region=parsed.region, pipe_name=parsed.pipe_name, chart_uuid=parsed.chart_uuid, token="a.b.c"
    )
    assert parse_chart_snippet(rebuilt) == parsed


@settings(max_examples=examples(500), deadline=None)
@given(
    host=GOOD_HOSTS,
    region=st.one_of(st.just(""), st.tuples(st.sampled_from(["gcp", "aws", "azure"]), st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)).map("/".join)),
    pipe=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,40}", fullmatch=True),
    chart=st.uuids(),
    tail=GOOD_TAILS,
    wrap=st.sampled_from(["{}", '<iframe src="{}" width="100%"></iframe>', "<iframe\n  src='{}'\n  height=\"200px\">\n</iframe>", '"{}"']),
)
def test_a_well_formed_chart_url_or_snippet_parses_to_its_parts(host, region, pipe, chart, tail, wrap) -> None:
    path = f"{region}/endpoints/{pipe}/charts/{chart}" if region else f"endpoints/{pipe}/charts/{chart}"
    parsed = parse_chart_snippet(wrap.format(f"https://{host}/{path}{tail}"))
    assert parsed == ParsedChart(host=f"https://{host}", region=region, pipe_name=pipe, chart_uuid=chart)


# --- the admin form -------------------------------------------------------------------------------

FIELD_TEXT = st.one_of(st.text(max_size=60), st.sampled_from(["", "company_id", "company_id, region", "1bad", "a,,b", "\x00", "x" * 300]))


@pytest.fixture
def workspaces(db) -> tuple[Workspace, Workspace]:
    tinybird = Workspace.objects.create(name="TB", workspace_id="ws-tb", api_host="https://api.tinybird.co", signing_key_env="TB_KEY")
    builtin = Workspace.objects.create(name="Local", workspace_id="ws-local", api_host="", signing_key_env="LOCAL_KEY")
    return tinybird, builtin


def field(good: str, *bad: st.SearchStrategy) -> st.SearchStrategy:
    """The good value half the time, else something else."""
    return st.one_of(st.just(good), *bad) if bad else st.one_of(st.just(good), FIELD_TEXT)


@st.composite
def chart_form_data(draw) -> dict:
    tinybird = draw(st.booleans())
    return {
        "workspace": draw(field("tb" if tinybird else "local", st.sampled_from(["tb", "local", "", "999999", "x"]))),
        "title": draw(field("A chart")),
        "description": draw(field("")),
        "kind": draw(field("tinybird" if tinybird else "panes", st.sampled_from(["tinybird", "panes", "", "other"]))),
        "pipe_name": draw(field("" if tinybird else "sales_by_city", st.sampled_from(["", "sales_by_city", "other_pipe"]), FIELD_TEXT)),
        "pipe_id": draw(field("", st.just("t_" + "a" * 32), FIELD_TEXT)),
        "tenant_params": draw(field("")),
        "is_shared": draw(st.sampled_from(["", "on"])),
        "height": draw(field("320", st.sampled_from(["", "79", "2001", "-1", "1e3", "٣٢٠", "x"]))),
        "snippet": draw(PASTES if tinybird else field("", PASTES)),
        "chart_type": draw(field("line", st.sampled_from(["kpi", "table", "bar", "", "pie3d"]))),
        "index_column": draw(field("day")),
        "category_columns": draw(field("total")),
        "colors": draw(field("")),
        "filter_params": draw(field("")),
        "refresh_seconds": draw(field("", st.sampled_from(["5", "4", "x", "99999999999999999999"]))),
    }


def resolve(data: dict, workspaces: tuple[Workspace, Workspace]) -> dict:
    ids = {"tb": str(workspaces[0].pk), "local": str(workspaces[1].pk)}
    return {**data, "workspace": ids.get(data["workspace"], data["workspace"])}


@pytest.mark.django_db
@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=chart_form_data())
def test_the_chart_form_gives_a_chart_or_form_errors(workspaces, data) -> None:
    form = ChartAdminForm(data=resolve(data, workspaces))
    with transaction.atomic():
        event("valid" if form.is_valid() else "invalid")
        if form.is_valid():
            chart = form.save()
            chart.full_clean()
            assert chart.tenant_param_names is not None
            if chart.kind == Chart.Kind.TINYBIRD:
                check_parsed(ParsedChart(chart.embed_host, chart.embed_region, chart.pipe_name, chart.embed_chart_uuid))
                assert not chart.workspace.is_builtin
        else:
            assert form.errors and all(form.errors.values())
        transaction.set_rollback(True)
    assert SECRET not in str(form.errors)
    assert not PASTED_TOKEN.search(str(form.data.get("snippet", ""))), "a redisplayed form would show the pasted token"


@pytest.mark.django_db
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=chart_form_data())
def test_the_chart_admin_answers_a_page_or_a_redirect_never_a_500(admin_client, workspaces, data) -> None:
    with transaction.atomic():
        response = admin_client.post(reverse("admin:charts_chart_add"), resolve(data, workspaces))
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert not PASTED_TOKEN.search(response.content.decode())
        transaction.set_rollback(True)


def test_a_paste_refused_before_parsing_is_shown_again_without_its_token(workspaces) -> None:
    """Found by the fuzzing above, and fixed: a NUL byte made the field refuse the paste before
    the snippet was parsed, and the form showed it again with the token in it."""
    paste = f"https://app.tinybird.co/endpoints/p/charts/{CHART_ID}?token={SECRET}\x00"
    data = resolve({"workspace": "tb", "title": "T", "kind": "tinybird", "height": "320", "chart_type": "line", "snippet": paste}, workspaces)
    form = ChartAdminForm(data=data)
    assert not form.is_valid() and "snippet" in form.errors
    assert SECRET not in str(form["snippet"])
