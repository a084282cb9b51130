"""Security headers: one Content-Security-Policy on every response, HSTS under HTTPS, nosniff,
Referrer-Policy, and CSRF on every state change."""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

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


HEADER_OF_A_PAGE = (
    "from django.http import HttpResponse; from django.test import RequestFactory; "
    "from config.middleware import ContentSecurityPolicyMiddleware as M; "
    "print(M(lambda r: HttpResponse('<p>'))(RequestFactory().get('/'))['Content-Security-Policy'])"
)


def settings_policy(**env: str) -> dict[str, list[str]]:
    """The policy of a page, written in a fresh process whose settings come from ``env``."""
    variables = {**os.environ, "PANES_ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", HEADER_OF_A_PAGE], cwd=ROOT, env=variables, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    header = result.stdout.strip().splitlines()[-1]
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


def test_configured_sources_are_reduced_to_origins() -> None:
    directives = settings_policy(
        PANES_CSP_FRAME_SRC="https://charts.example.com/x?y",
        PANES_LOCAL_API_ORIGIN="http://127.0.0.1:9000/",
        PANES_ALLOWED_API_HOSTS="https://API.tinybird.co/,https://api.us-east.tinybird.co",
    )
    assert directives["frame-src"] == ["'self'", "https://charts.example.com"]
    assert directives["connect-src"] == ["'self'", "http://127.0.0.1:9000", "https://api.tinybird.co", "https://api.us-east.tinybird.co"]
    assert directives["script-src"] == ["'self'"]


@pytest.mark.parametrize("name", ["PANES_CSP_FRAME_SRC", "PANES_LOCAL_API_ORIGIN"])
def test_a_source_that_is_no_origin_stops_the_start(name) -> None:
    env = {**os.environ, "PANES_ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "config.settings", name: "https://evil.example; script-src *"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}: 'https://evil.example; script-src *' is not an http(s) origin" in result.stderr


def test_the_connect_sources_are_the_local_host_and_the_allowed_api_hosts_without_a_query(
    alice_client, board, workspace
) -> None:
    """Chart frames fetch rows from the API hosts the operator allows; a workspace's own (free-form)
    host is not read from the database for the header, and only the allow-list counts."""
    Workspace.objects.create(name="Rogue", workspace_id="ws-2", api_host="https://rows.evil.example", signing_key_env="X_KEY")
    chart = board.tiles.filter(chart__kind="panes").first().chart
    expected = ["'self'", *settings.PANES_ALLOWED_API_HOSTS]
    assert expected[1:] and all(host.startswith("https://") for host in expected[1:])
    frame = policy(alice_client.get(reverse("charts:frame", args=[chart.pk])))
    assert frame["connect-src"] == expected
    # The dashboard may also ask Tinybird chart frames' hosts whether they answer (frame_watch.js).
    dashboard_sources = [*expected, *settings.PANES_CSP_FRAME_SRC]
    assert policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))["connect-src"] == dashboard_sources
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse("charts:frame", args=[chart.pk]))
    assert not [q["sql"] for q in queries if q["sql"].startswith('SELECT DISTINCT "charts_workspace"."api_host"')]


@override_settings(PANES_ALLOWED_API_HOSTS=["https://rows.example.net/"], PANES_LOCAL_API_ORIGIN="http://127.0.0.1:9000")
def test_the_connect_sources_follow_the_settings_as_they_are_now(alice_client, board) -> None:
    """The same allow-list the workspaces are held to, at the same moment."""
    csp = policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))
    assert csp["connect-src"] == ["'self'", "http://127.0.0.1:9000", "https://rows.example.net", *settings.PANES_CSP_FRAME_SRC]


@override_settings(PANES_ALLOWED_API_HOSTS=["https://rows.example.net", "https://evil.example; script-src *"])
def test_an_allowed_api_host_that_is_no_origin_is_left_out(alice_client, board) -> None:
    """charts.E006 reports it; the policy must not let it add a directive meanwhile."""
    csp = policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))
    assert csp["connect-src"] == ["'self'", "https://rows.example.net", *settings.PANES_CSP_FRAME_SRC]
    assert csp["script-src"] == ["'self'"]


def test_the_policy_is_the_configured_one(alice_client, board) -> None:
    """The header is django-csp's CONTENT_SECURITY_POLICY: change the setting, the header follows."""
    configured = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    configured["DIRECTIVES"]["img-src"] = ["'self'", "https://img.example.com"]
    with override_settings(CONTENT_SECURITY_POLICY=configured):
        csp = policy(alice_client.get(reverse("charts:dashboard", args=["sales"])))
    assert csp["img-src"] == ["'self'", "https://img.example.com"]
    assert csp["frame-ancestors"] == ["'none'"]


def test_the_policy_is_written_in_one_header_with_frame_ancestors_last(alice_client, board) -> None:
    for url in page_urls(board):
        header = alice_client.get(url)["Content-Security-Policy"]
        assert header.split("; ")[-1].startswith("frame-ancestors "), url


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


def test_csv_answers_of_the_pipe_api_allow_nothing_either(client, db) -> None:
    response = client.get("/v0/pipes/sales.csv", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 403
    csp = policy(response)
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]


def _raising(exc: Exception):
    def view(request) -> HttpResponse:
        raise exc

    return view


# This module as a URLconf: the site's URLs plus views that fail, for the error pages below.
urlpatterns = [
    path("fails/", _raising(ValueError("boom"))),
    path("outage/", _raising(OperationalError('connection to server at "db" failed'))),
    path("outage.json", _raising(OperationalError('connection to server at "db" failed'))),
    *__import__("config.urls", fromlist=["urlpatterns"]).urlpatterns,
]
handler500 = "config.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status", "is_html"),
    [("/no-such-page/", 404, True), ("/fails/", 500, True), ("/outage/", 503, True), ("/outage.json", 503, False)],
)
def test_error_pages_carry_the_policy_too(db, url, status, is_html) -> None:
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    csp = policy(response)
    if is_html:
        assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    else:
        assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


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
