"""manage.py send_reports with a fake renderer and the locmem email backend: what is due, who gets
what, pausing, retries and claims. tests/browser/test_reports.py runs the real renderer and SMTP."""
from __future__ import annotations

import email
from contextlib import AbstractContextManager
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from charts import reports
from charts.models import Membership, PersonSettings, ReportDelivery, ReportSubscription
from charts.render import Audience, ChartRender, DashboardRender
from charts.report_email import CONTENT_WIDTH
from tests.charts.builders import make_chart, make_dashboard

SITE = "http://panes.test"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday; 09:00 in Warsaw
PNG = b"\x89PNG\r\n\x1a\nfake-image"


class FakeRenderer(AbstractContextManager):
    """Stands in for charts.render.Renderer: records who each render was for and "draws" that
    tenant's rows, so a test can tell whose data went where."""

    instances: list[FakeRenderer] = []
    fail_for: set[str] = set()  # usernames whose render raises

    def __init__(self) -> None:
        self.calls: list[tuple[Audience, str, dict, str]] = []
        self.tiles_at_most: list[int | None] = []
        FakeRenderer.instances.append(self)

    def __exit__(self, *exc) -> None:
        return None

    def dashboard(self, audience, dashboard, query, *, base_url, theme="light", pdf=True, chart_ids=None, session_from=None, tiles_at_most=None):
        self.calls.append((audience, dashboard.slug, dict(query), base_url))
        self.tiles_at_most.append(tiles_at_most)
        if audience.user.username in self.fail_for:
            raise RuntimeError("Chromium timed out after 60 s")
        rows = f"city,total\r\n{audience.tenant.name} City,1\r\n"
        return DashboardRender(
            title=dashboard.title,
            filename_stem=f"{dashboard.slug}-2026-11-01-2026-11-30",
            period_label="1 Nov 2026 – 30 Nov 2026",
            filters=[("City", "Berlin")],
            pdf=b"%PDF-1.4 " + audience.tenant.name.encode(),
            charts=[
                ChartRender(chart_id=1, title="Revenue", state="ready", png=PNG, csv=rows, csv_name="revenue.csv"),
                ChartRender(chart_id=2, title="Regional", state="unconfigured", png=None, csv="", csv_name=""),
            ],
        )


@pytest.fixture(autouse=True)
def fake_renderer(monkeypatch, settings):
    monkeypatch.setattr("charts.render.Renderer", FakeRenderer)
    FakeRenderer.instances = []
    FakeRenderer.fail_for = set()
    settings.PANES_SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PANES_REPORT_MAX_ATTEMPTS = 3
    return FakeRenderer


@pytest.fixture
def board(workspace, acme, globex):
    type(acme).objects.filter(pk__in=[acme.pk, globex.pk]).update(time_zone="Europe/Warsaw")
    return make_dashboard("sales-overview", acme, globex, charts=[make_chart(workspace, "Revenue", "revenue")])


def subscribe(user, tenant, board, *, next_run_at=NOW - timedelta(minutes=1), **fields) -> ReportSubscription:
    if not user.email:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    fields.setdefault("frequency", "daily")
    fields.setdefault("send_time", time(8, 59))
    return ReportSubscription.objects.create(user=user, tenant=tenant, dashboard=board, next_run_at=next_run_at, **fields)


def run(*args: str, now: datetime = NOW) -> str:
    out = StringIO()
    call_command("send_reports", "--now", now.isoformat(), *args, stdout=out)
    return out.getvalue()


def parsed(message) -> email.message.Message:
    return email.message_from_bytes(message.message().as_bytes())


def test_it_refuses_to_run_without_the_site_address(settings):
    settings.PANES_SITE_URL = ""
    with pytest.raises(CommandError, match="PANES_SITE_URL"):
        call_command("send_reports")


def test_it_sends_each_person_their_own_tenants_report(alice, bob, acme, globex, board):
    subscribe(alice, acme, board, filters={"period": "last_7_days", "city": "Berlin"})
    subscribe(bob, globex, board)

    out = run()

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
    (renderer,) = FakeRenderer.instances  # one renderer for the whole run
    audiences = {audience.user.username: (audience, query, base) for audience, _, query, base in renderer.calls}
    assert audiences["alice"][0].tenant == acme and audiences["bob"][0].tenant == globex
    assert audiences["alice"][1] == {"period": "last_7_days", "city": "Berlin"}
    assert audiences["alice"][2] == SITE
    assert renderer.tiles_at_most == [CONTENT_WIDTH, CONTENT_WIDTH]  # charts drawn for the email's column
    pdfs = {m.to[0]: m.attachments[0].content for m in mail.outbox}
    assert pdfs == {"alice@example.org": b"%PDF-1.4 Acme", "bob@example.org": b"%PDF-1.4 Globex"}
    assert "[1/2] sent" in out and "[2/2] sent" in out and "ETA" in out
    assert "Done: 2 sent, 0 skipped, 0 failed" in out
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_email_has_inline_images_the_pdf_and_csvs(alice, acme, board):
    subscription = subscribe(alice, acme, board, include_csv=True)
    run()
    (message,) = mail.outbox
    assert message.subject == "Sales Overview — 1 Nov 2026 – 30 Nov 2026"
    tree = parsed(message)
    assert tree.get_content_type() == "multipart/mixed"
    related = tree.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    html = next(p for p in related.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    images = [p for p in related.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_payload(decode=True) == PNG
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}" alt="Revenue"' in html
    assert "Not configured for your organisation" in html  # the chart with no picture
    attachments = {p.get_filename(): p for p in tree.walk() if p.get_filename() and p.get_content_type() != "image/png"}
    assert attachments["sales-overview-2026-11-01-2026-11-30.pdf"].get_payload(decode=True) == b"%PDF-1.4 Acme"
    assert "Acme City" in attachments["revenue.csv"].get_payload(decode=True).decode()
    token = reports.unsubscribe_token(subscription)
    assert " ".join(tree["List-Unsubscribe"].split()) == f"<{SITE}/reports/unsubscribe/{token}/>"  # maybe folded
    assert tree["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = next(p for p in tree.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert f"{SITE}/d/sales-overview/" in text and f"{SITE}/reports/" in text


def test_without_csv_asked_no_csv_is_attached(alice, acme, board):
    subscribe(alice, acme, board, include_csv=False)
    run()
    names = [p.get_filename() for p in parsed(mail.outbox[0]).walk() if p.get_filename()]
    assert not any(name.endswith(".csv") for name in names)


def test_it_draws_in_the_persons_language_and_time_zone(alice, acme, board):
    PersonSettings.objects.create(user=alice, language="de", time_zone="America/New_York")
    subscribe(alice, acme, board)
    run()
    audience = FakeRenderer.instances[0].calls[0][0]
    assert (audience.language, audience.time_zone) == ("de", "America/New_York")
    assert parsed(mail.outbox[0])["Content-Language"] == "de"


def test_a_german_readers_email_is_in_german(alice, acme, board):
    PersonSettings.objects.create(user=alice, language="de")
    subscribe(alice, acme, board, frequency="weekly", weekday=0, send_time=time(8, 0),
              next_run_at=datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    run(now=datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # a Monday, 08:30 in Warsaw
    (message,) = mail.outbox
    html = parsed(message).get_payload()[0].get_payload()[0].get_payload()[1].get_payload(decode=True).decode()
    assert 'lang="de"' in html
    assert "Hallo alice, hier ist Ihr Bericht." in html
    assert "Für Ihre Organisation nicht eingerichtet" in html  # the placeholder tile
    assert "Wöchentlich" in message.body or "Montag" in message.body


def test_a_pictures_width_is_its_width_on_the_page(alice, acme, board):
    from charts.report_email import CONTENT_WIDTH, shown_width

    def png(width: int) -> bytes:
        return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + width.to_bytes(4, "big") + (100).to_bytes(4, "big")

    assert shown_width(png(600), 2) == 300  # a KPI tile at twice the pixels
    assert shown_width(png(2400), 2) == CONTENT_WIDTH  # a full-width tile fits the column
    assert shown_width(b"not a png", 2) == CONTENT_WIDTH


def test_small_pictures_share_a_row_and_placeholders_have_their_own():
    from charts.report_email import _Chart, rows_of

    kpi, kpi2, wide = _Chart("A", "a@p", "", 300), _Chart("B", "b@p", "", 300), _Chart("C", "c@p", "", 632)
    gap = _Chart("D", "", "Not configured for your organisation")
    assert rows_of([kpi, kpi2, wide, gap, kpi, kpi2, kpi]) == [[kpi, kpi2], [wide], [gap], [kpi, kpi2], [kpi]]


def test_a_second_run_sends_nothing_twice(alice, acme, board):
    subscription = subscribe(alice, acme, board)
    run()
    assert "0 to send" in run()
    assert "0 to send" in run(now=NOW + timedelta(hours=2))
    assert len(mail.outbox) == 1
    subscription.refresh_from_db()
    assert subscription.next_run_at == datetime(2026, 12, 2, 7, 59, tzinfo=UTC)  # 08:59 Warsaw tomorrow


def test_missed_slots_send_only_the_latest(alice, acme, board):
    subscription = subscribe(alice, acme, board, next_run_at=NOW - timedelta(days=5))
    run()
    assert len(mail.outbox) == 1
    (delivery,) = ReportDelivery.objects.all()
    assert delivery.scheduled_for == datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
    subscription.refresh_from_db()
    assert subscription.next_run_at > NOW


def test_a_subscription_without_a_next_run_is_scheduled_from_its_creation(alice, acme, board):
    subscription = subscribe(alice, acme, board, next_run_at=None)
    created = subscription.created_at
    run(now=created + timedelta(seconds=1))  # its first slot is still ahead
    subscription.refresh_from_db()
    assert subscription.next_run_at is not None and subscription.next_run_at > created and not mail.outbox
    run(now=created + timedelta(days=3))  # its first slot has passed
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda alice, acme: Membership.objects.filter(user=alice).update(is_active=False), "Membership in Acme is no longer active"),
        (lambda alice, acme: Membership.objects.filter(user=alice).delete(), "Membership in Acme is no longer active"),
        (lambda alice, acme: type(acme).objects.filter(pk=acme.pk).update(is_active=False), "Acme is no longer active"),
        (lambda alice, acme: type(alice).objects.filter(pk=alice.pk).update(is_active=False), "The account alice is no longer active"),
        (lambda alice, acme: type(alice).objects.filter(pk=alice.pk).update(email=""), "No email address"),
    ],
)
def test_a_person_who_may_no_longer_see_it_gets_nothing_and_it_pauses(alice, acme, board, change, reason):
    subscription = subscribe(alice, acme, board)
    change(alice, acme)
    out = run()
    assert not mail.outbox
    assert not FakeRenderer.instances[0].calls  # nothing drawn for them
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.paused_reason) == (False, reason)
    assert ReportDelivery.objects.get().status == "skipped"
    assert "skipped" in out and "1 skipped" in out


def test_an_invalid_schedule_pauses_only_that_subscription(alice, bob, acme, globex, board):
    broken = subscribe(alice, acme, board)
    ReportSubscription.objects.filter(pk=broken.pk).update(frequency="hourly", day_of_month=40)  # around the forms
    subscribe(bob, globex, board)
    run()
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    broken.refresh_from_db()
    assert not broken.is_active and broken.paused_reason.startswith("Its schedule is not valid")


def test_a_dashboard_no_longer_shared_with_the_tenant_pauses(alice, acme, board):
    subscription = subscribe(alice, acme, board)
    board.tenants.remove(acme)
    run()
    subscription.refresh_from_db()
    assert subscription.paused_reason == "Sales Overview is no longer shared with Acme"
    assert not mail.outbox


def test_a_failure_is_recorded_with_a_retry_and_others_still_get_theirs(alice, bob, acme, globex, board, caplog):
    FakeRenderer.fail_for = {"alice"}
    subscribe(alice, acme, board)
    subscribe(bob, globex, board)

    out = run()

    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    failed = ReportDelivery.objects.get(subscription__user=alice)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.next_attempt_at == NOW + timedelta(minutes=5)
    assert failed.last_error == "RuntimeError: Chromium timed out after 60 s"
    assert failed.claimed_until is None
    assert "FAILED" in out and "1 failed" in out
    assert "Chromium timed out" in caplog.text

    assert "0 to send" in run(now=NOW + timedelta(minutes=4))  # not yet
    FakeRenderer.fail_for = set()
    run(now=NOW + timedelta(minutes=5))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 2)
    assert len(mail.outbox) == 2


def test_it_gives_up_after_the_last_attempt(alice, acme, board):
    FakeRenderer.fail_for = {"alice"}
    subscribe(alice, acme, board)
    moment = NOW
    for _ in range(3):
        run(now=moment)
        moment += timedelta(hours=7)
        ReportSubscription.objects.update(next_run_at=moment + timedelta(days=30))  # no new slot meanwhile
    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 3, None)


def test_an_smtp_failure_is_a_failure_of_that_delivery(alice, acme, board, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    subscribe(alice, acme, board)
    run()
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "failed" and "ConnectionRefusedError" in delivery.last_error


def test_a_delivery_another_run_holds_is_left_alone(alice, acme, board):
    subscription = subscribe(alice, acme, board)
    reports.plan(NOW)
    ReportDelivery.objects.update(claimed_until=NOW + timedelta(minutes=3))
    out = run()
    assert not mail.outbox and "0 to send" in out
    assert ReportDelivery.objects.get(subscription=subscription).status == "pending"


def test_claiming_is_won_once(alice, acme, board):
    subscribe(alice, acme, board)
    (delivery,) = reports.plan(NOW)
    assert reports.claim(delivery.pk, NOW) is not None
    assert reports.claim(delivery.pk, NOW) is None  # a second run at the same moment
    assert reports.claim(delivery.pk, NOW + reports.CLAIM_FOR + timedelta(seconds=1)) is not None  # the first died


def test_planning_twice_creates_one_delivery_per_slot(alice, acme, board):
    subscription = subscribe(alice, acme, board)
    assert len(reports.plan(NOW)) == 1
    ReportSubscription.objects.filter(pk=subscription.pk).update(next_run_at=NOW - timedelta(minutes=1))
    assert reports.plan(NOW) == []  # as a concurrent run that read the old next_run_at would
    assert ReportDelivery.objects.count() == 1


def test_dry_run_lists_and_changes_nothing(alice, acme, board):
    subscribe(alice, acme, board)
    out = run("--dry-run")
    assert "Sales Overview to alice@example.org (Acme)" in out and "1 subscription(s) due" in out
    assert not ReportDelivery.objects.exists() and not mail.outbox
    assert not FakeRenderer.instances


def test_no_chromium_is_started_when_nothing_is_due(alice, acme, board):
    subscribe(alice, acme, board, next_run_at=NOW + timedelta(hours=1))
    assert "Done: 0 sent" in run()
    assert not FakeRenderer.instances


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 5), (2, 10), (3, 20), (6, 160), (7, 320), (8, 360), (20, 360)])
def test_retries_back_off_to_six_hours(attempts, minutes):
    assert reports.retry_delay(attempts) == timedelta(minutes=minutes)
