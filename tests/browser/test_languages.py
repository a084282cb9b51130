"""Alice's "Sales overview" in English, German and Polish, in a real browser: the page's own text
in the language (the browser's Accept-Language, ``?locale=`` over it, and the person's setting on
/settings/ over the browser), and every figure written as that language writes numbers, money and
dates: the revenue KPI, the Top products table, the line chart's date axis, each compared with the
analytics database. Screenshots: test-output/lang-de.png, test-output/lang-pl.png.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import translation

from demo import content

from .conftest import login, screenshot
from .test_demo_isolation import FRAME_READY_MS, accessible_rows, chart_frames

BROWSER_LOCALES = {"en": "en-US", "de": "de-DE", "pl": "pl-PL"}
# (thousands, decimals) as Intl writes them; Polish groups only from five digits on.
SEPARATORS = {"en": (",", "."), "de": (".", ","), "pl": ("\u00a0", ",")}
MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.".split(),
    "pl": "sty lut mar kwi maj cze lip sie wrz paź lis gru".split(),
}
REVENUE_SQL = "SELECT round(sum(amount), 2) FROM orders WHERE company_id = ?"
TOP_PRODUCTS_SQL = (
    "SELECT product, round(sum(amount), 2) AS revenue, count() FROM orders WHERE company_id = ?"
    " GROUP BY product ORDER BY revenue DESC LIMIT 10"
)
DAYS_SQL = "SELECT toString(min(date)), toString(max(date)) FROM orders WHERE company_id = ?"


def number(value: float | int | str, language: str, decimals: int = 2) -> str:
    """``value`` as Intl.NumberFormat(language, {maximumFractionDigits: decimals}) writes it."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    whole, _, fraction = f"{abs(exact):f}".partition(".")
    thousands, point = SEPARATORS[language]
    if not (language == "pl" and len(whole) <= 4):
        whole = f"{int(whole):,}".replace(",", thousands)
    fraction = fraction.rstrip("0")
    return ("-" if exact < 0 else "") + whole + (point + fraction if fraction else "")


def euros(value: float | int | str, language: str, decimals: int = 2) -> str:
    amount = number(value, language, decimals)
    return "€" + amount if language == "en" else amount + "\u00a0€"


def day(text: str, language: str) -> str:
    when = date.fromisoformat(text)
    month = MONTHS[language][when.month - 1]
    if language == "en":
        return f"{month} {when.day}, {when.year}"
    return f"{when.day}. {month} {when.year}" if language == "de" else f"{when.day} {month} {when.year}"


def spaces_alike(text: str) -> str:
    """Chromium's ICU may write Polish groups with a no-break or a narrow no-break space."""
    return text.replace("\u202f", "\u00a0")


def title(key: str, language: str) -> str:
    """A demo chart's title in ``language``: the demo gives each one in German and Polish too."""
    english = next(chart[1] for chart in content.CHARTS if chart[0] == key)
    return content.TITLES.get(key, {}).get(language, english)


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def assert_page_speaks(page, language: str) -> None:
    assert page.evaluate("document.documentElement.lang") == language
    for msgid, selector in (("Log out", ".logout button"), ("Embed view", ".page-head__actions a[href*='/embed/']")):
        expected = in_language(language, msgid)
        if language != "en":
            assert expected != msgid, f"{msgid!r} has no {language} translation"
        assert page.locator(selector).inner_text().strip() == expected


def assert_figures_in(frames: dict, panes, language: str) -> None:
    # Every frame drew in the page's language: its config says so and its scripts speak it.
    for frame in frames.values():
        assert frame.evaluate("JSON.parse(document.getElementById('panes-chart-config').textContent).locale") == language

    revenue = panes.sql(REVENUE_SQL, ("acme",))[0][0]
    kpi = spaces_alike(frames[title("total_revenue", language)].locator(".frame__kpi-value").inner_text())
    assert kpi == euros(revenue, language, decimals=0)
    assert not re.search(r"\d \d", kpi)  # never a breakable space inside a number

    expected = [[product, euros(amount, language), number(count, language)] for product, amount, count in panes.sql(TOP_PRODUCTS_SQL, ("acme",))]
    shown = [[spaces_alike(cell) for cell in row] for row in accessible_rows(frames[title("top_products", language)])]
    assert shown == expected

    first, last = panes.sql(DAYS_SQL, ("acme",))[0]
    axis = frames[title("revenue_by_day", language)].evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().xAxis[0].data"
    )
    assert axis[0] == day(first, language) and axis[-1] == day(last, language)

    # The chart's accessible name comes from the scripts' catalogue.
    name = frames[title("top_products", language)].locator("#panes-chart").get_attribute("aria-label")
    n = len(expected)
    polish = "wiersz" if n == 1 else "wiersze" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "wierszy"
    rows = {"en": f"{n} rows of Revenue", "de": f"{n} Zeilen mit Revenue", "pl": f"{n} {polish}: Revenue"}[language]
    assert name.startswith(f"{title('top_products', language)}: {rows}")


@pytest.fixture(scope="module")
def alice_signed_in(browser, panes) -> dict:
    """Alice's cookies, signed in once: each language's browser reuses them (Accept-Language is
    per browser context, and Alice has no language of her own)."""
    context = browser.new_context()
    try:
        login(context, panes, "alice")
        return context.storage_state()
    finally:
        context.close()


def dashboard(browser, panes, signed_in: dict, browser_locale: str, query: str = ""):
    context = browser.new_context(viewport={"width": 1280, "height": 2000}, locale=browser_locale, storage_state=signed_in)
    page = context.new_page()
    page.goto(f"{panes.page_origin}/d/sales-overview/{query}")
    return context, page


def assert_kpi_in(page, panes, language: str) -> None:
    """The lighter check of a page whose every figure the tests above already read: the revenue
    KPI as ``language`` writes it (without waiting for the other charts)."""
    frame = page.frame_locator(f".tile[aria-label='{title('total_revenue', language)}'] iframe")
    frame.locator("body[data-state=ready]").wait_for(timeout=FRAME_READY_MS)
    revenue = panes.sql(REVENUE_SQL, ("acme",))[0][0]
    assert spaces_alike(frame.locator(".frame__kpi-value").inner_text()) == euros(revenue, language, decimals=0)


@pytest.mark.parametrize("language", ["en", "de", "pl"])
def test_the_dashboard_speaks_the_browsers_language(browser, panes, alice_signed_in, language) -> None:
    context, page = dashboard(browser, panes, alice_signed_in, BROWSER_LOCALES[language])
    try:
        frames = chart_frames(page)
        assert_page_speaks(page, language)
        assert_figures_in(frames, panes, language)
        if language != "en":
            screenshot(page, f"lang-{language}")
    finally:
        context.close()


def test_locale_in_the_address_wins_and_the_persons_setting_wins_over_the_browser(browser, panes, alice_signed_in) -> None:
    context, page = dashboard(browser, panes, alice_signed_in, "de-DE", "?locale=pl")
    try:
        assert_page_speaks(page, "pl")
        assert_kpi_in(page, panes, "pl")

        page.goto(f"{panes.page_origin}/settings/")
        page.select_option("select[name=language]", "pl")
        page.locator("form[data-preferences] [type=submit]").click()
        page.wait_for_load_state("networkidle")
        try:
            page.goto(f"{panes.page_origin}/d/sales-overview/")
            assert_page_speaks(page, "pl")
            assert_kpi_in(page, panes, "pl")
        finally:
            # The server is shared with other tests of this worker: Alice reads her browser's again.
            page.goto(f"{panes.page_origin}/settings/")
            page.select_option("select[name=language]", "")
            page.locator("form[data-preferences] [type=submit]").click()
            page.wait_for_load_state("networkidle")
        # Saved: the settings page answers in the browser's language again.
        assert page.evaluate("document.documentElement.lang") == "de"
    finally:
        context.close()
