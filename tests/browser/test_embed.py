"""An intranet page on an allowed origin can frame the embed view; one on another origin cannot.

Both intranet pages are on localhost (another port: another origin, the same site), so the session
cookie reaches Panes either way and only the CSP frame-ancestors policy decides.
"""
from __future__ import annotations

from tests.support.browser import StaticSite

from .conftest import login, screenshot
from .test_demo_isolation import chart_frames

PAGE = """<!doctype html><html><head><title>Intranet</title></head><body>
<h1>Company intranet</h1>
<iframe id="panes" src="{src}" style="width: 1200px; height: 2000px; border: 0"></iframe>
</body></html>"""


def intranet(tmp_path, port: int, panes) -> StaticSite:
    (tmp_path / "index.html").write_text(PAGE.format(src=f"{panes.page_origin}/embed/sales-overview/"))
    return StaticSite(tmp_path, port)


def test_an_allowed_intranet_origin_can_frame_the_embed_view(context, panes, intranet_ports, tmp_path) -> None:
    allowed, _ = intranet_ports
    page = login(context, panes, "alice")
    with intranet(tmp_path, allowed, panes):
        page.goto(f"http://localhost:{allowed}/index.html")
        embed = page.frame_locator("#panes")
        embed.locator(".tile").first.wait_for()
        frames = chart_frames(page)
        screenshot(page, "intranet-embed-allowed")
    assert len(frames) == 8
    assert all(f.evaluate("document.body.dataset.state") == "ready" for f in frames.values())


def test_another_intranet_origin_cannot_frame_it(context, panes, intranet_ports, tmp_path) -> None:
    _, forbidden = intranet_ports
    page = login(context, panes, "alice")
    api_calls = []
    page.on("request", lambda r: api_calls.append(r.url) if "/v0/pipes/" in r.url else None)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "frame-ancestors" in m.text else None)
    with intranet(tmp_path, forbidden, panes):
        page.goto(f"http://localhost:{forbidden}/index.html")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        screenshot(page, "intranet-embed-forbidden")
    embedded = [f for f in page.frames if f != page.main_frame]
    assert embedded, "the intranet page has no iframe"
    assert all("/embed/" not in f.url or f.evaluate("document.querySelector('.tile') === null") for f in embedded)
    assert not any("/frame/" in f.url for f in page.frames)
    assert api_calls == []
    assert blocked, "chromium did not report a frame-ancestors refusal"
