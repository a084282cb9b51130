"""config.settings._secret: NAME or NAME_FILE for the settings' own secrets (SECRET_KEY), an
unreadable file being ImproperlyConfigured naming the variable only."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import _secret

NAME = "PANES_SETTINGS_TEST_SECRET"


@pytest.fixture(autouse=True)
def _unset(monkeypatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_it_reads_the_variable(monkeypatch) -> None:
    monkeypatch.setenv(NAME, "from-the-environment")
    assert _secret(NAME) == "from-the-environment"


def test_it_reads_the_file(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_text("from-a-file\n")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert _secret(NAME) == "from-a-file"


def test_unset_is_the_default() -> None:
    assert _secret(NAME) is None
    assert _secret(NAME, "fallback") == "fallback"


def test_a_missing_file_is_improperly_configured_without_its_path(monkeypatch, tmp_path) -> None:
    path = tmp_path / "missing"
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME}_FILE points at an unreadable file: No such file") as caught:
        _secret(NAME)
    assert str(path) not in str(caught.value)


def test_a_file_that_is_not_text_is_improperly_configured(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"\xff\xfe")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME}_FILE points at an unreadable file: it is not UTF-8 text"):
        _secret(NAME)
