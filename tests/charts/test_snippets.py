"""Parsing Tinybird chart snippets and URLs, and rebuilding the iframe URL with a token."""
from __future__ import annotations

import uuid

import pytest

from charts.snippets import ParsedChart, SnippetError, chart_iframe_url, parse_chart_snippet

CHART_ID = "4d21283f-b85c-4ed5-8341-e2625f0e3080"
STATIC_TOKEN = "p.eyJ1IjogIjdmOWIxZjU0LTAwMDAtNDAwMC04MDAwLWY1ZjVmNWY1ZjVmNSJ9.c2VjcmV0LXN0YXRpYy10b2tlbg"

DOCS_SNIPPET = f"""<iframe
    src="https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/{CHART_ID}?token=<JWT_TOKEN>"
    width="100%"
    height="200px"
    style="border: none;">
    </iframe>"""


def test_it_parses_the_iframe_snippet_from_tinybirds_code_view() -> None:
    assert parse_chart_snippet(DOCS_SNIPPET) == ParsedChart(
        host="https://app.tinybird.co", region="gcp/europe-west3", pipe_name="sales_by_city", chart_uuid=uuid.UUID(CHART_ID)
    )


@pytest.mark.parametrize(
    ("text", "host", "region", "pipe"),
    [
        (
            f"https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/{CHART_ID}?token=<JWT_TOKEN>",
            "https://app.tinybird.co",
            "gcp/europe-west3",
            "sales_by_city",
        ),
        (
            f"https://app.tinybird.co/gcp/us-east4/endpoints/top_pages/charts/{CHART_ID}?token={STATIC_TOKEN}",
            "https://app.tinybird.co",
            "gcp/us-east4",
            "top_pages",
        ),
        (
            f"https://app.tinybird.co/aws/eu-central-1/endpoints/api_kpis/charts/{CHART_ID.upper()}",
            "https://app.tinybird.co",
            "aws/eu-central-1",
            "api_kpis",
        ),
        (
            f'<iframe src="https://app.us-east.tinybird.co/aws/us-east-1/endpoints/Orders_v2/charts/{CHART_ID}?token={STATIC_TOKEN}&amp;refresh=1" width="100%" height="300px"></iframe>',
            "https://app.us-east.tinybird.co",
            "aws/us-east-1",
            "Orders_v2",
        ),
        (
            f"<iframe src='https://ui.tinybird.co/endpoints/legacy_pipe/charts/{CHART_ID}/?token=x'></iframe>",
            "https://ui.tinybird.co",
            "",
            "legacy_pipe",
        ),
        (
            f"  \n<!-- The iframe code coming from Tinybird: -->\n<IFRAME SRC=\"https://APP.tinybird.co/GCP/europe-west2/endpoints/x/charts/{CHART_ID}\"></IFRAME>\n",
            "https://app.tinybird.co",
            "gcp/europe-west2",
            "x",
        ),
        (
            f'"https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/{CHART_ID}?token=<JWT_TOKEN>"',
            "https://app.tinybird.co",
            "gcp/europe-west3",
            "sales_by_city",
        ),
    ],
)
def test_it_parses_snippets_and_bare_urls_in_every_region(text: str, host: str, region: str, pipe: str) -> None:
    parsed = parse_chart_snippet(text)
    assert (parsed.host, parsed.region, parsed.pipe_name, parsed.chart_uuid) == (host, region, pipe, uuid.UUID(CHART_ID))


def test_it_never_keeps_the_token_of_the_snippet() -> None:
    parsed = parse_chart_snippet(DOCS_SNIPPET.replace("<JWT_TOKEN>", STATIC_TOKEN))
    assert STATIC_TOKEN not in repr(parsed)
    assert "token" not in repr(parsed).lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste"),
        ("   ", "Paste"),
        ("hello world", "https://"),
        ("javascript:alert(document.cookie)", "javascript: URL"),
        (f'<iframe src="javascript:alert(1)//app.tinybird.co/gcp/x/endpoints/p/charts/{CHART_ID}"></iframe>', "javascript:"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data: URL"),
        (f"http://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "https://"),
        (f"//app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "https://"),
        (f"https://evil.example/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "not a Tinybird UI host"),
        (f"https://app.tinybird.co.evil.example/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "not a Tinybird UI host"),
        (f"https://eviltinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "not a Tinybird UI host"),
        (f"https://api.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "API host"),
        ("https://api.europe-west2.gcp.tinybird.co/v0/pipes/p.json?token=x", "API host"),
        (f"https://user:pw@app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "user name or password"),
        (f"https://app.tinybird.co:8443/gcp/europe-west3/endpoints/p/charts/{CHART_ID}", "port"),
        (f"https://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}#x", "fragment"),
        ("https://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/not-a-uuid", "not a chart id"),
        (f"https://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID[:-1]}", "not a chart id"),
        (f"https://app.tinybird.co/gcp/europe-west3/pipes/p/charts/{CHART_ID}", "path is not a chart's"),
        ("https://app.tinybird.co/gcp/europe-west3/endpoints/p", "path is not a chart's"),
        (f"https://app.tinybird.co/gcp/europe-west3/extra/endpoints/p/charts/{CHART_ID}", "path is not a chart's"),
        (f"https://app.tinybird.co/moon/base-1/endpoints/p/charts/{CHART_ID}", "not a cloud"),
        (f"https://app.tinybird.co/gcp/europe_west3!/endpoints/p/charts/{CHART_ID}", "not a region"),
        (f"https://app.tinybird.co/gcp/europe-west3/endpoints/1bad-pipe/charts/{CHART_ID}", "not a valid pipe name"),
        (f"https://app.tinybird.co/gcp/europe-west3/endpoints/p%20x/charts/{CHART_ID}", "not a valid pipe name"),
        (f"https://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID} extra", "spaces"),
        ("<iframe width='100%'></iframe>", "no src"),
        ("<div>nothing</div>", "<div>"),
        (DOCS_SNIPPET + DOCS_SNIPPET, "2 iframes"),
        (DOCS_SNIPPET + "<script>alert(1)</script>", "<script>"),
        ("<iframe src='x'></iframe> and some words", "text outside"),
        (f"see <iframe src='https://app.tinybird.co/gcp/europe-west3/endpoints/p/charts/{CHART_ID}'></iframe>", "on its own"),
        ("https://app.tinybird.co/" + "a" * 20_000, "longer than"),
        ("https://app.tinybird.co/\x00", "NUL"),
        ("https://[::1/gcp", "not a valid URL"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SnippetError) as caught:
        parse_chart_snippet(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_its_errors_never_repeat_the_token() -> None:
    with pytest.raises(SnippetError) as caught:
        parse_chart_snippet(f"https://evil.example/endpoints/p/charts/{CHART_ID}?token={STATIC_TOKEN}")
    assert STATIC_TOKEN not in str(caught.value)


def test_it_refuses_what_is_not_text() -> None:
    with pytest.raises(SnippetError):
        parse_chart_snippet(None)  # type: ignore[arg-type]


def test_it_rebuilds_the_iframe_url_with_the_token_url_encoded() -> None:
    url = chart_iframe_url(
        host="https://app.tinybird.co",
        region="gcp/europe-west3",
        pipe_name="sales_by_city",
        chart_uuid=uuid.UUID(CHART_ID),
        token="a.b+c/d=&x",
    )
    assert url == f"https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/{CHART_ID}?token=a.b%2Bc%2Fd%3D%26x"


def test_a_parsed_snippet_round_trips_to_the_same_chart() -> None:
    parsed = parse_chart_snippet(DOCS_SNIPPET)
    url = chart_iframe_url(
        host=parsed.host, region=parsed.region, pipe_name=parsed.pipe_name, chart_uuid=str(parsed.chart_uuid), token="T"
    )
    assert parse_chart_snippet(url) == parsed
    assert url.endswith("?token=T")


def test_it_rebuilds_urls_of_hosts_without_a_region_path() -> None:
    url = chart_iframe_url(host="https://ui.tinybird.co/", region="", pipe_name="p", chart_uuid=CHART_ID, token="T")
    assert url == f"https://ui.tinybird.co/endpoints/p/charts/{CHART_ID}?token=T"


@pytest.mark.parametrize(
    "host", ["https://evil.example", "http://app.tinybird.co", "javascript:alert(1)//", "https://api.tinybird.co"]
)
def test_it_will_not_build_a_token_url_to_anywhere_but_tinybird(host: str) -> None:
    with pytest.raises(SnippetError):
        chart_iframe_url(host=host, region="gcp/europe-west3", pipe_name="p", chart_uuid=CHART_ID, token="T")


def test_redact_tokens_removes_every_token_value() -> None:
    from charts.snippets import redact_tokens

    text = redact_tokens(DOCS_SNIPPET.replace("<JWT_TOKEN>", STATIC_TOKEN) + f"?x=1&amp;token={STATIC_TOKEN}")
    assert STATIC_TOKEN not in text
    assert parse_chart_snippet(redact_tokens(DOCS_SNIPPET)) == parse_chart_snippet(DOCS_SNIPPET)
