"""Security headers: one Content-Security-Policy on every response, HSTS under HTTPS, nosniff,
Referrer-Policy, and CSRF on every state change."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from charts.models import Workspace
from tests.charts.builders import make_chart, make_dashboard, make_tinybird_chart

ROOT = Path(__file__).resolve().parents[1]


def policy(response) -> dict[str, list[str]]:
    """The CSP as {directive: sources}; fails if a response carries two policies."""
    headers = [v for k, v in response.items() if k.lower() == "content-security-policy"]
    assert len(headers) == 1, headers
    directives = {}
    for part in headers[0].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice in {headers[0]}"
        directives[name] = sources
    return directives


@pytest.fixture
def board(workspace, acme):
    return make_dashboard("sales", acme, charts=[make_chart(workspace, "Sales", "sales"), make_tinybird_chart(workspace)])


def page_urls(board) -> list[str]:
    chart = board.tiles.filter(chart__kind="panes").first().chart
    return [
        reverse("charts:dashboard_list"),
        reverse("charts:dashboard", args=["sales"]),
        reverse("charts:embed", args=["sales"]),
        reverse("charts:frame", args=[chart.pk]),
        "/no-such-page/",
    ]


def test_every_page_gets_the_strict_policy(alice_client, board) -> None:
    for url in [*page_urls(board), reverse("login")]:
        csp = policy(alice_client.get(url))
        assert csp["default-src"] == ["'self'"], url
        assert csp["script-src"] == ["'self'"], url  # never unsafe-inline or unsafe-eval
        assert csp["style-src"] == ["'self'"], url
        assert csp["style-src-attr"] == ["'unsafe-inline'"], url  # the grid's style="--span: …"
        assert csp["img-src"] == ["'self'", "data:"], url
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"], url
        assert "frame-ancestors" in csp, url


def test_the_anonymous_login_page_gets_it_too(client, db) -> None:
    assert policy(client.get(reverse("login")))["script-src"] == ["'self'"]


def test_no_template_has_an_inline_script_or_style_block() -> None:
    """Only <script src> and json_script data blocks (never executed) are allowed by script-src 'self'."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"event handler attribute in {path}"
        if "admin" not in path.parts:  # the admin policy allows <style>, the site's does not
            assert "<style" not in text, f"<style> block in {path}"


def test_rendered_pages_carry_no_inline_script(alice_client, board) -> None:
    for url in page_urls(board):
        html = alice_client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_chart_iframes_may_come_from_tinybird_and_panes_only(alice_client, board) -> None:
    response = alice_client.get(reverse("charts:dashboard", args=["sales"]))
    csp = policy(response)
    assert csp["frame-src"] == ["'self'", "https://*.tinybird.co"]
    assert 'src="https://app.tinybird.co/' in response.content.decode()  # covered by the wildcard


@override_settings(PANES_CSP_FRAME_SRC=["https://charts.example.com/x?y", "https://evil.example; script-src *"])
def test_configured_frame_sources_are_reduced_to_safe_origins(alice_client, board) -> None:
    csp = policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))
    assert csp["frame-src"] == ["'self'", "https://charts.example.com"]
    assert csp["script-src"] == ["'self'"]


@override_settings(PANES_LOCAL_API_ORIGIN="http://127.0.0.1:9000", PANES_CSP_CONNECT_SRC=[])
def test_chart_frames_may_fetch_from_the_local_origin_and_every_workspace_api(alice_client, board, workspace) -> None:
    Workspace.objects.create(name="Remote", workspace_id="ws-2", api_host="https://api.us-east.tinybird.co/", signing_key_env="X_KEY")
    chart = board.tiles.filter(chart__kind="panes").first().chart
    frame = policy(alice_client.get(reverse("charts:frame", args=[chart.pk])))
    assert frame["connect-src"] == ["'self'", "http://127.0.0.1:9000", "https://api.us-east.tinybird.co"]
    page = policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))
    assert page["connect-src"] == ["'self'", "http://127.0.0.1:9000"]  # pages fetch only their token


def test_admin_pages_allow_style_blocks_but_no_inline_script(staff_client, board) -> None:
    for url in (reverse("admin:index"), reverse("admin:charts_dashboard_changelist")):
        csp = policy(staff_client.get(url))
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"], url
        assert csp["script-src"] == ["'self'"], url


def test_data_responses_get_a_policy_that_allows_nothing(alice_client, board, client) -> None:
    token = policy(alice_client.get(reverse("charts:dashboard_token", args=["sales"])))
    assert token["default-src"] == ["'none'"] and token["frame-ancestors"] == ["'none'"]
    api = client.get("/v0/pipes/sales.json", HTTP_AUTHORIZATION="Bearer nope")
    assert api.status_code == 403
    assert api["Access-Control-Allow-Origin"] == "*"  # the pipe API stays CORS-open
    assert policy(api)["default-src"] == ["'none'"]
    preflight = client.options("/v0/pipes/sales.json", HTTP_ORIGIN="https://intranet.example.com")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"


def test_nosniff_and_referrer_policy_everywhere(alice_client, board) -> None:
    for url in [*page_urls(board), reverse("charts:dashboard_token", args=["sales"]), "/v0/pipes/x.json"]:
        response = alice_client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_over_https_only(client, db) -> None:
    assert client.get(reverse("login"), secure=True)["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get(reverse("login"))


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_secure_and_http_only_under_https_settings(client, alice) -> None:
    page = client.get(reverse("login"), secure=True)
    assert page.cookies["csrftoken"]["secure"]
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}, secure=True)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_switching_tenant_without_csrf_is_refused(csrf_client, carol, acme, globex) -> None:
    csrf_client.force_login(carol)
    response = csrf_client.post(reverse("charts:switch_tenant"), {"tenant": globex.pk})
    assert response.status_code == 403
    assert csrf_client.session.get("panes.tenant_id") != globex.pk


def test_logging_out_without_csrf_is_refused(csrf_client, alice) -> None:
    csrf_client.force_login(alice)
    assert csrf_client.post(reverse("logout")).status_code == 403
    assert csrf_client.get(reverse("charts:dashboard_list")).status_code == 200  # still signed in


def test_signing_in_without_csrf_is_refused(csrf_client, alice) -> None:
    response = csrf_client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_with_the_token_the_same_posts_work(csrf_client, carol, acme, globex) -> None:
    csrf_client.force_login(carol)
    csrf_client.get(reverse("charts:dashboard_list"))  # the page with the forms sets the cookie
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(reverse("charts:switch_tenant"), {"tenant": globex.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert csrf_client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert csrf_client.get(reverse("charts:dashboard_list")).status_code == 302  # to the login page
