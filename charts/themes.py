"""How a page looks: light, dark or auto theme, embed switches, and a tenant's brand palette.

Pages take these from their URL (embeds, chart frames) or from the ``panes_theme`` cookie the
dashboard's theme selector writes; light is the default everywhere, ``auto`` follows the
viewer's system setting (``prefers-color-scheme``), live. Every value is checked against a short list, so nothing a
visitor types ends up in a class name or a stylesheet.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

LIGHT, DARK, AUTO = "light", "dark", "auto"
THEMES = (LIGHT, DARK, AUTO)
THEME_LABELS = {LIGHT: _("Light"), DARK: _("Dark"), AUTO: _("Auto")}
THEME_COOKIE = "panes_theme"

_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})

MAX_PALETTE = 16


def theme_from(value: str | None, default: str = LIGHT) -> str:
    value = (value or "").strip().lower()
    return value if value in THEMES else default


def switch_from(value: str | None, default: bool = True) -> bool:
    """'0', 'false', 'no', 'off' turn a switch off; '1', 'true', 'yes', 'on' on; else the default."""
    value = (value or "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    return default


def palette(colors: Sequence[str]) -> list[str]:
    """A brand palette as charts take it: its first MAX_PALETTE colours. The colours are a
    ``Tenant.brand_colors`` list, whose field keeps only plain CSS colours."""
    return list(colors[:MAX_PALETTE])


@dataclass(frozen=True)
class Presentation:
    """How one page is drawn. ``bordered`` and ``titled`` are embed switches; dashboards keep both."""

    theme: str = LIGHT
    bordered: bool = True
    titled: bool = True
    controls: bool = False  # the embed shows the filter bar and theme selector
    autosize: bool = False  # the embed is sized by embed.js: no scrollbars of its own

    def frame_query(self) -> dict[str, str]:
        """What a chart frame inside this page needs in its URL (only what differs from the
        frame's defaults, so a plain dashboard's frames keep a bare URL)."""
        query = {}
        if self.theme != LIGHT:
            query["theme"] = self.theme
        if not self.titled:
            query["titled"] = "0"
        return query


def presentation_from(query: Mapping, *, default_theme: str = LIGHT, embed: bool = False) -> Presentation:
    if not embed:
        return Presentation(theme=theme_from(query.get("theme"), default_theme))
    return Presentation(
        theme=theme_from(query.get("theme"), default_theme),
        bordered=switch_from(query.get("bordered")),
        titled=switch_from(query.get("titled")),
        controls=switch_from(query.get("controls"), default=False),
        autosize=switch_from(query.get("autosize"), default=False),
    )
