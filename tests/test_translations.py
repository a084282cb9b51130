"""Every text a person reads is translatable, and every catalogue is complete and compiled.

- A scanner reads each template with Django's own Lexer: text outside {% translate %} /
  {% blocktranslate %}, comments, <script> and <style> that holds a letter (or a title, aria-label,
  placeholder or alt attribute that does) is an unmarked string, named by file and line.
- Each django.po / djangojs.po: every msgid translated (all plural forms), none fuzzy, the same
  placeholders as the msgid; each .mo is what its .po compiles to.
- makemessages, run into a copy of locale/, finds no msgid the committed .po lacks.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != "en"]
DOMAINS = ("django", "djangojs")

# Brand names and symbols that read the same in every language.
ALLOWED = {"Panes", "CSV", "PNG", "PDF", "×", "›", "Tinybird", "ECharts"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm"}  # data-confirm: a confirm() question
BUTTON_INPUTS = {"submit", "button", "reset"}  # whose value is their label
LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Unmarked:
    name: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.name}:{self.line}: {self.text!r}"


_ALLOWED_WORDS = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in sorted(ALLOWED, key=len, reverse=True)))


def _has_words(text: str) -> bool:
    """Whether ``text`` holds a letter once the brand names and symbols are taken out."""
    return bool(LETTER.search(_ALLOWED_WORDS.sub(" ", text)))


class _TextFinder(HTMLParser):
    """Collects the readable text of an HTML fragment whose Django tags and variables were
    replaced by placeholders: data outside <script>/<style>, and the human attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []  # (line within the fragment, text)
        self._raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw += 1
        readable = set(ATTRIBUTES)
        if tag == "input" and dict(attrs).get("type") in BUTTON_INPUTS:
            readable.add("value")
        for name, value in attrs:
            if name in readable and value and _has_words(_PLACEHOLDER.sub(" ", value)):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._raw:
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw and _has_words(_PLACEHOLDER.sub(" ", data)):
            self.found.append((self.getpos()[0], data.strip()))


# What a Django tag or variable turns into before the HTML parser reads the text: a marker
# without letters, so "{{ chart.title }}" alone is no finding but "Hello {{ name }}" is.
_MARK = "\ue000"
_PLACEHOLDER = re.compile(_MARK)

_OPENS = {"translate": None, "trans": None}  # one-token tags: the text is inside the tag
_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}


def scan(source: str, name: str = "<template>") -> list[Unmarked]:
    """The unmarked texts of one template's source."""
    pieces: list[str] = []
    skip_until: str | None = None
    for token in Lexer(source).tokenize():
        if skip_until is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == skip_until:
                skip_until = None
            # Keep the line count: a skipped block's newlines stay, its text goes.
            pieces.append(_MARK + "\n" * token.contents.count("\n") if token.token_type != TokenType.TEXT
                          else _MARK + "\n" * token.contents.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            pieces.append(token.contents)
        elif token.token_type == TokenType.BLOCK:
            word = token.contents.split()[0] if token.contents.split() else ""
            if word in _BLOCKS:
                skip_until = _BLOCKS[word]
            elif word == "block" and token.contents.split()[1:2] and token.contents.split()[1].endswith("_class"):
                skip_until = "endblock"  # {% block body_class %}: CSS class names, not words
            pieces.append(_MARK + "\n" * token.contents.count("\n"))
        else:  # variables and {# #} comments
            pieces.append(_MARK + "\n" * token.contents.count("\n"))
    finder = _TextFinder()
    finder.feed("".join(pieces))
    finder.close()
    return [Unmarked(name, line, text) for line, text in finder.found]


def template_files() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    dirs += [p for p in ROOT.glob("*/templates") if p.is_dir() and p.parent.name not in (".venv", "node_modules")]
    files = {f for d in dirs for f in d.rglob("*") if f.suffix in (".html", ".txt") and f.is_file()}
    return sorted(files)


def test_the_scanner_finds_unmarked_text_and_attributes() -> None:
    found = scan(
        '<p>Hello {{ name }}</p>\n<button title="Close it" aria-label="{{ label }}">{{ x }}</button>\n'
        '<input placeholder="Search"><input type="submit" value="Go"><input name="q" value="kept">',
        "snippet.html",
    )
    assert [str(f) for f in found] == [
        "snippet.html:1: 'Hello \\ue000'",
        "snippet.html:2: 'title=\"Close it\"'",
        "snippet.html:3: 'placeholder=\"Search\"'",
        "snippet.html:3: 'value=\"Go\"'",
    ]


def test_the_scanner_accepts_marked_text_comments_scripts_and_symbols() -> None:
    source = (
        "{% load i18n %}<p>{% translate 'Hello' %} {{ name }}</p>\n"
        '<button title="{% translate "Close it" %}">×</button>\n'
        "{% blocktranslate with n=count %}{{ n }} charts{% endblocktranslate %}\n"
        "{% comment %}Not for people{% endcomment %}{# nor this #}\n"
        "<script>const words = 'some words';</script><style>p::after { content: 'x' }</style>\n"
        "<span>Panes</span> 2026 – 42{% block body_class %}app theme-dark{% endblock %}"
    )
    assert scan(source) == []


def test_every_template_string_is_marked_for_translation() -> None:
    files = template_files()
    assert files, "no templates found"
    found = [str(f) for path in files for f in scan(path.read_text(), str(path.relative_to(ROOT)))]
    assert not found, "Unmarked template strings:\n" + "\n".join(found)


def catalogues() -> list[Path]:
    return [
        path
        for language in LANGUAGES
        for domain in DOMAINS
        if (path := LOCALE / language / "LC_MESSAGES" / f"{domain}.po").exists()
    ]


def _placeholders(text: str) -> list[str]:
    named = re.findall(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[sdifr]", text)
    positional = re.findall(r"(?<!%)%(?!\()[#0\- +]*\d*(?:\.\d+)?[sdifr]", text.replace("%%", ""))
    return sorted(named) + sorted(positional)


def test_both_languages_have_a_django_catalogue() -> None:
    for language in LANGUAGES:
        assert (LOCALE / language / "LC_MESSAGES" / "django.po").exists(), language


@pytest.mark.parametrize("po_path", catalogues(), ids=lambda p: str(p.relative_to(LOCALE)))
def test_every_msgid_is_translated_with_its_placeholders(po_path: Path) -> None:
    catalogue = polib.pofile(str(po_path))
    nplurals = int(re.search(r"nplurals=(\d+)", catalogue.metadata["Plural-Forms"]).group(1))  # type: ignore[union-attr]
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if not all(forms):
                problems.append(f"untranslated plural: {entry.msgid!r}")
            wanted = set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural))
            for form in forms:
                # A plural form may leave out the count ("one chart"), never add a name.
                if not set(_placeholders(form)) <= wanted:
                    problems.append(f"placeholders differ: {entry.msgid!r} -> {form!r}")
        else:
            if not entry.msgstr:
                problems.append(f"untranslated: {entry.msgid!r}")
            elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
                problems.append(f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}")
            if "{" in entry.msgid and sorted(re.findall(r"\{(\w*)\}", entry.msgid)) != sorted(
                re.findall(r"\{(\w*)\}", entry.msgstr)
            ):
                problems.append(f"braces differ: {entry.msgid!r} -> {entry.msgstr!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("po_path", catalogues(), ids=lambda p: str(p.relative_to(LOCALE)))
def test_every_mo_is_the_compiled_po(po_path: Path, tmp_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run manage.py compilemessages"
    compiled = polib.mofile(str(mo_path))
    source = polib.pofile(str(po_path))

    def messages(catalogue: polib._BaseFile) -> dict[tuple[str, str], object]:
        found: dict[tuple[str, str], object] = {}
        for entry in catalogue:
            if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
                continue
            key = (entry.msgctxt or "", entry.msgid)
            found[key] = dict(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
        return found

    def normalised(found: dict[tuple[str, str], object]) -> dict[tuple[str, str], object]:
        return {k: ({int(i): s for i, s in v.items()} if isinstance(v, dict) else v) for k, v in found.items()}

    assert normalised(messages(compiled)) == normalised(messages(source)), (
        f"{mo_path.relative_to(ROOT)} is not {po_path.name} compiled: run manage.py compilemessages"
    )


# What makemessages reads: the project's code and templates (not tests, vendored or built files).
SOURCES = ("charts", "config", "lib", "pipes", "demo", "templates", "static")
IGNORED = [".venv", "node_modules", "staticfiles", "static/vendor", "*.min.js"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_makemessages_finds_no_msgid_missing_from_the_catalogues(tmp_path: Path) -> None:
    """Extract into a copy of locale/ and compare: a new marked string without a makemessages
    pass fails here. makemessages writes beside the sources it walks, so it runs in a directory
    of links to them with the copy as its only locale/."""
    work = tmp_path / "tree"
    work.mkdir()
    for name in (*SOURCES, "manage.py"):
        if (ROOT / name).exists():
            (work / name).symlink_to(ROOT / name)
    shutil.copytree(LOCALE, work / "locale")
    for domain in DOMAINS:
        if not any((LOCALE / language / "LC_MESSAGES" / f"{domain}.po").exists() for language in LANGUAGES):
            continue
        script = (
            "import os, sys, django\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
            "django.setup()\n"
            "from django.conf import settings\n"
            "from django.core.management import call_command\n"
            "settings.LOCALE_PATHS = [os.path.abspath('locale')]\n"
            f"call_command('makemessages', locale={LANGUAGES!r}, domain={domain!r}, no_obsolete=True,"
            f" symlinks=True, ignore_patterns={IGNORED!r}, verbosity=0)\n"
        )
        subprocess.run([sys.executable, "-c", script], cwd=work, check=True, timeout=300)
        for language in LANGUAGES:
            committed = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
            if not committed.exists():
                continue
            ours = {(e.msgctxt, e.msgid) for e in polib.pofile(str(committed)) if not e.obsolete}
            extracted_po = work / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
            extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(extracted_po)) if not e.obsolete}
            missing = sorted(m for _, m in extracted - ours)
            assert not missing, f"{language}/{domain}.po lacks (run make messages):\n" + "\n".join(missing)
