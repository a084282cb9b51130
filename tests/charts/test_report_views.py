"""The report pages: subscribe, the person's list and cancel, the signed unsubscribe link; and the
admin's view of subscriptions and deliveries."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from charts import reports
from charts.locale import SESSION_KEY
from charts.models import ReportDelivery, ReportSubscription
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

DATES_CITY = "date_from,date_to,city"


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    chart = make_chart(workspace, "Revenue", "revenue", filter_params=DATES_CITY)
    return make_dashboard("sales-overview", acme, globex, charts=[chart])


def subscribe_url(query: str = "") -> str:
    return reverse("charts:report_subscribe", args=["sales-overview"]) + (f"?{query}" if query else "")


def form(**fields: str) -> dict[str, str]:
    return {"frequency": "weekly", "weekday": "0", "day_of_month": "1", "send_time": "08:00", "dates": "current", **fields}


def make_subscription(user, tenant, board, **fields) -> ReportSubscription:
    fields.setdefault("send_time", time(8, 0))
    fields.setdefault("next_run_at", datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    return ReportSubscription.objects.create(user=user, tenant=tenant, dashboard=board, **fields)


# --- Subscribe -------------------------------------------------------------------------------------


def test_the_dashboard_links_to_subscribe_with_its_query(alice_client, board):
    html = alice_client.get(reverse("charts:dashboard", args=["sales-overview"]) + "?city=Berlin").content.decode()
    assert f'href="{subscribe_url("city=Berlin")}"' in html
    assert 'href="/reports/"' in html  # the top bar's Reports link


def test_the_form_shows_the_kept_filters_and_the_time_zone(alice_client, board, acme):
    acme.time_zone = "Europe/Warsaw"
    acme.save()
    response = alice_client.get(subscribe_url("city=Berlin&period=last_7_days&company_id=globex&nonsense=1"))
    html = response.content.decode()
    assert "Europe/Warsaw" in html
    assert "<dt>City</dt><dd>Berlin</dd>" in html and "<dt>Period</dt><dd>Last 7 days</dd>" in html
    # Not offered (a tenant param, an unknown key): never kept.
    assert response.context["kept"] == [("City", "Berlin"), ("Period", "Last 7 days")]


def test_it_saves_the_page_filters_and_the_next_send(alice_client, alice, acme, board):
    alice_client.session.save()
    session = alice_client.session
    session[SESSION_KEY] = {"language": "", "time_zone": "America/New_York"}
    session.save()
    before = timezone.now()
    response = alice_client.post(
        subscribe_url("city=Berlin&period=last_7_days&company_id=globex&compare=previous_period"),
        form(weekday="4", send_time="09:30", include_csv="on"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("charts:reports")
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.tenant, subscription.dashboard) == (alice, acme, board)
    assert subscription.filters == {"city": "Berlin", "period": "last_7_days", "compare": "previous_period"}
    assert (subscription.frequency, subscription.weekday, subscription.send_time) == ("weekly", 4, time(9, 30))
    assert subscription.include_csv
    local = subscription.next_run_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert subscription.next_run_at > before
    assert (local.weekday(), local.hour, local.minute) == (4, 9, 30)


def test_a_typed_date_range_is_kept_as_is(alice_client, board):
    alice_client.post(subscribe_url("date_from=2026-11-01&date_to=2026-11-30"), form())
    assert ReportSubscription.objects.get().filters == {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def test_a_rolling_period_replaces_the_page_dates(alice_client, board):
    alice_client.post(
        subscribe_url("date_from=2026-11-01&date_to=2026-11-30&city=Berlin"),
        form(dates="preset", period="month_to_date", frequency="monthly", day_of_month="28"),
    )
    subscription = ReportSubscription.objects.get()
    assert subscription.filters == {"city": "Berlin", "period": "month_to_date"}
    assert (subscription.frequency, subscription.day_of_month) == ("monthly", 28)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"send_time": "25:00"}, "send_time", "Enter a valid time."),
        ({"frequency": "hourly"}, "frequency", "Select a valid choice"),
        ({"frequency": "monthly", "day_of_month": "31"}, "day_of_month", "Select a valid choice"),
        ({"frequency": "weekly", "weekday": ""}, "weekday", "Choose the weekday of a weekly report."),
        ({"dates": "preset", "period": ""}, "period", "Choose the period the report covers."),
    ],
)
def test_a_bad_form_says_why_and_saves_nothing(alice_client, board, fields, field, message):
    response = alice_client.post(subscribe_url(), form(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not ReportSubscription.objects.exists()


def test_another_tenants_dashboard_is_404(bob_client, workspace, acme):
    make_dashboard("acme-only", acme, charts=[make_chart(workspace)])
    url = reverse("charts:report_subscribe", args=["acme-only"])
    assert bob_client.get(url).status_code == 404
    assert bob_client.post(url, form()).status_code == 404
    assert not ReportSubscription.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, board):
    response = client.get(subscribe_url())
    assert response.status_code == 302 and "/login/" in response["Location"]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_form_costs_the_same_queries_for_one_chart_or_many(alice_client, workspace, acme):
    make_dashboard("one", acme, charts=[make_chart(workspace, "C0", "pipe_0", filter_params=DATES_CITY)])
    make_dashboard("many", acme, charts=[make_chart(workspace, f"C{i}", f"pipe_{i}", filter_params=DATES_CITY) for i in range(12)])
    one = _queries(alice_client, reverse("charts:report_subscribe", args=["one"]))
    assert _queries(alice_client, reverse("charts:report_subscribe", args=["many"])) == one


# --- The person's list and cancel ------------------------------------------------------------------


def test_the_list_shows_ones_own_subscriptions_in_the_active_tenant(carol_client, carol, alice, acme, globex, board):
    mine = make_subscription(carol, acme, board, frequency="weekly", weekday=0, filters={"city": "Berlin"})
    make_subscription(carol, globex, board)  # another tenant
    make_subscription(alice, acme, board)  # another person
    response = carol_client.get(reverse("charts:reports"))
    rows = response.context["rows"]
    assert [row["subscription"] for row in rows] == [mine]
    html = response.content.decode()
    assert "Weekly on Monday at 08:00" in html and "City: Berlin" in html
    assert reverse("charts:report_cancel", args=[mine.pk]) in html


def test_the_next_send_is_shown_in_the_persons_time_zone(alice_client, alice, acme, board):
    acme.time_zone = "Asia/Tokyo"
    acme.save()
    make_subscription(alice, acme, board, next_run_at=datetime(2026, 12, 7, 23, 0, tzinfo=UTC))
    html = alice_client.get(reverse("charts:reports")).content.decode()
    assert "Dec. 8, 2026" in html and "8 a.m." in html  # 08:00 in Tokyo the next day


def test_a_paused_subscription_says_why(alice_client, alice, acme, board):
    make_subscription(alice, acme, board, is_active=False, paused_reason="Unsubscribed from the email")
    html = alice_client.get(reverse("charts:reports")).content.decode()
    assert "Paused" in html and "Unsubscribed from the email" in html


def test_the_list_speaks_the_persons_language(alice_client, alice, acme, board):
    make_subscription(alice, acme, board, frequency="daily", is_active=False, paused_reason="Unsubscribed from the email")
    session = alice_client.session
    session[SESSION_KEY] = {"language": "de", "time_zone": ""}
    session.save()
    html = alice_client.get(reverse("charts:reports")).content.decode()
    assert "Täglich um 08:00" in html and "Über die E-Mail abbestellt" in html


def test_the_list_costs_the_same_queries_for_one_subscription_or_many(alice_client, alice, acme, board):
    make_subscription(alice, acme, board)
    one = _queries(alice_client, reverse("charts:reports"))
    for _ in range(5):
        make_subscription(alice, acme, board)
    assert _queries(alice_client, reverse("charts:reports")) == one


def test_cancel_deletes_ones_own(alice_client, alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    response = alice_client.post(reverse("charts:report_cancel", args=[subscription.pk]))
    assert response.status_code == 302
    assert not ReportSubscription.objects.exists()


def test_cancelling_someone_elses_is_404(alice_client, bob, globex, board):
    theirs = make_subscription(bob, globex, board)
    assert alice_client.post(reverse("charts:report_cancel", args=[theirs.pk])).status_code == 404
    assert alice_client.get(reverse("charts:report_cancel", args=[theirs.pk])).status_code == 405
    assert ReportSubscription.objects.filter(pk=theirs.pk).exists()


# --- Unsubscribe ------------------------------------------------------------------------------------


def test_the_link_asks_before_it_unsubscribes(alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    url = reverse("charts:report_unsubscribe", args=[reports.unsubscribe_token(subscription)])
    response = Client().get(url)  # not signed in
    assert response.status_code == 200
    assert "Unsubscribe from this report?" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active  # a link scanner's GET changes nothing


def test_one_click_post_unsubscribes_without_a_session_or_csrf(alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    url = reverse("charts:report_unsubscribe", args=[reports.unsubscribe_token(subscription)])
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.paused_reason) == (False, "Unsubscribed from the email")
    assert "Already unsubscribed" in Client().get(url).content.decode()


@pytest.mark.parametrize("tamper", ["id", "signature", "garbage"])
def test_a_tampered_link_is_400_and_changes_nothing(alice, bob, acme, board, tamper):
    subscription = make_subscription(alice, acme, board)
    token = reports.unsubscribe_token(subscription)
    if tamper == "id":  # another subscription's id under this one's signature
        value, signature = token.rsplit(":", 1)
        other = make_subscription(bob, acme, board)
        forged = signing.Signer(salt=reports.UNSUBSCRIBE_SALT).sign_object([other.pk, bob.pk])
        token = f"{forged.rsplit(':', 1)[0]}:{signature}"
    elif tamper == "signature":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        token = "not-a-token"
    response = Client(enforce_csrf_checks=True).post(reverse("charts:report_unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_the_link_of_a_cancelled_report_says_it_is_gone(alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    url = reverse("charts:report_unsubscribe", args=[reports.unsubscribe_token(subscription)])
    subscription.delete()
    for response in (Client().get(url), Client(enforce_csrf_checks=True).post(url)):
        assert response.status_code == 200
        assert "This report was cancelled" in response.content.decode()


def test_a_token_from_another_salt_or_another_person_is_refused(alice, bob, acme, board):
    subscription = make_subscription(alice, acme, board)
    assert reports.subscription_of_token(signing.Signer(salt="x").sign_object([subscription.pk, alice.pk])) is None
    # Signed by Panes but naming someone else as the subscriber: no subscription of theirs.
    assert reports.subscription_of_token(
        signing.Signer(salt=reports.UNSUBSCRIBE_SALT).sign_object([subscription.pk, bob.pk])
    ) is None
    assert reports.subscription_of_token(reports.unsubscribe_token(subscription)) == subscription


def test_the_link_is_the_same_in_every_email(alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    assert reports.unsubscribe_token(subscription) == reports.unsubscribe_token(subscription)


# --- Admin ------------------------------------------------------------------------------------------


def test_a_failed_deliverys_error_shows_on_the_admin_changelist(staff_client, alice, acme, board):
    subscription = make_subscription(alice, acme, board)
    ReportDelivery.objects.create(
        subscription=subscription,
        scheduled_for=datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
        status=ReportDelivery.Status.FAILED,
        attempts=2,
        next_attempt_at=datetime(2026, 12, 1, 7, 15, tzinfo=UTC),
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    html = staff_client.get(reverse("admin:charts_reportdelivery_changelist")).content.decode()
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "Failed (will retry)" in html
    html = staff_client.get(reverse("admin:charts_reportdelivery_changelist") + "?status__exact=sent").content.decode()
    assert "SMTPServerDisconnected" not in html


def test_the_admin_lists_paused_subscriptions_and_resumes_them(staff_client, alice, acme, board):
    paused = make_subscription(
        alice, acme, board, is_active=False, paused_reason="Membership in Acme is no longer active",
        next_run_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    html = staff_client.get(reverse("admin:charts_reportsubscription_changelist") + "?is_active__exact=0").content.decode()
    assert "Membership in Acme is no longer active" in html
    response = staff_client.post(
        reverse("admin:charts_reportsubscription_changelist"),
        {"action": "resume", "_selected_action": [paused.pk]},
    )
    assert response.status_code == 302
    paused.refresh_from_db()
    assert paused.is_active and paused.paused_reason == ""
    assert timezone.now() < paused.next_run_at <= timezone.now() + timedelta(days=7)


def test_the_admin_changelists_cost_the_same_queries_for_many_rows(staff_client, alice, acme, board):
    url = reverse("admin:charts_reportdelivery_changelist")
    subscription = make_subscription(alice, acme, board)
    ReportDelivery.objects.create(subscription=subscription, scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))
    one = _queries(staff_client, url)
    for day in range(2, 8):
        other = make_subscription(alice, acme, board)
        ReportDelivery.objects.create(subscription=other, scheduled_for=datetime(2026, 1, day, tzinfo=UTC))
    assert _queries(staff_client, url) == one
