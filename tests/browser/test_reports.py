"""Report emails for real: a live Panes with the demo, a real SMTP server (aiosmtpd) and
`manage.py send_reports` as its own process, drawing every report with headless Chromium over HTTP.

alice subscribes through the browser; bob, carol (in German, in Globex), dave (Initech, whose
tiles are not configured), erin (membership switched off before the run) and frank (whose
mailbox the SMTP server refuses) through the shell. One run sends what is due; its emails are read
back and checked against the analytics database: alice's images, PDF and CSVs hold Acme's figures
and none of Globex's, bob's the reverse. Each persona's email and PDF are saved under
test-output/reports/ and drawn to PNG.
"""
from __future__ import annotations

import base64
import csv
import email
import email.policy
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from django.utils.text import slugify
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from charts.render import SCALE, png_texts
from charts.report_email import CONTENT_WIDTH
from demo import content
from tests.support.liveserver import ROOT, free_port

from .conftest import OUTPUT, PanesServer, login, start_server, stop_server

REPORTS = OUTPUT / "reports"
PERSONAS = ("alice", "bob", "carol", "dave")
REFUSED = "frank@example.org"
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}  # the demo's whole year
ORDERS_SQL = "SELECT COUNT(*) FROM orders WHERE company_id = ?"
PRODUCT_ORDERS_SQL = "SELECT product, COUNT(*) FROM orders WHERE company_id = ? GROUP BY product"
SEND_SECONDS = 300


class Mailbox:
    """What the SMTP server received; it refuses REFUSED's mailbox as a real one might."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        if address == REFUSED:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for rcpt, raw in self.messages if address in rcpt]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, data_size_limit=64 * 2**20)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[PanesServer]:
    server = start_server(tmp_path_factory.mktemp("reports"))
    yield server
    stop_server(server)


def send_reports_env(server: PanesServer, smtp_port: int) -> dict:
    return dict(
        server.env,
        PANES_SITE_URL=server.page_origin,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="10",
        DEFAULT_FROM_EMAIL="Panes reports <reports@example.org>",
    )


def send_reports(server: PanesServer, smtp_port: int, *args: str) -> str:
    """manage.py send_reports in a process of its own, with the server's settings: it reaches the
    server over HTTP (never its analytics database) and the SMTP server on ``smtp_port``."""
    result = subprocess.run(
        [sys.executable, "manage.py", "send_reports", *args],
        cwd=ROOT, env=send_reports_env(server, smtp_port), capture_output=True, text=True, timeout=SEND_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SETUP = """
from datetime import time
from django.contrib.auth import get_user_model
from charts.models import Dashboard, Membership, PersonSettings, ReportSubscription, Tenant
User = get_user_model()
board = Dashboard.objects.get(slug="sales-overview")
acme, globex, initech = (Tenant.objects.get(slug=s) for s in ("acme", "globex", "initech"))
for name in ("alice", "bob", "carol", "dave"):
    User.objects.filter(username=name).update(email=name + "@example.org")
for name in ("erin", "frank"):
    person = User.objects.create_user(name, name + "@example.org", "panes-demo")
    Membership.objects.create(user=person, tenant=acme)
PersonSettings.objects.update_or_create(user=User.objects.get(username="carol"), defaults={"language": "de"})
year = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
def sub(name, tenant, **extra):
    ReportSubscription.objects.create(
        user=User.objects.get(username=name), tenant=tenant, dashboard=board, frequency="daily",
        send_time=time(7, 0), filters=year, **extra)
sub("bob", globex, include_csv=True)
sub("carol", globex, include_csv=True)
sub("dave", initech)
sub("erin", acme)
sub("frank", acme)
Membership.objects.filter(user__username="erin").update(is_active=False)
# Everyone's first slot has passed (the browser's subscription included).
ReportSubscription.objects.update(next_run_at="2026-01-01T00:00:00Z")
"""


def subscribe_alice(context, server: PanesServer) -> None:
    """alice subscribes from the dashboard's Subscribe link, with the page's date range."""
    page = login(context, server, "alice")
    page.goto(f"{server.page_origin}/d/sales-overview/?date_from={YEAR['date_from']}&date_to={YEAR['date_to']}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(REPORTS / "alice-dashboard-header.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 260})
    page.click("a[data-subscribe]")
    page.wait_for_url("**/subscribe/**")
    assert "date_from=2026-01-01" in page.url
    page.select_option("select[name=frequency]", "weekly")
    assert page.is_visible("select[name=weekday]") and page.is_hidden("select[name=day_of_month]")
    page.check("input[name=dates][value=preset]")
    assert page.is_visible("select[name=period]")
    page.screenshot(path=str(REPORTS / "alice-subscribe-weekly.png"), full_page=True)
    page.check("input[name=dates][value=current]")
    page.select_option("select[name=frequency]", "daily")
    assert page.is_hidden("select[name=weekday]")  # only what a daily report uses
    page.fill("input[name=send_time]", "07:30")
    page.check("input[name=include_csv]")
    page.screenshot(path=str(REPORTS / "alice-subscribe.png"), full_page=True)
    page.click("[data-report-form] button[type=submit]")
    page.wait_for_url("**/reports/")
    rows = page.locator("[data-subscription]")
    assert rows.count() == 1 and "Daily at 07:30" in rows.inner_text()
    page.screenshot(path=str(REPORTS / "alice-reports.png"), full_page=True)
    page.close()


def parts(message: Message) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


def html_of(message: Message) -> str:
    return parts(message)["text/html"][0].get_payload(decode=True).decode()


def attachments(message: Message, extension: str) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename() and part.get_filename().endswith(extension) and part.get_content_disposition() == "attachment"
    }


def images(message: Message) -> dict[str, bytes]:
    """Inline images by Content-ID."""
    return {part["Content-ID"].strip("<>"): part.get_payload(decode=True) for part in parts(message).get("image/png", [])}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def figures(rows: list[dict[str, str]], key: str, value: str) -> dict[str, int]:
    return {row[key]: int(float(row[value])) for row in rows}


def save(name: str, message: Message, browser) -> None:
    """The email as .eml and its PDF; the PDF's first page and the HTML (images inline) as PNGs."""
    import pypdfium2

    (REPORTS / f"{name}.eml").write_bytes(message.as_bytes())
    (pdf_name, pdf), = attachments(message, ".pdf").items()
    (REPORTS / f"{name}.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=1.5).to_pil().save(REPORTS / f"{name}-pdf.png")
    document.close()
    html = html_of(message)
    for content_id, png in images(message).items():
        html = html.replace(f"cid:{content_id}", "data:image/png;base64," + base64.b64encode(png).decode())
    page = browser.new_page(viewport={"width": 760, "height": 900})
    page.set_content(html)
    page.screenshot(path=str(REPORTS / f"{name}-email.png"), full_page=True)
    page.close()


def delivery_of(server: PanesServer, username: str) -> tuple:
    return server.sql(
        "SELECT d.status, d.attempts, d.next_attempt_at, d.last_error, s.is_active, s.paused_reason "
        "FROM charts_reportdelivery d JOIN charts_reportsubscription s ON s.id = d.subscription_id "
        "JOIN auth_user u ON u.id = s.user_id WHERE u.username = ?",
        (username,),
        database="default",
    )


def test_each_person_gets_their_own_tenants_report(server, mailbox, context, browser) -> None:
    box, smtp_port = mailbox
    REPORTS.mkdir(parents=True, exist_ok=True)
    subscribe_alice(context, server)
    server.manage("shell", "-c", SETUP)

    out = send_reports(server, smtp_port)
    print(out)

    # One email per person who may still see the dashboard, to their own address.
    for name in PERSONAS:
        assert len(box.to(f"{name}@example.org")) == 1, (name, out)
    assert not box.to("erin@example.org") and not box.to(REFUSED)
    assert len(box.messages) == 4
    assert "Done: 4 sent, 1 skipped, 1 failed (will retry), 0 gave up." in out
    assert re.search(r"\[\d/6\] sent Sales overview to alice@example.org \(Acme\) \(ETA \d+:\d\d:\d\d\)", out)

    mails = {name: box.to(f"{name}@example.org")[0] for name in PERSONAS}
    for name, message in mails.items():
        save(name, message, browser)
        # Every image the HTML shows is in the email, and every image is shown.
        shown = set(re.findall(r'src="cid:([^"]+)"', html_of(message)))
        assert shown == set(images(message)), name
        assert attachments(message, ".pdf"), name
        assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # "<dashboard title> — <period>", both in the reader's language (carol reads German).
        board = content.TITLES["sales-overview"]["de"] if name == "carol" else "Sales overview"
        assert re.fullmatch(re.escape(board) + r" — \S.* 2026 – \S.* 2026", " ".join(str(message["Subject"]).split()))

    acme_orders, globex_orders = (server.sql(ORDERS_SQL, (t,))[0][0] for t in ("acme", "globex"))
    assert acme_orders != globex_orders
    by_tenant = {t: {p: n for p, n in server.sql(PRODUCT_ORDERS_SQL, (t,))} for t in ("acme", "globex")}
    assert by_tenant["acme"] != by_tenant["globex"]

    # carol belongs to both: her report (subscribed in Globex) holds Globex's rows only.
    for name, own, other in (("alice", "acme", "globex"), ("bob", "globex", "acme"), ("carol", "globex", "acme")):
        message = mails[name]

        def written(number: int) -> str:  # as the reader's language writes it: 9,111 / 9.111
            return f"{number:,}".replace(",", ".") if name == "carol" else f"{number:,}"

        mine, theirs = (acme_orders, globex_orders) if own == "acme" else (globex_orders, acme_orders)
        # The CSVs attached: the Orders figure and the orders per product are the tenant's own.
        csvs = {n: data.decode("utf-8-sig") for n, data in attachments(message, ".csv").items()}
        assert csvs, name
        # Named after the charts' titles in the reader's language.
        product_name, kpi_name = (
            slugify(content.TITLES[key]["de"] if name == "carol" else english) for key, english in (("product_mix", "Orders by product"), ("total_orders", "Orders"))
        )
        product_csv = next(text for n, text in csvs.items() if n.startswith(product_name + "-"))
        assert figures(csv_rows(product_csv), "product", "orders") == by_tenant[own]
        kpi_csv = next(text for n, text in csvs.items() if n.startswith(kpi_name + "-2"))
        assert str(mine) in kpi_csv and str(theirs) not in kpi_csv
        # The images say what they show (their Description is the CSV of the drawn rows): same.
        descriptions = [png_texts(png).get("Description", "") for png in images(message).values()]
        assert any(str(mine) in text for text in descriptions)
        assert not any(str(theirs) in text for text in descriptions)
        # Every picture is drawn for the email's column, none shrunk into it: the full-width
        # charts too (the desktop layout's would be 2 × 1232 pixels wide).
        widths = [int.from_bytes(png[16:20], "big") // SCALE for png in images(message).values()]
        assert max(widths) <= CONTENT_WIDTH and sum(width > CONTENT_WIDTH - 40 for width in widths) >= 2, widths
        product_images = [t for t in descriptions if t.startswith("product") and "orders" in t.splitlines()[0]]
        assert product_images and all(figures(csv_rows(t), "product", "orders") == by_tenant[own] for t in product_images)
        # The PDF shows the tenant's name and its order count, never the other's.
        text = pdf_text(attachments(message, ".pdf").popitem()[1])
        assert written(mine) in text and written(theirs) not in text, name
        assert own in text.lower() and other not in text.lower()  # the header's tenant (in capitals)

    # carol reads German; dave's organisation has no rule: its tiles say so, no picture of data.
    assert mails["carol"]["Content-Language"] == "de"
    assert "Hallo Carol, hier ist Ihr Bericht." in html_of(mails["carol"])
    assert "Dezember 2026" in str(mails["carol"]["Subject"])  # the period as German writes it
    assert "Not configured for your organisation" in html_of(mails["dave"])

    # erin's membership went: nothing drawn, nothing sent, her subscription paused with a note.
    (status, _, _, _, active, reason), = delivery_of(server, "erin")
    assert (status, active, reason) == ("skipped", 0, "Membership in Acme is no longer active")
    # frank's mailbox was refused: his delivery waits for a retry, with the error.
    (status, attempts, retry_at, error, active, _), = delivery_of(server, "frank")
    assert (status, attempts, active) == ("failed", 1, 1)
    assert retry_at and "SMTPRecipientsRefused" in error and "550" in error

    # A second run right away sends nothing again.
    again = send_reports(server, smtp_port)
    assert "0 to send" in again and len(box.messages) == 4

    # frank's retry when it is due, with the SMTP server unreachable (a wrong port): failed
    # again, later retry, and still nobody else is sent anything.
    later = (datetime.now(UTC) + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%S")
    wrong = send_reports(server, free_port(), "--now", later)
    assert "1 failed" in wrong
    (status, attempts, retry_at2, error, _, _), = delivery_of(server, "frank")
    assert (status, attempts) == ("failed", 2) and "ConnectionRefusedError" in error
    assert retry_at2 > retry_at
    assert len(box.messages) == 4

    # Two runs at once (two timers on two machines), a day later: everyone's next report goes out
    # once, however the runs interleave.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    env = send_reports_env(server, smtp_port)
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_reports", "--now", tomorrow], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=SEND_SECONDS)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(box.messages) == 8, outputs
    for name in PERSONAS:
        assert len(box.to(f"{name}@example.org")) == 2, (name, outputs)
