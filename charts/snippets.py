"""Parsing of Tinybird chart iframe snippets and chart URLs, and rebuilding the iframe URL.

An admin pastes what Tinybird's UI shows in a chart's code view (``<>``, "iframe" example)::

    <iframe
        src="https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/4d21283f-b85c-4ed5-8341-e2625f0e3080?token=<JWT_TOKEN>"
        width="100%" height="200px" style="border: none;">
    </iframe>

or only the URL. We keep the UI origin, the region path (``gcp/europe-west3``), the pipe name and
the chart UUID, and drop everything else: the query string may hold a real static token, which
must never be stored. At render time :func:`chart_iframe_url` puts the per-user JWT back.

Only Tinybird UI hosts over https are accepted (``app.tinybird.co``, ``ui.tinybird.co`` and their
regional variants such as ``app.us-east.tinybird.co``): the rebuilt URL carries a signed token, so
it must never point anywhere else.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

MAX_SNIPPET_LENGTH = 10_000

# app.tinybird.co, ui.tinybird.co, app.us-east.tinybird.co, app.eu-central-1.aws.tinybird.co, ...
# The API hosts (api.*) serve data, not charts, so they are refused with their own message.
UI_HOST_RE = re.compile(r"^(?:app|ui|cloud)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.tinybird\.co$")
PROVIDERS = ("gcp", "aws", "azure")
REGION_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
PIPE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class SnippetError(ValueError):
    """The pasted text is not a Tinybird chart iframe or URL; the message says why."""


@dataclass(frozen=True)
class ParsedChart:
    host: str  # the UI origin, e.g. "https://app.tinybird.co"
    region: str  # the region path, e.g. "gcp/europe-west3"; "" for hosts without one
    pipe_name: str
    chart_uuid: uuid.UUID


class _IframeCollector(HTMLParser):
    """Collects the start tags of a snippet, to find its one iframe and refuse anything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def _src_of_snippet(text: str) -> str:
    collector = _IframeCollector()
    try:
        collector.feed(text)
        collector.close()
    except Exception:  # HTMLParser is lenient; this is only belt and braces
        raise SnippetError("The snippet is not readable HTML. Paste the iframe example from Tinybird.") from None
    others = sorted({tag for tag, _ in collector.tags if tag != "iframe"})
    if others:
        raise SnippetError(
            f"The snippet contains <{others[0]}>; paste only Tinybird's iframe example (one <iframe> tag)."
        )
    iframes = [attrs for tag, attrs in collector.tags if tag == "iframe"]
    if not iframes:
        raise SnippetError("No <iframe> tag found. Paste Tinybird's iframe example or the chart URL.")
    if len(iframes) > 1:
        raise SnippetError(f"The snippet holds {len(iframes)} iframes; paste one chart at a time.")
    if collector.text:
        raise SnippetError("The snippet has text outside the <iframe> tag; paste only the iframe.")
    src = (iframes[0].get("src") or "").strip()
    if not src:
        raise SnippetError("The <iframe> has no src attribute.")
    return src


def _parse_url(url: str) -> ParsedChart:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SnippetError("That is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme != "https":
        if scheme in ("http", ""):
            raise SnippetError("The chart URL must start with https:// (Tinybird serves charts over https only).")
        raise SnippetError(f"A {scheme[:20]}: URL is not a chart URL; it must start with https://.")
    if any(ch.isspace() for ch in url):
        raise SnippetError("The URL contains spaces; paste it exactly as Tinybird shows it.")
    if parts.username is not None or parts.password is not None:
        raise SnippetError("The URL must not contain a user name or password.")
    if port not in (None, 443):
        raise SnippetError("The URL must not name a port.")
    hostname = (parts.hostname or "").lower().rstrip(".")
    if hostname.startswith("api.") and hostname.endswith(".tinybird.co") or hostname == "api.tinybird.co":
        raise SnippetError(
            f"{hostname} is Tinybird's API host; paste the chart's iframe URL from the UI (e.g. app.tinybird.co)."
        )
    if not UI_HOST_RE.match(hostname):
        raise SnippetError(
            f"{hostname or 'The URL'} is not a Tinybird UI host; chart URLs are on app.tinybird.co or a regional "
            "variant such as app.us-east.tinybird.co."
        )
    if parts.fragment:
        raise SnippetError("The URL must not carry a #fragment.")

    segments = parts.path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]  # one trailing slash is harmless
    expected = "/<cloud>/<region>/endpoints/<pipe>/charts/<chart id>"
    if len(segments) == 6:
        provider, region_name, endpoints, pipe_name, charts, chart_id = segments
        if provider.lower() not in PROVIDERS:
            raise SnippetError(f"{provider!r} is not a cloud Tinybird runs on ({', '.join(PROVIDERS)}).")
        if not REGION_NAME_RE.match(region_name.lower()):
            raise SnippetError(f"{region_name!r} is not a region name.")
        region = f"{provider.lower()}/{region_name.lower()}"
    elif len(segments) == 4:
        endpoints, pipe_name, charts, chart_id = segments
        region = ""
    else:
        raise SnippetError(f"The URL path is not a chart's; it should look like {expected}.")
    if endpoints != "endpoints" or charts != "charts":
        raise SnippetError(f"The URL path is not a chart's; it should look like {expected}.")
    if not PIPE_NAME_RE.match(pipe_name):
        raise SnippetError(f"{pipe_name[:130]!r} is not a valid pipe name (letters, digits and _).")
    if not UUID_RE.match(chart_id):
        raise SnippetError(f"{chart_id[:40]!r} is not a chart id (a UUID such as 4d21283f-b85c-4ed5-8341-e2625f0e3080).")
    return ParsedChart(host=f"https://{hostname}", region=region, pipe_name=pipe_name, chart_uuid=uuid.UUID(chart_id))


def parse_chart_snippet(text: str) -> ParsedChart:
    """Host, region, pipe and chart id from a pasted iframe snippet or chart URL.

    Raises SnippetError with a message for the admin. The token the snippet may contain is
    dropped and never part of the result or of any message.
    """
    if not isinstance(text, str):
        raise SnippetError("Paste the iframe snippet or the chart URL as text.")
    text = text.strip()
    if not text:
        raise SnippetError("Paste Tinybird's iframe snippet or the chart URL.")
    if len(text) > MAX_SNIPPET_LENGTH:
        raise SnippetError(f"That is longer than {MAX_SNIPPET_LENGTH} characters; paste one iframe snippet.")
    if "\x00" in text:
        raise SnippetError("The text contains a NUL character.")
    if text.startswith("<"):
        url = _src_of_snippet(text)
    else:
        if "<iframe" in text.lower():
            raise SnippetError("Paste the iframe snippet on its own, starting with <iframe.")
        url = text.strip("\"'")
    return _parse_url(url)


_TOKEN_PARAM_RE = re.compile(r"(?i)([?&](?:amp;)?token=)[^&\"'\s]*")
TOKEN_REMOVED = "<TOKEN_REMOVED>"


def redact_tokens(text: str) -> str:
    """``text`` with the value of every ``token=`` query parameter replaced, for re-display."""
    return _TOKEN_PARAM_RE.sub(lambda m: m.group(1) + TOKEN_REMOVED, text)


def chart_iframe_url(*, host: str, region: str, pipe_name: str, chart_uuid: uuid.UUID | str, token: str) -> str:
    """The iframe URL of a Tinybird chart with ``token`` (URL-encoded) as its token.

    Re-checks what it is given, since the result carries a signed token: a host that is not a
    Tinybird UI host raises SnippetError rather than producing a URL to somewhere else.
    """
    chart_id = str(uuid.UUID(str(chart_uuid)))
    path = f"{region.strip('/')}/endpoints/{pipe_name}/charts/{chart_id}" if region else f"endpoints/{pipe_name}/charts/{chart_id}"
    parsed = _parse_url(f"{host.rstrip('/')}/{path}")
    prefix = f"{parsed.host}/{parsed.region}" if parsed.region else parsed.host
    return f"{prefix}/endpoints/{parsed.pipe_name}/charts/{parsed.chart_uuid}?token={quote(token, safe='')}"
