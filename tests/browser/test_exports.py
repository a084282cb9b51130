"""Exports from the real demo: the dashboard's "Download PDF" button and a chart's PNG tool, drawn
on the server by headless Chromium with the viewer's own token, filters and theme. Each person's
files hold their organisation's rows only; figures are checked against the analytics database.
The PDFs' first pages are drawn to test-output/export-*.png to be looked at."""
from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import urlencode

import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader

from charts.render import png_texts

from .conftest import OUTPUT, login

FROM, TO = "2026-03-01", "2026-05-31"
DOWNLOAD_MS = 90_000
FRAME_MS = 30_000


@pytest.fixture(scope="module")
def city(panes) -> str:
    """A city both Acme and Globex sold in over the range."""
    [(name,)] = panes.sql(
        "SELECT city FROM orders WHERE company_id IN ('acme', 'globex') AND date BETWEEN ? AND ? "
        "GROUP BY city HAVING uniqExact(company_id) = 2 ORDER BY city LIMIT 1",
        (FROM, TO),
    )
    return name


def revenue(panes, company: str, city: str) -> str:
    """Total revenue as the KPI writes it in English ("€1,234,567")."""
    [(total,)] = panes.sql(
        "SELECT sum(amount) FROM orders WHERE company_id = ? AND city = ? AND date BETWEEN ? AND ?", (company, city, FROM, TO)
    )
    return f"€{round(float(total)):,}"


def orders_by_city(panes, company: str) -> dict[str, int]:
    rows = panes.sql(
        "SELECT city, count() FROM orders WHERE company_id = ? AND date BETWEEN ? AND ? GROUP BY city", (company, FROM, TO)
    )
    return {city: int(n) for city, n in rows}


def pdf_of(page, name: str) -> tuple[str, str]:
    """Clicks the page's Download PDF; (suggested file name, the PDF's text); its first page drawn
    to test-output/<name>.png."""
    with page.expect_download(timeout=DOWNLOAD_MS) as info:
        page.click("a[data-export-pdf]")
    download = info.value
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.pdf"
    download.save_as(path)
    pypdfium2.PdfDocument(str(path))[0].render(scale=1.5).to_pil().save(OUTPUT / f"{name}.png")
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    return download.suggested_filename, text


def open_board(context, panes, username: str, slug: str = "sales-overview", **query: str):
    page = login(context, panes, username)
    page.goto(f"{panes.page_origin}/d/{slug}/?{urlencode(query)}")
    return page


def test_alice_and_bob_each_get_a_pdf_of_their_own_figures(browser, panes, city) -> None:
    alice_total, bob_total = revenue(panes, "acme", city), revenue(panes, "globex", city)
    assert alice_total != bob_total
    found = {}
    for username in ("alice", "bob"):
        context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="en-US")
        try:
            page = open_board(context, panes, username, date_from=FROM, date_to=TO, city=city)
            page.wait_for_load_state("load")
            grants = panes.sql("SELECT COUNT(*) FROM charts_tokengrant", database="default")
            found[username] = pdf_of(page, f"export-{username}")
            # Drawn with the token the viewer's page holds: none minted for the export.
            assert panes.sql("SELECT COUNT(*) FROM charts_tokengrant", database="default") == grants
        finally:
            context.close()
    (alice_name, alice_text), (bob_name, bob_text) = found["alice"], found["bob"]
    assert alice_name == bob_name == f"sales-overview-{FROM}-{TO}.pdf"
    for text, tenant in ((alice_text, "Acme"), (bob_text, "Globex")):
        assert "Sales overview" in text
        assert tenant.upper() in text.upper()
        assert city in text
        assert "March 1, 2026 – May 31, 2026" in text
    assert alice_total in alice_text and bob_total not in alice_text
    assert bob_total in bob_text and alice_total not in bob_text


def test_alices_pdf_holds_her_cities_table(context, panes) -> None:
    page = open_board(context, panes, "alice", slug="acme-operations", date_from=FROM, date_to=TO)
    name, text = pdf_of(page, "export-alice-operations")
    assert name == f"acme-operations-{FROM}-{TO}.pdf"
    # The rows the tile has room for, as on screen: its five biggest cities by revenue.
    rows = panes.sql(
        "SELECT city, count() FROM orders WHERE company_id = 'acme' AND date BETWEEN ? AND ? "
        "GROUP BY city ORDER BY sum(amount) DESC LIMIT 5",
        (FROM, TO),
    )
    lines = text.splitlines()
    for city, orders in rows:
        assert any(line.startswith(f"{city} ") and line.endswith(f" {int(orders):,}") for line in lines), (city, orders)


@pytest.mark.parametrize("username", ["alice", "bob"])
def test_a_charts_png_is_its_tile_in_the_dark_theme_with_only_the_viewers_rows(browser, panes, username) -> None:
    company = {"alice": "acme", "bob": "globex"}[username]
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="en-US")
    try:
        page = open_board(context, panes, username, date_from=FROM, date_to=TO, theme="dark")
        tool = page.frame_locator("iframe[title='Revenue by city']").locator("#panes-png:not([hidden])")
        tool.wait_for(timeout=FRAME_MS)  # shown once the chart has drawn
        box = page.locator(".tile", has=page.locator("iframe[title='Revenue by city']")).bounding_box()
        with page.expect_download(timeout=DOWNLOAD_MS) as info:
            tool.click()
        download = info.value
        path = OUTPUT / f"export-{username}-revenue-by-city.png"
        download.save_as(path)
    finally:
        context.close()
    assert download.suggested_filename == f"revenue-by-city-{FROM}-{TO}.png"
    data = path.read_bytes()
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # The tile as laid out on a 1280-pixel-wide page, at twice the pixels
    assert abs(image.width / 2 - box["width"]) <= 20 and abs(image.height / 2 - box["height"]) <= 4
    corners = [image.getpixel((x, y)) for x in (8, image.width - 8) for y in (image.height // 2, image.height - 8)]
    assert all(sum(pixel) / 3 < 60 for pixel in corners), corners  # a dark tile
    lines = png_texts(data)["Description"].strip().splitlines()
    assert lines[0].split(",")[0] == "city"
    drawn = {line.split(",")[0]: int(line.split(",")[2]) for line in lines[1:]}
    assert drawn == orders_by_city(panes, company)


def test_the_pdf_follows_filters_changed_without_a_reload(context, panes) -> None:
    page = open_board(context, panes, "alice")
    page.select_option("select[data-period]", "previous_month")
    page.wait_for_function("() => location.search.includes('period=previous_month')")
    last = date.today().replace(day=1) - timedelta(days=1)
    with page.expect_download(timeout=DOWNLOAD_MS) as info:
        page.click("a[data-export-pdf]")
    assert info.value.suggested_filename == f"sales-overview-{last.replace(day=1).isoformat()}-{last.isoformat()}.pdf"


def test_an_auto_themed_page_exports_the_colours_it_shows(browser, panes) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="en-US", color_scheme="dark")
    try:
        page = open_board(context, panes, "alice", theme="auto")
        page.click("a[data-export-pdf]", no_wait_after=True)
        href = page.get_attribute("a[data-export-pdf]", "href")
    finally:
        context.close()
    assert "theme=dark" in href
