"""charts.render: the PNG text chunk, download names, the printed header's facts, the render
session, and (with Chromium against pytest-django's live server) a whole render after which the
caller's thread still uses the ORM."""
from __future__ import annotations

import io
import struct
import zlib
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.models import Session
from django.utils import translation
from PIL import Image

from charts import filters, locale, render, tenancy
from charts.models import Tenant
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.live_site import chromium_available
from tests.conftest import LOCAL_KEY_ENV


def tiny_png(color: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 2), color).save(out, format="PNG")
    return out.getvalue()


# --- PNG text chunks ---------------------------------------------------------------------------


def test_a_latin1_csv_goes_into_a_text_chunk_and_the_png_still_decodes() -> None:
    csv = "city,revenue\r\nMünchen,12.5\r\n"
    png = render.png_with_text(tiny_png(), "Description", csv)
    assert b"tEXt" in png
    assert render.png_texts(png) == {"Description": csv}
    image = Image.open(io.BytesIO(png))
    image.load()  # every chunk's CRC is checked on the way
    assert image.size == (3, 2)
    assert image.text["Description"] == csv


def test_a_csv_beyond_latin1_goes_into_an_international_text_chunk() -> None:
    csv = "city,revenue\r\nŁódź,7\r\n"
    png = render.png_with_text(tiny_png(), "Description", csv)
    assert b"iTXt" in png and b"tEXt" not in png
    assert render.png_texts(png)["Description"] == csv
    assert Image.open(io.BytesIO(png)).text["Description"] == csv


def test_the_text_chunk_follows_the_header_and_the_pixels_are_untouched() -> None:
    original = tiny_png((200, 100, 50))
    png = render.png_with_text(original, "Description", "a,b\r\n1,2\r\n")
    kinds = [kind for kind, _ in render._chunks(png)]
    assert kinds[:2] == [b"IHDR", b"tEXt"] and kinds[-1] == b"IEND"
    assert Image.open(io.BytesIO(png)).getpixel((1, 1)) == (200, 100, 50)


def test_a_broken_png_is_refused() -> None:
    png = bytearray(tiny_png())
    png[-6] ^= 0xFF  # inside IEND's CRC
    with pytest.raises(ValueError):
        render.png_texts(bytes(png))
    with pytest.raises(ValueError):
        render.png_with_text(b"GIF89a", "Description", "x")


def test_compressed_international_text_is_read_too() -> None:
    data = b"Description\0" + b"\1\0" + b"\0" + b"\0" + zlib.compress("Łódź".encode())
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    png = tiny_png()
    png = png[:33] + chunk + png[33:]  # after the signature (8) and IHDR (25)
    assert render.png_texts(png) == {"Description": "Łódź"}


# --- Names and header facts --------------------------------------------------------------------


def test_download_names_are_the_slug_and_the_date_range() -> None:
    assert render.file_stem("sales-overview", "2026-11-01", "2026-11-30") == "sales-overview-2026-11-01-2026-11-30"
    assert render.file_stem("Revenue by city", "2026-11-01", "2026-11-30") == "revenue-by-city-2026-11-01-2026-11-30"
    assert render.file_stem("sales-overview") == "sales-overview"
    assert render.file_stem("Umsatz / Stadt", "2026-01-01") == "umsatz-stadt-2026-01-01"
    assert render.file_stem("???") == "export"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Nov. 1, 2026 – Nov. 30, 2026"),
        ("de", "1. November 2026 – 30. November 2026"),
        ("pl", "1 listopada 2026 – 30 listopada 2026"),
    ],
)
def test_the_period_is_written_in_the_audiences_language(language: str, expected: str) -> None:
    with translation.override(language):
        assert render.period_label("2026-11-01", "2026-11-30") == expected


def test_a_period_with_one_end_or_none() -> None:
    with translation.override("en"):
        assert render.period_label("", "") == ""
        assert render.period_label("2026-11-01", "") == "from Nov. 1, 2026"
        assert render.period_label("", "2026-11-30") == "until Nov. 30, 2026"


def test_the_header_lists_the_filters_but_not_the_dates_the_period_says() -> None:
    offered = ("date_from", "date_to", "city", "product")
    parsed = filters.parse({"date_from": "2026-11-01", "date_to": "2026-11-30", "city": "Berlin", "compare": "previous_period"}, offered)
    facts = render.print_facts("Sales overview", "sales-overview", parsed)
    assert facts.filename_stem == "sales-overview-2026-11-01-2026-11-30"
    assert facts.filters == [("City", "Berlin"), ("Comparison", "Previous period")]
    assert render.PrintFacts.from_json(facts.as_json()) == facts


def test_a_rolling_period_is_named_in_the_header() -> None:
    parsed = filters.parse({"period": "last_7_days"}, ("date_from", "date_to"))
    [(label, value)] = render.header_filters(parsed)
    assert (label, value) == ("Period", "Last 7 days")


# --- The render session ------------------------------------------------------------------------


@pytest.fixture
def audience(alice, acme) -> render.Audience:
    return render.Audience(user=alice, tenant=acme, language="de", time_zone="Europe/Berlin")


def stored(session) -> dict:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key).load()


def test_a_render_session_signs_the_audience_in_with_their_tenant_language_and_zone(audience, alice, acme) -> None:
    session = render.render_session(audience)
    data = stored(session)
    assert data[auth.SESSION_KEY] == str(alice.pk)
    assert data[auth.HASH_SESSION_KEY] == alice.get_session_auth_hash()
    assert data[tenancy.SESSION_KEY] == acme.pk
    assert data[locale.SESSION_KEY] == {"language": "de", "time_zone": "Europe/Berlin"}
    assert session.get_expiry_age() == settings.PANES_RENDER_SECONDS


def test_a_viewers_export_copies_their_session_and_so_their_cached_token(audience, alice) -> None:
    viewer = import_module(settings.SESSION_ENGINE).SessionStore()
    viewer[auth.SESSION_KEY] = str(alice.pk)
    viewer[auth.BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    viewer[auth.HASH_SESSION_KEY] = alice.get_session_auth_hash()
    viewer["panes.tokens"] = {"cached": "token"}
    viewer.create()
    session = render.render_session(audience, viewer)
    assert session.session_key != viewer.session_key
    assert stored(session)["panes.tokens"] == {"cached": "token"}


def test_someone_elses_session_is_never_copied(audience, bob) -> None:
    other = import_module(settings.SESSION_ENGINE).SessionStore()
    other[auth.SESSION_KEY] = str(bob.pk)
    other["panes.tokens"] = {"bobs": "token"}
    other.create()
    data = stored(render.render_session(audience, other))
    assert "panes.tokens" not in data
    assert data[auth.SESSION_KEY] == str(audience.user.pk)


def test_a_render_without_the_sites_address_is_refused_in_words(audience, acme) -> None:
    board = make_dashboard("sales", acme)
    renderer = render.Renderer()
    renderer._executor = object()  # type: ignore[assignment]  # never reached: the address is checked first
    with pytest.raises(render.RenderError, match="PANES_SITE_URL"):
        renderer.dashboard(audience, board, {}, base_url="")


def test_the_renderer_is_used_as_a_context_manager(audience, acme) -> None:
    board = make_dashboard("sales", acme)
    with pytest.raises(RuntimeError, match="context manager"):
        render.Renderer().dashboard(audience, board, {}, base_url="http://localhost:1")


# --- A whole render ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")
def test_a_render_leaves_the_callers_thread_free_for_the_orm_and_deletes_its_session(
    live_server, transactional_db, monkeypatch, workspace
) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    from tests.conftest import _user

    alice = _user("alice", acme)
    chart = make_chart(workspace, "Unconfigured here", "sales", tenant_params="company_id")
    board = make_dashboard("sales-overview", acme, charts=[chart])
    board.title_translations = {"de": "Verkaufsübersicht"}
    board.save()
    audience = render.Audience(user=alice, tenant=acme, language="de", time_zone="Europe/Berlin")
    with render.Renderer() as renderer:
        drawn = renderer.dashboard(audience, board, {"date_from": "2026-11-01"}, base_url=live_server.url)
        assert Tenant.objects.count() == 1  # the ORM, between renders, in this thread
        again = renderer.dashboard(audience, board, {}, base_url=live_server.url, pdf=False)
    assert Session.objects.count() == 0
    assert drawn.pdf is not None and drawn.pdf.startswith(b"%PDF")
    assert again.pdf is None
    assert drawn.title == "Verkaufsübersicht"
    assert drawn.filename_stem == "sales-overview"  # the chart takes no dates: none offered
    [tile] = drawn.charts
    assert (tile.chart_id, tile.state, tile.png, tile.csv) == (chart.pk, "unconfigured", None, "")


def test_a_drawn_tile_carries_its_csv_in_its_image_and_is_named_after_its_chart(workspace) -> None:
    chart = make_chart(workspace, "Revenue by city", "sales_by_city")
    chart.title_translations = {"de": "Umsatz nach Stadt"}
    facts = render.PrintFacts("Verkauf", "sales-2026-11-01-2026-11-30", "", [], "2026-11-01", "2026-11-30")
    export = {"state": "ready", "csv": "city,revenue\r\nBerlin,1\r\n", "csvName": "umsatz.csv", "rows": [{}]}
    tile = {"chart": chart.pk, "state": "ready", "png": tiny_png(), "export": export}
    drawn = render._chart_render(tile, {chart.pk: chart}, "de", facts)
    assert (drawn.title, drawn.state, drawn.csv_name) == ("Umsatz nach Stadt", "ready", "umsatz.csv")
    assert drawn.png_name == "umsatz-nach-stadt-2026-11-01-2026-11-30.png"
    assert render.png_texts(drawn.png) == {"Description": "city,revenue\r\nBerlin,1\r\n"}


def test_a_placeholder_tile_has_no_image_and_no_csv(workspace) -> None:
    chart = make_chart(workspace, "Regional", "regional")
    facts = render.PrintFacts("Sales", "sales", "", [])
    drawn = render._chart_render({"chart": chart.pk, "state": "unconfigured", "png": None, "export": None}, {chart.pk: chart}, "en", facts)
    assert (drawn.png, drawn.csv, drawn.csv_name, drawn.state) == (None, "", "", "unconfigured")
