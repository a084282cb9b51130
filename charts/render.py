"""Exports: a dashboard drawn by headless Chromium from its real print page, as a PDF and as one
PNG per tile, for a person (``Audience``) with their own token, tenant, language and time zone.

The export views (``charts.export_views``) render for the viewer, reusing their session's data so
the page gets the very token their dashboard uses; ``send_reports`` renders for each recipient in
turn with one ``Renderer`` (one Chromium for the whole run).

How a render goes: a short-lived Django session is made for the audience (their tenant active,
their language and time zone in it; it expires after PANES_RENDER_SECONDS and is deleted when the
render ends, failed or not), set as the session cookie of a fresh Chromium context on
``base_url``; the print page ``/d/<slug>/print/`` is opened; every Panes frame is waited for until
its body's ``data-state`` leaves "loading"; then the PDF, a screenshot per tile and each Panes
frame's ``window.panesExport()`` (its CSV, exactly what its "Download CSV" gives) are taken. The
CSV goes into the tile's PNG as its "Description" text chunk, so the image says what it shows.

Threads: Playwright's sync API runs an event loop in the thread that drives it, and Django then
refuses ORM calls in that thread. So every Playwright call runs on one thread of the Renderer's
own (a single-worker executor) and the ORM work stays in the caller's thread.
"""
from __future__ import annotations

import json
import logging
import math
import struct
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from importlib import import_module
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import filters, locale, tenancy
from .models import Chart, Dashboard, Tenant

log = logging.getLogger(__name__)

T = TypeVar("T")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
VIEWPORT_WIDTH = 1280  # CSS pixels: the print page is laid out as a desktop dashboard is
SCALE = 2  # device pixels per CSS pixel in the PNGs
# A4 landscape minus the page margins, in CSS pixels (96 per inch): the PDF is scaled so that the
# 1280-pixel layout fits its width, the same layout as the screenshots.
A4_LANDSCAPE_WIDTH_MM = 297
PDF_MARGIN_MM = 10
TINYBIRD_SETTLE_SECONDS = 1.0
SETTLED = ("ready", "empty", "error", "unavailable", "unconfigured")

FACTS_ID = "panes-print-facts"
DESCRIPTION = "Description"


class RenderError(Exception):
    """A render that could not be made; its message is one a person understands."""


@dataclass(frozen=True)
class Audience:
    """Who a render is for, and how they read."""

    user: Any  # the auth user model
    tenant: Tenant
    language: str  # "en" | "de" | "pl"
    time_zone: str  # IANA name


@dataclass(frozen=True)
class ChartRender:
    chart_id: int
    title: str  # in the audience's language
    state: str  # "ready", "empty", "error", "loading", "unconfigured", "unavailable", "tinybird"
    png: bytes | None  # the tile as drawn; None for a placeholder tile
    csv: str  # "" when it has no rows or is not a Panes frame
    csv_name: str
    png_name: str = ""  # "<chart-slug>-<date range>.png"


@dataclass(frozen=True)
class DashboardRender:
    title: str
    filename_stem: str  # slug + date range
    period_label: str  # "Nov. 1, 2026 – Nov. 30, 2026", as the language writes dates; "" without dates
    filters: list[tuple[str, str]]  # (label, value) of the header, localised
    pdf: bytes | None
    charts: list[ChartRender]


# --- Pure parts: file names, header facts, PNG text chunks --------------------------------------


def file_stem(name: str, date_from: str = "", date_to: str = "") -> str:
    """A download's name without its extension: ``name`` as a slug, then the dates it covers."""
    parts = [slugify(name) or "export", date_from, date_to]
    return "-".join(part for part in parts if part)


def period_label(date_from: str, date_to: str) -> str:
    """The date range as the active language writes dates ("Nov. 1, 2026 – Nov. 30, 2026",
    "1. November 2026 – …", "1 listopada 2026 – …"); "" without dates, one side alone when only
    one is set."""

    def written(text: str) -> str:
        try:
            return formats.date_format(date.fromisoformat(text), "DATE_FORMAT")
        except ValueError:
            return text

    if date_from and date_to:
        return f"{written(date_from)} – {written(date_to)}"
    if date_from:
        return _("from %(date)s") % {"date": written(date_from)}
    if date_to:
        return _("until %(date)s") % {"date": written(date_to)}
    return ""


def header_filters(parsed: filters.Filters) -> list[tuple[str, str]]:
    """The (label, value) pairs a printed header lists: every filter value but the dates (the
    period says those), then the comparison."""
    from . import periods

    shown = [
        (_(filters.label_for(name)), value)
        for name, value in parsed.values.items()
        if name not in (filters.DATE_FROM, filters.DATE_TO)
    ]
    if parsed.period:
        shown.insert(0, (_("Period"), _(periods.PRESETS[parsed.period])))
    if parsed.compare:
        shown.append((_("Comparison"), _(periods.COMPARISONS[parsed.compare])))
    return shown


@dataclass(frozen=True)
class PrintFacts:
    """What a print page's header says, also read back by the renderer (one source of truth)."""

    title: str
    filename_stem: str
    period_label: str
    filters: list[tuple[str, str]]
    date_from: str = ""
    date_to: str = ""

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "filename_stem": self.filename_stem,
            "period_label": self.period_label,
            "filters": [list(pair) for pair in self.filters],
            "date_from": self.date_from,
            "date_to": self.date_to,
        }

    @classmethod
    def from_json(cls, value: object) -> PrintFacts:
        if not isinstance(value, dict):
            raise RenderError(_("The print page did not say what it shows."))
        return cls(
            title=str(value.get("title", "")),
            filename_stem=str(value.get("filename_stem", "")),
            period_label=str(value.get("period_label", "")),
            filters=[(str(a), str(b)) for a, b in value.get("filters", [])],
            date_from=str(value.get("date_from", "")),
            date_to=str(value.get("date_to", "")),
        )


def print_facts(title: str, slug: str, parsed: filters.Filters) -> PrintFacts:
    """The header facts of a dashboard titled ``title`` (already in the active language)."""
    date_from = parsed.values.get(filters.DATE_FROM, "")
    date_to = parsed.values.get(filters.DATE_TO, "")
    return PrintFacts(
        title=title,
        filename_stem=file_stem(slug, date_from, date_to),
        period_label=period_label(date_from, date_to),
        filters=header_filters(parsed),
        date_from=date_from,
        date_to=date_to,
    )


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    found, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        if at + 8 > len(png):
            raise ValueError("truncated PNG chunk")
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        if len(data) != length or crc != zlib.crc32(kind + data) & 0xFFFFFFFF:
            raise ValueError(f"bad PNG chunk {kind!r}")
        found.append((kind, data))
        at += 12 + length
    return found


def png_with_text(png: bytes, key: str, text: str) -> bytes:
    """``png`` with a text chunk ``key`` = ``text`` after its header (IHDR): a tEXt chunk when the
    text is Latin-1 (what the PNG spec allows there), else an iTXt chunk in UTF-8 (city names
    such as "Łódź" are not Latin-1). Other chunks stay as they are."""
    chunks = _chunks(png)
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("a PNG starts with IHDR")
    keyword = key.encode("latin-1")
    try:
        extra = _chunk(b"tEXt", keyword + b"\0" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # keyword, no compression (flag 0, method 0), no language tag, no translated keyword
        extra = _chunk(b"iTXt", keyword + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8"))
    ihdr = _chunk(*chunks[0])
    rest = png[len(PNG_SIGNATURE) + len(ihdr) :]
    return PNG_SIGNATURE + ihdr + extra + rest


def png_texts(png: bytes) -> dict[str, str]:
    """The text chunks (tEXt, and uncompressed or compressed iTXt) of a PNG: keyword -> text."""
    texts: dict[str, str] = {}
    for kind, data in _chunks(png):
        if kind == b"tEXt":
            key, _sep, value = data.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _sep, rest = data.partition(b"\0")
            compressed, _method, rest = rest[0], rest[1], rest[2:]
            _lang, _sep, rest = rest.partition(b"\0")
            _translated, _sep, value = rest.partition(b"\0")
            texts[key.decode("latin-1")] = (zlib.decompress(value) if compressed else value).decode("utf-8")
    return texts


# --- The render session ------------------------------------------------------------------------


def render_session(audience: Audience, session_from: SessionBase | None = None) -> SessionBase:
    """A saved session signed in as ``audience.user`` with their tenant, language and time zone,
    expiring after PANES_RENDER_SECONDS. With ``session_from`` (a viewer's own export) it holds a
    copy of that session's data, so the page reuses the token cached there."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    if session_from is not None:
        for key, value in session_from.items():
            store[key] = value
    if str(store.get(auth.SESSION_KEY, "")) != str(audience.user.pk):
        for key in list(store.keys()):  # never someone else's data under this person's name
            del store[key]
        store[auth.SESSION_KEY] = str(audience.user.pk)
        store[auth.BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[auth.HASH_SESSION_KEY] = audience.user.get_session_auth_hash()
    store[tenancy.SESSION_KEY] = audience.tenant.pk
    store[locale.SESSION_KEY] = locale.PersonLocale(audience.language, audience.time_zone).as_session()
    store.set_expiry(settings.PANES_RENDER_SECONDS)
    store.create()
    return store


def print_url(base_url: str, dashboard: Dashboard, query: Mapping[str, str], theme: str) -> str:
    params = {key: value for key, value in query.items() if key != "theme"}
    if theme != "light":
        params["theme"] = theme
    search = f"?{urlencode(params)}" if params else ""
    return f"{base_url.rstrip('/')}{reverse('charts:print', args=[dashboard.slug])}{search}"


# --- Chromium ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    url: str
    cookie: dict
    language: str
    time_zone: str
    pdf: bool
    chart_ids: tuple[int, ...] | None
    seconds: float
    tiles_at_most: int | None = None


@dataclass
class _Drawn:
    facts: dict
    pdf: bytes | None
    tiles: list[dict] = field(default_factory=list)  # {"chart", "state", "kind", "png", "export"}


class Renderer:
    """One Chromium for many renders; a context manager. Every Playwright call runs on the
    Renderer's own thread, every ORM call in the caller's."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Renderer:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panes-render")
        try:
            self._run(self._start)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._executor is None:
            return
        try:
            self._run(self._stop)
        finally:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _run(self, work: Callable[[], T]) -> T:
        if self._executor is None:
            raise RuntimeError("use the Renderer as a context manager: with Renderer() as renderer: ...")
        return self._executor.submit(work).result()

    # On the render thread -----------------------------------------------------------------

    def _start(self) -> None:
        from playwright.sync_api import Error, sync_playwright

        path = Path(settings.PANES_CHROMIUM_PATH) if settings.PANES_CHROMIUM_PATH else None
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(path) if path and path.exists() else None, args=CHROMIUM_ARGS
            )
        except Error as error:
            self._playwright.stop()
            self._playwright = None
            log.error("Chromium did not start: %s", error)
            raise RenderError(_("Chromium could not be started on the server (see PANES_CHROMIUM_PATH).")) from None

    def _stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def _draw(self, job: _Job) -> _Drawn:
        from playwright.sync_api import Error

        if self._browser is None or not self._browser.is_connected():  # crashed meanwhile: a long run goes on
            try:
                self._stop()
            except Error:
                pass
            self._start()
        context = self._browser.new_context(
            viewport={"width": VIEWPORT_WIDTH, "height": 900},
            device_scale_factor=SCALE,
            reduced_motion="reduce",
            color_scheme="light",
            locale=job.language or None,
            timezone_id=job.time_zone or None,
            accept_downloads=False,
        )
        try:
            context.add_cookies([job.cookie])
            page = context.new_page()
            return _draw_page(page, job)
        except Error as error:
            log.warning("Render of %s failed: %s", job.url, error)
            raise RenderError(_("The browser that draws exports failed: %(error)s") % {"error": _short(error)}) from None
        finally:
            context.close()

    # In the caller's thread ---------------------------------------------------------------

    def dashboard(
        self,
        audience: Audience,
        dashboard: Dashboard,
        query: Mapping[str, str],
        *,
        base_url: str,
        theme: str = "light",
        pdf: bool = True,
        chart_ids: Sequence[int] | None = None,
        session_from: SessionBase | None = None,
        tiles_at_most: int | None = None,
    ) -> DashboardRender:
        """``dashboard`` as ``audience`` sees it with ``query`` (the dashboard's filter params,
        period, compare) and ``theme``: the PDF (unless ``pdf`` is off) and every tile (or those
        of ``chart_ids``). RenderError when it cannot be drawn.

        ``tiles_at_most`` (CSS pixels, for a narrow column such as an email's): a Panes tile
        wider than that is photographed again with the page narrowed until it fits, so its
        chart is drawn for that width, its text readable, instead of shrunk. The PDF and the
        other tiles keep the desktop layout."""
        if not base_url or urlsplit(base_url).scheme not in ("http", "https"):
            raise RenderError(_("Exports need the site's address (PANES_SITE_URL)."))
        charts = {chart.pk: chart for chart in dashboard.charts.all()}
        session = render_session(audience, session_from)
        try:
            split = urlsplit(base_url)
            cookie = {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "domain": split.hostname,
                "path": "/",
                "httpOnly": True,
                "secure": split.scheme == "https",
                "sameSite": "Lax",
            }
            job = _Job(
                url=print_url(base_url, dashboard, query, theme),
                cookie=cookie,
                language=audience.language,
                time_zone=audience.time_zone,
                pdf=pdf,
                chart_ids=tuple(chart_ids) if chart_ids is not None else None,
                seconds=float(settings.PANES_RENDER_SECONDS),
                tiles_at_most=tiles_at_most,
            )
            drawn = self._run(partial(self._draw, job))
        finally:
            session.delete()
        facts = PrintFacts.from_json(drawn.facts)
        return DashboardRender(
            title=facts.title,
            filename_stem=facts.filename_stem,
            period_label=facts.period_label,
            filters=facts.filters,
            pdf=drawn.pdf,
            charts=[_chart_render(tile, charts, audience.language, facts) for tile in drawn.tiles],
        )


def _chart_render(tile: dict, charts: Mapping[int, Chart], language: str, facts: PrintFacts) -> ChartRender:
    chart = charts.get(tile["chart"])
    title = chart.title_in(language) if chart is not None else tile.get("title", "")
    export = tile.get("export") or {}
    csv = str(export.get("csv") or "")
    png = tile.get("png")
    if png is not None and csv:
        png = png_with_text(png, DESCRIPTION, csv)
    return ChartRender(
        chart_id=tile["chart"],
        title=title,
        state=tile["state"],
        png=png,
        csv=csv,
        csv_name=str(export.get("csvName") or ""),
        png_name=file_stem(title, facts.date_from, facts.date_to) + ".png",
    )


def _short(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__


def _draw_page(page: Any, job: _Job) -> _Drawn:
    """On the render thread: open the print page, wait for its frames, take the PDF and tiles."""
    started = deadline = time.monotonic()
    deadline += job.seconds
    response = page.goto(job.url, wait_until="domcontentloaded", timeout=job.seconds * 1000)
    if urlsplit(page.url).path != urlsplit(job.url).path:  # sent to the sign-in page: the session did not count
        raise RenderError(_("The print page refused the export's sign-in."))
    # 400 is a page drawn without a bad filter value, as its viewer sees it
    if response is None or (response.status >= 400 and response.status != 400):
        status = response.status if response is not None else 0
        raise RenderError(_("The print page could not be opened (HTTP %(status)s).") % {"status": status})
    facts = json.loads(page.locator(f"#{FACTS_ID}").text_content(timeout=5000) or "null")
    # Frames are lazy on screen; the page is drawn whole, in a viewport as tall as the page.
    height = page.evaluate(
        "() => { document.querySelectorAll('iframe[loading=lazy]').forEach((f) => { f.loading = 'eager'; });"
        " return document.documentElement.scrollHeight; }"
    )
    _viewport_as_tall_as(page, VIEWPORT_WIDTH, height)
    found: list[dict] = []
    for tile in page.query_selector_all(".tile[data-chart]"):
        chart = int(tile.get_attribute("data-chart") or 0)
        if not chart:
            continue
        frame_el = tile.query_selector("iframe.tile__frame")
        kind = "placeholder"
        if frame_el is not None:
            kind = "panes" if frame_el.get_attribute("data-panes-frame") is not None else "tinybird"
        wanted = job.chart_ids is None or chart in job.chart_ids
        found.append(
            {"chart": chart, "kind": kind, "tile": tile, "frame": frame_el, "wanted": wanted,
             "state": tile.get_attribute("data-state") or ""}
        )
    # The PDF shows every chart: all must settle. Tiles alone need only theirs.
    _wait_for_frames(page, [item for item in found if job.pdf or item["wanted"]], deadline)
    waited = time.monotonic()
    for item in found:
        frame = item["frame"].content_frame() if item["kind"] == "panes" else None
        item["export"] = frame.evaluate(MARK_AND_EXPORT) if frame is not None else None
    page.evaluate("() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))")
    drawn = _Drawn(facts=facts, pdf=None)
    for item in found:
        if not item["wanted"]:
            continue
        export, png = item["export"], None
        state = "tinybird" if item["kind"] == "tinybird" else str((export or {}).get("state") or item["state"])
        if item["kind"] != "placeholder":
            box = item["tile"].bounding_box()
            if box:
                png = page.screenshot(clip=box, animations="disabled", timeout=_ms_left(deadline))
        drawn.tiles.append({"chart": item["chart"], "state": state, "png": png, "export": export})
    shot = time.monotonic()
    if job.pdf:
        printable_px = (A4_LANDSCAPE_WIDTH_MM - 2 * PDF_MARGIN_MM) / 25.4 * 96
        margin = f"{PDF_MARGIN_MM}mm"
        drawn.pdf = page.pdf(
            format="A4",
            landscape=True,
            print_background=True,
            scale=round(printable_px / VIEWPORT_WIDTH, 4),
            margin={"top": margin, "right": margin, "bottom": margin, "left": margin},
        )
    printed = time.monotonic()
    if job.tiles_at_most:
        _narrow_wide_tiles(page, found, drawn, job.tiles_at_most, deadline)
    log.debug(
        "Drew %s: frames settled after %.2f s, tiles %.2f s, PDF %.2f s, narrowed tiles %.2f s",
        urlsplit(job.url).path, waited - started, shot - waited, printed - shot, time.monotonic() - printed,
    )
    return drawn


def _narrow_wide_tiles(page: Any, found: list[dict], drawn: _Drawn, width: int, deadline: float) -> None:
    """Photographs again the wanted Panes tiles wider than ``width``, in a viewport narrowed by
    the widest one's excess (the margins stay, so each becomes at most ``width`` wide)."""
    wide = []
    for item in found:
        box = item["tile"].bounding_box() if item["wanted"] and item["kind"] == "panes" else None
        if box and box["width"] > width:
            wide.append((item, box["width"]))
    if not wide:
        return
    viewport = page.viewport_size or {"width": VIEWPORT_WIDTH, "height": 900}
    excess = max(tile_width for _, tile_width in wide) - width
    narrow = max(320, viewport["width"] - math.ceil(excess))
    page.set_viewport_size({"width": narrow, "height": viewport["height"]})
    height = page.evaluate("() => document.documentElement.scrollHeight")
    _viewport_as_tall_as(page, narrow, height)
    # Each frame draws its chart again on its resize event, in an animation frame: wait for it.
    for item, _ in wide:
        frame = item["frame"].content_frame()
        if frame is not None:
            frame.evaluate(NEXT_FRAMES)
    page.evaluate(NEXT_FRAMES)
    tiles = {tile["chart"]: tile for tile in drawn.tiles}
    for item, _ in wide:
        box = item["tile"].bounding_box()
        if box and item["chart"] in tiles:
            tiles[item["chart"]]["png"] = page.screenshot(clip=box, animations="disabled", timeout=_ms_left(deadline))


def _viewport_as_tall_as(page: Any, width: int, height: float) -> None:
    """A viewport ``width`` wide and as tall as the page (``height``; at most 16000 pixels), so
    that every tile is in it and drawn: frames are lazy outside it."""
    page.set_viewport_size({"width": width, "height": max(900, min(int(height), 16000))})


def _ms_left(deadline: float) -> float:
    """Milliseconds to the render's deadline, at least one second, as Playwright's timeouts take."""
    return max(1000, (deadline - time.monotonic()) * 1000)


# Three animation frames: the resize event's, the redraw's, and its paint.
NEXT_FRAMES = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done))))"""


# A Panes frame's state and whether it is about to fetch again; "" before frame.js has run.
SETTLING = """() => {
  const found = document.body && window.panesExport ? window.panesExport() : null;
  return found ? [found.state, Boolean(found.retrying)] : ['', false];
}"""

# In each Panes frame once it has settled: hide its buttons (the image is the chart) and read
# what it drew.
MARK_AND_EXPORT = """() => {
  document.body.classList.add('frame--export');
  return window.panesExport ? window.panesExport() : null;
}"""


def _wait_for_frames(page: Any, found: list[dict], deadline: float) -> None:
    """Until every Panes frame's state leaves "loading" and every Tinybird frame has loaded;
    RenderError naming the charts still loading at the deadline."""
    pending = [item for item in found if item["kind"] == "panes"]
    tinybird = [item for item in found if item["kind"] == "tinybird"]
    while pending:
        still = []
        for item in pending:
            frame = item["frame"].content_frame()
            state = ""
            if frame is not None and frame.url not in ("", "about:blank"):
                try:
                    state, retrying = frame.evaluate(SETTLING)
                except Exception:  # navigating: ask again
                    state, retrying = "", False
            # A failed fetch that is tried again is not the chart's last word.
            if state and state != "loading" and not (state == "error" and retrying):
                item["state"] = state
            else:
                still.append(item)
        pending = still
        if not pending:
            break
        if time.monotonic() > deadline:
            for item in pending:
                log.warning("Export: chart %s still loading at %s", item["chart"], _frame_url(item))
            titles = ", ".join(item["tile"].get_attribute("aria-label") or str(item["chart"]) for item in pending)
            raise RenderError(_("These charts were still loading after %(seconds)s seconds: %(charts)s") % {
                "seconds": settings.PANES_RENDER_SECONDS,
                "charts": titles,
            })
        page.wait_for_timeout(100)
    for item in tinybird:
        frame = item["frame"].content_frame()
        remaining = deadline - time.monotonic()
        if frame is None or remaining <= 0:
            continue
        try:
            frame.wait_for_load_state("load", timeout=remaining * 1000)
        except Exception:  # a Tinybird host that does not answer: its tile shows what it shows
            log.warning("Tinybird chart %s did not load for an export", item["chart"])
    if tinybird:
        page.wait_for_timeout(TINYBIRD_SETTLE_SECONDS * 1000)


def _frame_url(item: dict) -> str:
    frame = item["frame"].content_frame()
    return frame.url.split("#")[0] if frame is not None else "(no frame)"


def render_dashboard(
    audience: Audience,
    dashboard: Dashboard,
    query: Mapping[str, str],
    *,
    base_url: str,
    theme: str = "light",
    pdf: bool = True,
    chart_ids: Sequence[int] | None = None,
    session_from: SessionBase | None = None,
) -> DashboardRender:
    """One render with a Chromium of its own (started and stopped here)."""
    with Renderer() as renderer:
        return renderer.dashboard(
            audience, dashboard, query, base_url=base_url, theme=theme, pdf=pdf, chart_ids=chart_ids, session_from=session_from
        )
