"""axe-core on the pages people use: sign-in, the dashboard list, a dashboard in light and dark,
a chart frame (chart and table view) and the embed. No violation of serious or critical impact.

axe-core comes from npm (package.json, installed by `make test`'s npm ci) and is injected with
Playwright; the context bypasses the pages' Content-Security-Policy for that one injected script.
"""
from __future__ import annotations

import pytest

from .conftest import PASSWORD, ROOT, screenshot
from .test_demo_isolation import chart_frames

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_context(browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does)")
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="en-US", bypass_csp=True)
    yield context
    context.close()


def violations(target) -> list[dict]:
    """Serious and critical axe violations of a page or frame, in a readable form."""
    target.add_script_tag(path=str(AXE))
    result = target.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"], iframes: false});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => [n.target.join(" "), n.failureSummary])}));
        }"""
    )
    return [v for v in result if v["impact"] in BLOCKING]


def sign_in(context, panes, username: str = "alice"):
    page = context.new_page()
    page.goto(f"{panes.page_origin}/login/")
    assert violations(page) == []
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_sign_in_and_the_dashboard_list(axe_context, panes) -> None:
    page = axe_context.new_page()
    page.goto(f"{panes.page_origin}/login/")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []  # with the error message shown
    page = sign_in(axe_context, panes)
    assert page.url.rstrip("/") == panes.page_origin
    assert violations(page) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_dashboard_and_its_chart_frames(axe_context, panes, theme: str) -> None:
    page = sign_in(axe_context, panes)
    page.goto(f"{panes.page_origin}/d/sales-overview/?theme={theme}&date_from=2026-03-01&date_to=2026-03-31")
    frames = chart_frames(page)
    assert f"theme-{theme}" in page.evaluate("document.body.className")
    screenshot(page, f"dashboard-{theme}")
    assert violations(page) == []
    for title in ("Total revenue", "Revenue by city", "Share of revenue by city"):
        frame = frames[title]
        assert f"theme-{theme}" in frame.evaluate("document.body.className")
        assert violations(frame) == [], title
    # The table view too: shown, scrolling, reachable.
    city = frames["Revenue by city"]
    city.click("#panes-view-toggle")
    city.wait_for_function("() => document.body.dataset.view === 'table'")
    assert violations(city) == []


def test_every_chart_is_named_for_screen_readers(axe_context, panes) -> None:
    page = sign_in(axe_context, panes)
    page.goto(f"{panes.page_origin}/d/sales-overview/")
    frames = chart_frames(page)
    titles = page.eval_on_selector_all("iframe.tile__frame", "els => els.map(e => e.title)")
    assert sorted(titles) == sorted(frames)
    for title, frame in frames.items():
        label = frame.get_attribute("#panes-chart", "aria-label") or ""
        assert frame.get_attribute("#panes-chart", "role") == "img"
        assert label.startswith(title + ":") and "loading" not in label, label


def test_table_charts_in_dark(axe_context, panes) -> None:
    page = sign_in(axe_context, panes)
    page.goto(f"{panes.page_origin}/d/acme-operations/?theme=dark")
    frames = chart_frames(page)
    for title in ("Cities", "Monthly revenue by product"):
        assert violations(frames[title]) == [], title


def test_the_embed_view(axe_context, panes) -> None:
    page = sign_in(axe_context, panes)
    page.goto(f"{panes.page_origin}/embed/sales-overview/?theme=dark&controls=1")
    chart_frames(page)
    assert violations(page) == []


def test_the_axe_check_catches_a_real_problem(axe_context, panes) -> None:
    """Guard against a check that cannot fail: a low-contrast paragraph is reported."""
    page = sign_in(axe_context, panes)
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<p style=\"color:#ccc;background:#fff\">Hard to read</p>')"
    )
    assert [v["id"] for v in violations(page)] == ["color-contrast"]

