"""A new tenant with a rule whose value the built-in host has no rows for, in a real browser
against the deployed demo: the save warns naming the param and value and lists the values the
host holds. Screenshot: test-output/admin-tenant-rule-warning.png."""
from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from charts.models import Tenant, TenantFilterRule
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.mark.django_db(transaction=True)
def test_a_new_tenants_rule_without_rows_is_warned_about_on_save(live_server, settings) -> None:
    call_command("demo", rows=2000, stdout=StringIO())
    settings.PANES_LOCAL_API_ORIGIN = live_server.url
    staff = get_user_model().objects.create_user("root", password="pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares this thread
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            host = live_server.url.split("//")[1].split(":")[0]
            context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
            page = context.new_page()
            page.goto(f"{live_server.url}/admin/charts/tenant/add/")
            info = page.locator(".messagelist .info").all_inner_texts()
            assert any(text.startswith("Values of company_id on") and "acme, globex, initech" in text for text in info)
            page.fill("#id_name", "Umbrella")
            page.click("#filter_rules-group .add-row a")
            page.fill("#id_filter_rules-0-param", "company_id")
            page.fill("#id_filter_rules-0-value", "umbrella")
            page.click("input[name=_continue]")
            page.wait_for_load_state()
            warnings = page.locator(".messagelist .warning").all_inner_texts()
            assert warnings == [
                "Umbrella: no rows for company_id=umbrella on Panes built-in host (asked pipe kpi_totals), so its "
                "viewers will see “No data”. Values it holds: acme, globex, initech."
            ], warnings
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "admin-tenant-rule-warning.png"), full_page=True)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert TenantFilterRule.objects.get(tenant=Tenant.objects.get(slug="umbrella")).value == "umbrella"
