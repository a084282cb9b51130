"""5. The browser: time from navigation to every chart drawn on a 12-chart dashboard, cold and warm
cache, and the bytes each chart frame transfers.

Debian's chromium, driven by Playwright, against the bench server (gunicorn + WhiteNoise, DEBUG
off, ``collectstatic`` into a temporary STATIC_ROOT: hashed, compressed static files). Pages are
on http://localhost:PORT and the frames read the pipe API on http://127.0.0.1:PORT, cross-origin
as against Tinybird. The iframes are ``loading="lazy"``: the viewport is 1280x3000, tall enough
that all twelve tiles are in view, so every frame loads without scrolling (checked: the run fails
unless all twelve draw).

Bytes come from the DevTools protocol: ``encodedDataLength`` of every response, i.e. what crossed
the wire (compressed body and headers), grouped by the frame that asked for it.
"""
from __future__ import annotations

import statistics
import time
from collections import defaultdict

from _common import BENCH, Section, kb, ms
from _server import PASSWORD, PanesServer
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

CHARTS = 12
VIEWPORT = {"width": 1280, "height": 3000}
GOAL_WARM_S = 1.0
GOAL_FIRST_FRAME = 250_000
GOAL_FURTHER_FRAME = 10_000

ALL_DRAWN = """(count) => {
  const frames = [...document.querySelectorAll('iframe[data-panes-frame]')];
  if (frames.length < count) return false;
  let done = 0;
  for (const frame of frames) {
    const body = frame.contentDocument && frame.contentDocument.body;
    const state = body && body.dataset.state;
    if (state === 'error') throw new Error('a chart failed: ' + (body.dataset.error || ''));
    if (state === 'ready' || state === 'empty') done++;
  }
  return done === frames.length ? performance.now() : false;
}"""


class Traffic:
    """Bytes on the wire per frame, from the DevTools protocol's Network events."""

    def __init__(self, cdp) -> None:
        self.frame_of: dict[str, str] = {}
        self.url_of: dict[str, str] = {}
        self.bytes_by_frame: dict[str, int] = defaultdict(int)
        self.first_request_at: dict[str, float] = {}
        self.headers: dict[str, dict] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def reset(self) -> None:
        self.frame_of.clear()
        self.url_of.clear()
        self.bytes_by_frame.clear()
        self.first_request_at.clear()
        self.headers.clear()

    def _sent(self, event: dict) -> None:
        frame = event.get("frameId", "")
        self.frame_of[event["requestId"]] = frame
        self.url_of[event["requestId"]] = event["request"]["url"]
        self.first_request_at.setdefault(frame, event["timestamp"])

    def _received(self, event: dict) -> None:
        self.headers[event["response"]["url"]] = {k.lower(): v for k, v in event["response"]["headers"].items()}

    def _finished(self, event: dict) -> None:
        frame = self.frame_of.get(event["requestId"], "")
        self.bytes_by_frame[frame] += int(event.get("encodedDataLength", 0))


def _login(page, server: PanesServer) -> None:
    page.goto(f"{server.page_origin}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login/" in page.url:
        raise RuntimeError("alice could not log in")


def _visit(page, url: str, charts: int = CHARTS) -> float:
    """Seconds from the start of navigation to every chart drawn (the page's own clock)."""
    page.goto(url, wait_until="commit")
    handle = page.wait_for_function(ALL_DRAWN, arg=charts, polling=10, timeout=60_000)
    return handle.json_value() / 1000


def draw_times(server: PanesServer, slug: str, charts: int, *, rounds: int, warm_visits: int) -> tuple[list[float], list[float]]:
    """alice's dashboard ``slug`` (``charts`` frames): seconds to every chart drawn, cold (a new
    browser context, HTTP cache cleared after logging in) and warm (the same page again)."""
    from playwright.sync_api import sync_playwright

    url = f"{server.page_origin}/d/{slug}/"
    cold: list[float] = []
    warm: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(rounds):
                context = browser.new_context(viewport=VIEWPORT, locale="en-US")
                page = context.new_page()
                _login(page, server)
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.clearBrowserCache")
                cold.append(_visit(page, url, charts))
                page.wait_for_load_state("networkidle")
                for _ in range(warm_visits):
                    warm.append(_visit(page, url, charts))
                    page.wait_for_load_state("networkidle")
                context.close()
        finally:
            browser.close()
    return cold, warm


def run(section: Section, server: PanesServer, *, quick: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    server.script(BENCH / "_fixtures.py", "dashboards", str(CHARTS))
    url = f"{server.page_origin}/d/bench-{CHARTS}/"
    rounds = 1 if quick else 5
    cold: list[float] = []
    warm: list[float] = []
    first_frame: list[int] = []
    further: list[int] = []
    warm_frames: list[int] = []
    encodings: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(rounds):
                context = browser.new_context(viewport=VIEWPORT, locale="en-US")
                page = context.new_page()
                _login(page, server)
                cdp = context.new_cdp_session(page)
                traffic = Traffic(cdp)
                cdp.send("Network.clearBrowserCache")
                traffic.reset()
                cold.append(_visit(page, url))
                page.wait_for_load_state("networkidle")
                main = cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
                frames = sorted(
                    (f for f in traffic.bytes_by_frame if f and f != main), key=lambda f: traffic.first_request_at[f]
                )
                if len(frames) != CHARTS:
                    raise RuntimeError(f"saw {len(frames)} chart frames load, expected {CHARTS}")
                sizes = sorted((traffic.bytes_by_frame[f] for f in frames), reverse=True)
                first_frame.append(sizes[0])
                further.extend(sizes[1:])
                for fetched, headers in traffic.headers.items():
                    if "/static/" in fetched:
                        name = fetched.rsplit("/", 1)[-1].split(".")[0]
                        encodings[name] = f"{headers.get('content-encoding', 'identity')}, {headers.get('cache-control', '-')}"
                for _ in range(2 if quick else 3):
                    traffic.reset()
                    warm.append(_visit(page, url))
                    page.wait_for_load_state("networkidle")
                    main = cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
                    warm_frames.extend(v for f, v in traffic.bytes_by_frame.items() if f and f != main)
                context.close()
        finally:
            browser.close()

    warm_p50 = statistics.median(warm)
    section.add(
        f"{CHARTS} charts, cold cache",
        f"all drawn {ms(statistics.median(cold))} after navigation (median of {len(cold)}; max {ms(max(cold))})",
    )
    section.add(
        f"{CHARTS} charts, warm cache",
        f"all drawn {ms(warm_p50)} after navigation (median of {len(warm)}; max {ms(max(warm))})",
        f"< {GOAL_WARM_S:g} s",
        warm_p50 < GOAL_WARM_S,
    )
    section.add(
        "first chart frame, cold, on the wire",
        f"{kb(statistics.median(first_frame))} (HTML, CSS, ECharts, frame.js, CORS preflight, rows)",
        f"< {GOAL_FIRST_FRAME // 1000} KB",
        statistics.median(first_frame) < GOAL_FIRST_FRAME,
    )
    section.add(
        "each further chart frame, cold page",
        f"median {kb(statistics.median(further))}, max {kb(max(further))}",
        f"< {GOAL_FURTHER_FRAME // 1000} KB",
        max(further) < GOAL_FURTHER_FRAME,
    )
    section.add(
        "each chart frame, warm page",
        f"median {kb(statistics.median(warm_frames))}, max {kb(max(warm_frames))}",
    )
    section.note(
        "Static files as served (content-encoding, cache-control): "
        + "; ".join(f"{name}: {value}" for name, value in sorted(encodings.items()))
    )
    section.note(
        f"Viewport {VIEWPORT['width']}x{VIEWPORT['height']} so all {CHARTS} lazy iframes are in view; "
        "cold = a new browser context with its HTTP cache cleared after logging in; warm = the same "
        "page navigated to again. 'Drawn' = every frame's body says ready (or empty)."
    )
