"""One report email: the dashboard as its recipient sees it, in their language and time zone.

multipart/mixed
  multipart/related
    multipart/alternative: text/plain, text/html (its <img src="cid:…"> name the images below)
    image/png per chart that was drawn (Content-ID)
  application/pdf: the whole dashboard
  text/csv per chart with rows, when the subscription asks for them

Headers carry the RFC 8058 one-click unsubscribe (``List-Unsubscribe`` and ``List-Unsubscribe-Post``).
"""
from __future__ import annotations

from dataclasses import dataclass
from email.mime.image import MIMEImage
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import schedules
from .models import ReportSubscription

if TYPE_CHECKING:
    from .render import Audience, ChartRender, DashboardRender


class ReportMessage(EmailMultiAlternatives):
    """An email whose HTML shows images carried inside it (multipart/related)."""

    def __init__(self, *args, inline_images: list[tuple[str, bytes]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images or [])

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)  # type: ignore[misc]  # Django's, not in the stubs
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(msg)
        for content_id, png in self.inline_images:
            image = MIMEImage(png, "png")
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=f"{content_id.split('@')[0]}.png")
            related.attach(image)
        return related


def placeholder_text(state: str) -> str:
    """What a chart that has no picture says instead, as its tile on the page does."""
    messages = {
        "unconfigured": _("Not configured for your organisation"),
        "empty": _("No data for these filters"),
        "unavailable": _("Chart host unavailable"),
    }
    return messages.get(state, _("This chart could not be drawn"))


# The email's content column, in CSS pixels.
CONTENT_WIDTH = 632


@dataclass(frozen=True)
class _Chart:
    title: str
    content_id: str  # "" for a placeholder
    message: str
    width: int = CONTENT_WIDTH  # how wide the picture shows: as on the page, at most the column


def shown_width(png: bytes | None, scale: int) -> int:
    """The CSS width a tile's picture had on the page (its PNG is ``scale`` times that), at most
    the email's column: a KPI tile stays small instead of filling the email."""
    if not png or len(png) < 24 or png[12:16] != b"IHDR":
        return CONTENT_WIDTH
    return max(1, min(CONTENT_WIDTH, int.from_bytes(png[16:20], "big") // max(scale, 1)))


GAP = 12  # pixels between pictures side by side


def rows_of(charts: list[_Chart]) -> list[list[_Chart]]:
    """The charts in rows as the email shows them: pictures side by side while they fit the
    column (two KPI tiles share a row, as on the page), a placeholder on a row of its own."""
    rows: list[list[_Chart]] = []
    used = CONTENT_WIDTH + 1  # no open row yet
    for chart in charts:
        if chart.content_id and rows and rows[-1][-1].content_id and used + GAP + chart.width <= CONTENT_WIDTH:
            rows[-1].append(chart)
            used += GAP + chart.width
        else:
            rows.append([chart])
            used = chart.width if chart.content_id else CONTENT_WIDTH + 1
    return rows


def _content_id(position: int, chart: ChartRender) -> str:
    return f"chart-{position}-{chart.chart_id}@panes"


def site_link(site_url: str, path: str, query: dict[str, str] | None = None) -> str:
    return f"{site_url.rstrip('/')}{path}" + (f"?{urlencode(query)}" if query else "")


def subject_of(drawn: DashboardRender) -> str:
    return f"{drawn.title} — {drawn.period_label}" if drawn.period_label else drawn.title


def compose(
    subscription: ReportSubscription, drawn: DashboardRender, *, audience: Audience, site_url: str
) -> ReportMessage:
    """The email of ``drawn`` for the subscription's person, written in ``audience``'s language
    with dates in their time zone."""
    from . import reports  # reports imports this module lazily; the other way round at call time
    from .render import SCALE

    with translation.override(audience.language), timezone.override(audience.time_zone):
        charts = [
            _Chart(
                title=chart.title,
                content_id=_content_id(position, chart) if chart.png else "",
                message="" if chart.png else placeholder_text(chart.state),
                width=shown_width(chart.png, SCALE),
            )
            for position, chart in enumerate(drawn.charts, 1)
        ]
        unsubscribe_url = site_link(
            site_url, reverse("charts:report_unsubscribe", args=[reports.unsubscribe_token(subscription)])
        )
        context = {
            "title": drawn.title,
            "period_label": drawn.period_label,
            "filters": drawn.filters,
            "tenant": audience.tenant,
            "person": audience.user.get_full_name() or audience.user.get_username(),
            "charts": charts,
            "rows": rows_of(charts),
            "schedule": schedules.describe(reports.schedule_of(subscription, audience.time_zone)),
            "time_zone": audience.time_zone,
            "dashboard_url": site_link(
                site_url, reverse("charts:dashboard", args=[subscription.dashboard.slug]), reports.query_of(subscription)
            ),
            "manage_url": site_link(site_url, reverse("charts:reports")),
            "unsubscribe_url": unsubscribe_url,
            "pdf_name": f"{drawn.filename_stem}.pdf" if drawn.pdf else "",
            "csv_names": [c.csv_name for c in drawn.charts if c.csv] if subscription.include_csv else [],
            "language": audience.language,
        }
        subject = subject_of(drawn)
        text = render_to_string("charts/email/report.txt", context)
        html = render_to_string("charts/email/report.html", context)
    message = ReportMessage(
        subject=subject,
        body=text,
        to=[audience.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": audience.language,
        },
        inline_images=[(c.content_id, chart.png) for c, chart in zip(charts, drawn.charts) if chart.png],
    )
    message.attach_alternative(html, "text/html")
    if drawn.pdf:
        message.attach(f"{drawn.filename_stem}.pdf", drawn.pdf, "application/pdf")
    if subscription.include_csv:
        for chart in drawn.charts:
            if chart.csv:
                message.attach(chart.csv_name or f"chart-{chart.chart_id}.csv", chart.csv, "text/csv")
    return message
